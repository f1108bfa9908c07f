import CNftnl
import Glibc

/// A fresh network namespace for one scenario. The bench's main thread enters it, so the nf_tables sockets it
/// opens and the nft processes it spawns (which inherit the thread's namespace) all work inside it.
final class BenchNamespace {
    let name: String
    private let home: Int32

    init(_ scenario: String) throws {
        name = "tabby-bench-nft-\(getpid())-\(scenario)"
        try run(["/usr/sbin/ip", "netns", "add", name], quiet: false)
        home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        defer { close(target) }
        guard home >= 0, target >= 0, tabby_nft_setns_net(target) == 0 else {
            throw BenchError("entering network namespace \(name) failed: errno \(errno)")
        }
    }

    /// Returns the main thread to its namespace and deletes this one.
    func remove() {
        _ = tabby_nft_setns_net(home)
        close(home)
        _ = try? run(["/usr/sbin/ip", "netns", "delete", name], quiet: false)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program (no shell) from the calling thread and waits; throws on a non-zero exit.
@discardableResult
func run(_ arguments: [String], quiet: Bool = true) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if quiet { posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) }
    let cArguments = arguments.map { strdup($0) } + [nil]
    defer { for argument in cArguments { free(argument) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, environ)
    guard spawned == 0 else { throw BenchError("posix_spawn \(arguments[0]): errno \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitCode = (status >> 8) & 0xff
    guard status & 0x7f == 0, exitCode == 0 else {
        throw BenchError("\(arguments.joined(separator: " ")) exited with status \(status)")
    }
    return exitCode
}
