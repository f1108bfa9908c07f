import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Runs a system tool (found on $PATH) and captures what it printed, for `node diags`: a missing tool or a
/// failure is an outcome to record, never an error that stops the collection.
enum CommandCapture {
    struct Outcome {
        var command: String
        /// The exit status, or nil when the tool could not be started or did not finish in time.
        var status: Int32?
        var output: String
        var error: String

        var succeeded: Bool { status == 0 }

        /// What is written into the archive: the command, then its output, then its errors and exit status.
        var archived: String {
            var text = "$ \(command)\n" + output
            if !text.hasSuffix("\n") { text += "\n" }
            if !error.isEmpty { text += "--- standard error ---\n" + error + (error.hasSuffix("\n") ? "" : "\n") }
            text += "--- " + (status.map { "exit status \($0)" } ?? "not run: \(error)") + " ---\n"
            return text
        }
    }

    static let timeoutSeconds = 30.0

    /// Runs `tool` with standard input from /dev/null, collecting both outputs.
    ///
    /// posix_spawn and poll rather than Foundation's Process: Process waits for its child through a CFSocket
    /// wakeup pair, which cannot be made in a fresh network namespace whose `lo` is down, and then never sees the
    /// child exit.
    static func run(_ tool: String, _ arguments: [String]) -> Outcome {
        let command = ([tool] + arguments).joined(separator: " ")
        guard let executable = tool.hasPrefix("/") ? tool : find(tool) else {
            return Outcome(command: command, status: nil, output: "", error: "\(tool) is not installed (not on $PATH)")
        }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { return notRun(command, "pipe", errno) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            return notRun(command, "pipe", errno)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for descriptor in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, &argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        for pointer in argv { free(pointer) }
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard spawned == 0 else { return notRun(command, "posix_spawn \(executable)", spawned) }

        var output: [UInt8] = []
        var error: [UInt8] = []
        var open = [true, true]
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open[0] || open[1] {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                timedOut = true
                break
            }
            var fds = [
                pollfd(fd: open[0] ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open[1] ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, Int32(min(remaining, 1) * 1000))
            if ready < 0 && errno != EINTR { break }
            for index in 0..<2 where open[index] && fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if index == 0 { output += buffer[..<count] } else { error += buffer[..<count] }
                } else if count == 0 || errno != EINTR {
                    open[index] = false
                }
            }
        }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        var errorText = String(decoding: error, as: UTF8.self)
        let outputText = String(decoding: output, as: UTF8.self)
        if timedOut {
            errorText += "killed after \(Int(timeoutSeconds)) s without finishing"
            return Outcome(command: command, status: nil, output: outputText, error: errorText)
        }
        let signal = status & 0x7f
        if signal != 0 {
            return Outcome(
                command: command, status: nil, output: outputText, error: errorText + "killed by signal \(signal)")
        }
        return Outcome(command: command, status: (status >> 8) & 0xff, output: outputText, error: errorText)
    }

    private static func notRun(_ command: String, _ call: String, _ code: Int32) -> Outcome {
        Outcome(command: command, status: nil, output: "", error: "\(call): \(StatusSocketClient.errnoText(code))")
    }

    /// The tool's path on $PATH (or the sbin directories, which a non-login root shell may lack).
    static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return directories.map { ($0 as NSString).appendingPathComponent(tool) }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
