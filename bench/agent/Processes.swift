import Glibc

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Starting and stopping other programs with `posix_spawnp`: Foundation's `Process` costs about 50 ms per start
/// here, which would be charged to `ip` and to tabbyd's cold start.
enum Processes {
    /// Starts a program found on PATH with its standard output and error appended to `logPath` (or discarded).
    static func spawn(_ arguments: [String], logPath: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let target = logPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, target, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw BenchError("\(arguments[0]): spawn failed, errno \(spawned)") }
        return pid
    }

    /// Whether `name` is an executable on PATH.
    static func onPath(_ name: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return (path.split(separator: ":") + ["/usr/sbin", "/sbin"]).contains { access("\($0)/\(name)", X_OK) == 0 }
    }

    /// Waits for a child; returns its wait status.
    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// Runs a program to completion; throws when it fails.
    static func run(_ arguments: String...) throws {
        try run(arguments)
    }

    static func run(_ arguments: [String]) throws {
        let status = wait(try spawn(arguments))
        guard status == 0 else {
            throw BenchError("\(arguments.prefix(6).joined(separator: " ")): wait status \(status)")
        }
    }

    /// SIGTERM, then SIGKILL if the process has not gone within two seconds; reaps it.
    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        for _ in 0..<200 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        wait(pid)
    }
}
