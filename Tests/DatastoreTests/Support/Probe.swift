import Foundation
import Testing

/// The `datastore-probe` executable run as a second process (see Tests/DatastoreProbe/main.swift).
final class Probe {
    let process = Process()
    /// The probe's standard output, line by line.
    let lines: AsyncStream<String>
    /// The probe's exit status, once it has exited.
    let exit: AsyncStream<Int32>
    private let input = Pipe()
    private let output = Pipe()

    static let setpriv = "/usr/bin/setpriv"

    /// Whether the probe can be run as another user.
    static var canRunAsAnotherUser: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv)
    }

    /// The probe, built next to this test bundle in the build products directory.
    static func executable() throws -> String {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = (testBinary as NSString).deletingLastPathComponent + "/datastore-probe"
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            "datastore-probe is not built at \(path); build it with `swift build --build-tests`")
        return path
    }

    /// Starts the probe with `arguments`; as the user `runAs` (by `setpriv`, when this process is root) if given.
    init(_ arguments: [String], runAs user: UInt32? = nil) throws {
        if let user {
            process.executableURL = URL(fileURLWithPath: Self.setpriv)
            process.arguments =
                ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", try Self.executable()] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: try Self.executable())
            process.arguments = arguments
        }
        process.standardInput = input
        process.standardOutput = output
        let (lines, lineContinuation) = AsyncStream<String>.makeStream()
        self.lines = lines
        let (exit, exitContinuation) = AsyncStream<Int32>.makeStream()
        self.exit = exit
        process.terminationHandler = { process in
            exitContinuation.yield(process.terminationStatus)
            exitContinuation.finish()
        }
        try process.run()
        // Read on a thread of its own: the read blocks, and the cooperative pool must not.
        let reader = output.fileHandleForReading
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    lineContinuation.yield(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            lineContinuation.finish()
        }
    }

    /// A test that fails half-way must not leave a probe running (the rewrite loop never ends by itself).
    deinit {
        if process.isRunning { _ = Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    var pid: Int32 { process.processIdentifier }

    /// Sends one line to the probe's standard input.
    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Kills the probe with SIGKILL, by PID, and waits for it to be gone.
    func kill() async {
        _ = Foundation.kill(pid, SIGKILL)
        _ = await waitForExit()
    }

    /// Closes the probe's standard input and waits for it to exit; returns the exit status.
    func waitForExit() async -> Int32 {
        try? input.fileHandleForWriting.close()
        var statuses = exit.makeAsyncIterator()
        return await statuses.next() ?? process.terminationStatus
    }
}
