import Foundation
import Glibc

/// A delegated plugin (spec section 4), such as `host-local` for IPAM: found in `CNI_PATH`, run with the same
/// environment (but the command) and the same config on stdin, its stderr going to ours, its stdout read as a
/// result or an error.
public struct DelegatedPlugin: Sendable {
    public var type: String
    public var path: String

    /// Finds `type` in the `CNI_PATH` directories; code 4 naming `CNI_PATH` when no directory has it.
    public init(type: String, environment: CNIEnvironment) throws(CNIError) {
        self.type = type
        guard let directory = environment.pluginDirectories.first(where: { access("\($0)/\(type)", X_OK) == 0 }) else {
            let searched =
                environment.pluginDirectories.isEmpty
                ? "CNI_PATH is empty" : "searched \(environment.pluginDirectories.joined(separator: ":"))"
            throw CNIError(
                .invalidEnvironment, "the plugin \(type) is not in CNI_PATH", details: "\(searched) for \(type)")
        }
        path = "\(directory)/\(type)"
    }

    /// Runs `command`; the result for ADD, nil for the others (which print nothing on success). A delegate that
    /// fails with an Error result is rethrown with its code; one that prints nothing usable is an I/O failure.
    public func run(_ command: CNICommand, environment: CNIEnvironment, stdin: [UInt8]) async throws(CNIError)
        -> CNIResult?
    {
        var variables = environment.variables
        variables[CNIEnvironment.Variable.command.rawValue] = command.rawValue
        let outcome = await Self.execute(path: path, environment: variables, stdin: stdin)
        let (status, output) = try outcome.get()
        if status != 0 {
            throw delegateError(output, status: status)
        }
        guard command == .add else { return nil }
        let value = try JSONValue.parse(output, what: "the result of \(type)")
        return try CNIResult.decode(JSONField(value, path: "", subject: "result of \(type)"))
    }

    private func delegateError(_ output: [UInt8], status: Int32) -> CNIError {
        if let value = try? JSONValue.parse(output, what: type), case .number(let code)? = value["code"] {
            var msg = "\(type): "
            if case .string(let text)? = value["msg"] { msg += text }
            var details = ""
            if case .string(let text)? = value["details"] { details = text }
            return CNIError(CNIError.Code(rawValue: Int(code)), msg, details: details)
        }
        let text = String(decoding: output.prefix(2000), as: UTF8.self)
        return CNIError(.ioFailure, "\(type) failed", details: "exit status \(status); stdout: \(text)")
    }

    /// Runs the binary on a thread of its own (so no thread of the shared pool waits for it) and collects its
    /// exit status and stdout.
    static func execute(path: String, environment: [String: String], stdin: [UInt8]) async
        -> Result<(Int32, [UInt8]), CNIError>
    {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: executeBlocking(path: path, environment: environment, stdin: stdin))
            }
        }
    }

    private static func executeBlocking(path: String, environment: [String: String], stdin: [UInt8])
        -> Result<(Int32, [UInt8]), CNIError>
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = []
        process.environment = environment
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            return .failure(CNIError(.ioFailure, "cannot run \(path)", details: "\(error)"))
        }
        // Written from another thread: a delegate that prints before reading all of stdin cannot block us.
        let stdinHandle = input.fileHandleForWriting
        Thread.detachNewThread {
            try? stdinHandle.write(contentsOf: Data(stdin))
            try? stdinHandle.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .success((process.terminationStatus, [UInt8](data)))
    }
}
