import CNftnl
import Glibc

/// A fresh network namespace for one measurement. The main thread enters it, so the nf_tables sockets it opens
/// and the `nft` processes it spawns work inside it.
final class BenchNamespace {
    let name: String
    private let home: Int32

    init(_ label: String) throws {
        name = "tabby-bench-pol-\(getpid())-\(label)"
        try run(["/usr/sbin/ip", "netns", "add", name])
        home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        defer { close(target) }
        guard home >= 0, target >= 0, tabby_nft_setns_net(target) == 0 else {
            throw BenchError("entering network namespace \(name) failed: errno \(errno)")
        }
    }

    /// Moves the main thread into this namespace (again).
    func enter() throws {
        let target = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        defer { close(target) }
        guard target >= 0, tabby_nft_setns_net(target) == 0 else {
            throw BenchError("entering network namespace \(name) failed: errno \(errno)")
        }
    }

    /// Returns the main thread to its namespace and deletes this one.
    func remove() {
        _ = tabby_nft_setns_net(home)
        close(home)
        _ = try? run(["/usr/sbin/ip", "netns", "delete", name])
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program (no shell) and waits; throws on a non-zero exit. With `output`, its standard output goes there.
func run(_ arguments: [String], output: String? = nil) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let cArguments = arguments.map { strdup($0) } + [nil]
    defer { for argument in cArguments { free(argument) } }
    var pid = pid_t()
    let spawned = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, environ)
    guard spawned == 0 else { throw BenchError("posix_spawn \(arguments[0]): errno \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else { throw BenchError("\(arguments.joined(separator: " ")) exited with status \(status)") }
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = now()
    let value = try body()
    return (value, now() - start)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func medianInt(_ values: [Int]) -> Int { values.sorted()[values.count / 2] }

/// Machine-wide busy share over `interval` seconds, from /proc/stat.
func busyShare(over interval: Double = 1) -> Double {
    func sample() -> (busy: Double, total: Double) {
        guard let file = fopen("/proc/stat", "r") else { return (0, 1) }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        guard fgets(&line, Int32(line.count), file) != nil else { return (0, 1) }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 5 else { return (0, 1) }
        let idle = fields[3] + fields[4]
        return (fields.reduce(0, +) - idle, fields.reduce(0, +))
    }
    let first = sample()
    usleep(UInt32(interval * 1e6))
    let second = sample()
    return (second.busy - first.busy) / max(second.total - first.total, 1)
}

/// Waits (up to `limit` seconds) until the other builders on this shared machine leave it mostly idle.
func waitForQuietMachine(below threshold: Double = 0.25, limit: Double = 30) -> Double {
    let start = now()
    var busy = busyShare()
    while busy > threshold && now() - start < limit { busy = busyShare() }
    return busy
}

func ms(_ seconds: Double) -> String {
    let value = seconds * 1000
    return value < 10 ? String(format: "%.2f ms", value) : String(format: "%.1f ms", value)
}

func ratio(_ slower: Double, _ faster: Double) -> String { String(format: "%.1fx", slower / faster) }
