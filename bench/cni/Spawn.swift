import Glibc

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Monotonic time in seconds.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// One program start, as a container runtime makes it: an absolute path, an explicit environment, standard input
/// from a file, standard output and error to files. Spawned with `posix_spawn` (no shell, no `Process`).
struct Invocation {
    var path: String
    var arguments: [String] = []
    var environment: [String]
    var stdinPath: String
    var stdoutPath: String
    var stderrPath: String
}

/// How one started program ended: wall time from just before `posix_spawn` to the reaping `wait4`, and the CPU it
/// used, its own plus that of the children it waited for (a CNI plugin's IPAM plugin).
struct Outcome {
    var status: Int32
    var wallMilliseconds: Double
    var cpuMilliseconds: Double
    var succeeded: Bool { status == 0 }
}

/// A started program, not yet reaped.
struct Started {
    var pid: pid_t
    var start: Double
}

enum Spawner {
    static func start(_ invocation: Invocation) throws -> Started {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, invocation.stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, invocation.stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, invocation.stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        var argv = ([invocation.path] + invocation.arguments).map { strdup($0) } + [nil]
        var envp = invocation.environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let start = now()
        let spawned = posix_spawn(&pid, invocation.path, &actions, nil, &argv, &envp)
        guard spawned == 0 else {
            throw BenchError("\(invocation.path): posix_spawn failed: \(String(cString: strerror(spawned)))")
        }
        return Started(pid: pid, start: start)
    }

    /// Reaps any child; returns its pid, wait status, the time it was reaped and its CPU time.
    static func reapAny() throws -> (pid: pid_t, status: Int32, end: Double, cpuMilliseconds: Double) {
        var status: Int32 = 0
        var usage = rusage()
        var pid: pid_t
        repeat { pid = wait4(-1, &status, 0, &usage) } while pid < 0 && errno == EINTR
        let end = now()
        guard pid > 0 else { throw BenchError("wait4: \(String(cString: strerror(errno)))") }
        func ms(_ time: timeval) -> Double { Double(time.tv_sec) * 1e3 + Double(time.tv_usec) / 1e3 }
        return (pid, status, end, ms(usage.ru_utime) + ms(usage.ru_stime))
    }

    /// Starts every invocation at once (back to back), then reaps them all; each is timed from its own start.
    static func runTogether(_ invocations: [Invocation]) throws -> [Outcome] {
        var started: [pid_t: (index: Int, start: Double)] = [:]
        var outcomes = [Outcome?](repeating: nil, count: invocations.count)
        var firstError: (any Error)?
        for (index, invocation) in invocations.enumerated() {
            do {
                let child = try start(invocation)
                started[child.pid] = (index, child.start)
            } catch {
                firstError = error
                break
            }
        }
        while !started.isEmpty {
            let reaped = try reapAny()
            guard let entry = started.removeValue(forKey: reaped.pid) else { continue }
            outcomes[entry.index] = Outcome(
                status: reaped.status, wallMilliseconds: (reaped.end - entry.start) * 1e3,
                cpuMilliseconds: reaped.cpuMilliseconds)
        }
        if let firstError { throw firstError }
        return outcomes.compactMap { $0 }
    }

    static func run(_ invocation: Invocation) throws -> Outcome {
        guard let outcome = try runTogether([invocation]).first else {
            throw BenchError("\(invocation.path): not reaped")
        }
        return outcome
    }

    /// Runs a tool from PATH (`ip`) to completion, its output to `outputPath`; throws when it fails.
    static func tool(_ arguments: String..., outputPath: String = "/dev/null") throws {
        guard let name = arguments.first else { return }
        let candidates = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map { "\($0)/\(name)" }
        let path = candidates.first { access($0, X_OK) == 0 }
        guard let path else { throw BenchError("\(name): not found in /usr/sbin, /usr/bin, /sbin, /bin") }
        let outcome = try run(
            Invocation(
                path: path, arguments: Array(arguments.dropFirst()),
                environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                stdinPath: "/dev/null", stdoutPath: outputPath, stderrPath: outputPath))
        guard outcome.succeeded else {
            throw BenchError("\(arguments.joined(separator: " ")): wait status \(outcome.status)")
        }
    }
}
