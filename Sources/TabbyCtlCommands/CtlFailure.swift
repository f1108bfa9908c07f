import ArgumentParser
import CalicoAPI
import Datastore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Why a tabbyctl command failed, and the exit code that says so: 1 when an operation failed, 2 for bad usage
/// or bad input.
public struct CtlFailure: Error, CustomStringConvertible {
    public static let operationFailed: Int32 = 1
    public static let badInput: Int32 = 2

    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    public static func badInput(_ message: String) -> CtlFailure { CtlFailure(message, exitCode: badInput) }
    public static func failed(_ message: String) -> CtlFailure { CtlFailure(message, exitCode: operationFailed) }

    public static func datastore(_ error: DatastoreError) -> CtlFailure {
        switch error {
        case .invalid: return CtlFailure(error.description, exitCode: badInput)
        default: return CtlFailure(error.description, exitCode: operationFailed)
        }
    }

    public var description: String { message }
}

/// Standard output and standard error, written unbuffered enough for scripts that read both.
enum Console {
    static func out(_ text: String) {
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
    }

    static func error(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        fflush(stdout)
        fputs(line, stderr)
    }
}

extension TabbyCtl {
    /// Parses `arguments`, runs the command, and returns the process exit code (0 ok, 1 an operation failed,
    /// 2 bad usage or bad input). Messages go to standard output and standard error.
    public static func run(arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let failure as CtlFailure {
            Console.error(failure.message)
            return failure.exitCode
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Console.out(message) }
                return 0
            }
            Console.error(message)
            return CtlFailure.badInput
        }
    }
}
