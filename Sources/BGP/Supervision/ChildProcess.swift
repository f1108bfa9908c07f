import Glibc
import SystemError

/// A child process started with posix_spawn (Foundation's Process needs a loopback wakeup pair, which a fresh
/// network namespace lacks): standard input from /dev/null, standard output and error into one pipe, every
/// signal at its default disposition and none blocked (tabbyd ignores the signals it turns into events, and an
/// ignored disposition would be inherited).
struct ChildProcess: Sendable {
    let pid: pid_t
    /// The read end of the child's output.
    let output: Int32

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    static func spawn(_ executable: String, _ arguments: [String]) throws(SpawnError) -> ChildProcess {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw SpawnError(description: "pipe: \(Errno.current.explained)") }
        // Neither end survives into the child (dup2 gives it its own 1 and 2), nor into later children.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        for pointer in argv { free(pointer) }
        close(pipeEnds[1])
        guard spawned == 0 else {
            close(pipeEnds[0])
            throw SpawnError(description: "cannot run \(executable): \(Errno(spawned).explained)")
        }
        return ChildProcess(pid: pid, output: pipeEnds[0])
    }

    /// Runs a command to its end (at most `timeoutSeconds`): its exit status (nil if killed or timed out) and
    /// everything it printed.
    static func run(_ executable: String, _ arguments: [String], timeoutSeconds: Int = 10) -> (status: Int32?, output: String) {
        let child: ChildProcess
        do { child = try spawn(executable, arguments) } catch { return (nil, error.description) }
        var collected: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let end = deadline.tv_sec + timeoutSeconds
        var timedOut = false
        while true {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            if now.tv_sec >= end {
                timedOut = true
                break
            }
            var descriptor = pollfd(fd: child.output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 200)
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
            if count > 0 {
                collected += buffer[..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(child.output)
        if timedOut { kill(child.pid, SIGKILL) }
        let status = waitForExit(child.pid)
        let text = String(decoding: collected, as: UTF8.self)
        guard !timedOut, let status, status.exited else { return (nil, text) }
        return (status.code, text)
    }

    struct ExitStatus: Sendable, CustomStringConvertible {
        let raw: Int32
        var exited: Bool { raw & 0x7f == 0 }
        var code: Int32 { (raw >> 8) & 0xff }
        var signal: Int32 { raw & 0x7f }
        var description: String { exited ? "exit status \(code)" : "killed by signal \(signal)" }
    }

    /// Blocks until the child ends; nil if it is not (or no longer) this process's child.
    static func waitForExit(_ pid: pid_t) -> ExitStatus? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { return ExitStatus(raw: status) }
            if result < 0 && errno == EINTR { continue }
            return nil
        }
    }

    /// An executable's path: the path itself when it has a slash, else the first match on $PATH (and the sbin
    /// directories, which a non-login root shell may lack).
    static func find(_ tool: String) -> String? {
        if tool.contains("/") { return access(tool, X_OK) == 0 ? tool : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return directories.map { $0 + "/" + tool }.first { access($0, X_OK) == 0 }
    }
}
