// netlink-bench: bulk route programming with the Netlink module against `ip -batch`, interleaved in one run,
// in fresh network namespaces (`tabby-bench-<pid>-*`) that it creates and deletes. Prints medians and ratios.
//
//   netlink-bench [--quick] [--no-gate]
//
// --quick runs fewer repetitions; --no-gate does not wait for a quiet machine before each measurement.
import Foundation
import Netlink
import NetworkAddress

let protocolNumber: UInt8 = 80

// MARK: - Namespaces

final class BenchNamespace {
    let name: String
    let namespace: NetworkNamespace
    let deviceIndex: Int32

    /// A fresh namespace; with `routeDevice`, it holds perf0 (up, 192.0.2.1/24) for routes to point at.
    init(_ suffix: String, routeDevice: Bool = true) throws {
        name = "tabby-bench-\(getpid())-\(suffix)"
        try run("ip", "netns", "add", name)
        do {
            if routeDevice {
                try run("ip", "-n", name, "link", "add", "perf0", "type", "veth", "peer", "name", "perf0p")
                try run("ip", "-n", name, "addr", "add", "192.0.2.1/24", "dev", "perf0")
                try run("ip", "-n", name, "link", "set", "perf0p", "up")
                try run("ip", "-n", name, "link", "set", "perf0", "up")
            }
            namespace = try NetworkNamespace(named: name)
            let socket = try RouteSocket(in: namespace)
            deviceIndex = try socket.link(named: "perf0")?.index ?? 0
        } catch {
            _ = try? run("ip", "netns", "delete", name)
            throw error
        }
    }

    func delete() { _ = try? run("ip", "netns", "delete", name) }

    func flush() throws { try run("ip", "-n", name, "route", "flush", "proto", String(protocolNumber)) }

    func routeCount() throws -> Int {
        try RouteSocket(in: namespace).routes(
            family: .v4, table: .main, protocol: RouteProtocol(protocolNumber)
        ).count
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a tool (found on PATH) and returns its standard output; throws when it fails. Uses `posix_spawnp`:
/// Foundation's `Process` costs about 50 ms per start here, which would be charged to `ip`.
@discardableResult
func run(_ arguments: String...) throws -> [UInt8] {
    var pipeEnds: [Int32] = [-1, -1]
    guard pipe(&pipeEnds) == 0 else { throw BenchError("pipe: errno \(errno)") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
    posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
    var argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
    close(pipeEnds[1])
    guard spawned == 0 else {
        close(pipeEnds[0])
        throw BenchError("\(arguments[0]): spawn failed, errno \(spawned)")
    }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        output += chunk[..<count]
    }
    close(pipeEnds[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else { throw BenchError("\(arguments.joined(separator: " ")) failed (status \(status))") }
    return output
}

// MARK: - Work

func destination(_ i: Int) -> CIDR { CIDR(host: .v4(IPv4Address(0x0a00_0000 + UInt32(i) + 1))) }

func batchFile(_ verb: String, count: Int) throws -> String {
    let path = NSTemporaryDirectory() + "tabby-bench-\(getpid())-\(verb)-\(count).batch"
    var text = ""
    text.reserveCapacity(count * 48)
    for i in 0..<count {
        text += "route \(verb) \(destination(i).address)/32 dev perf0 proto \(protocolNumber)\n"
    }
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    return path
}

/// The Netlink module's way: open a socket in the namespace, build the operations, apply them as one batch.
func tabbyApply(_ ns: BenchNamespace, count: Int, replace: Bool) throws {
    let socket = try RouteSocket(in: ns.namespace)
    let operations = (0..<count).map { i -> NetlinkOperation in
        let route = Route(
            destination: destination(i), outputInterface: ns.deviceIndex, protocol: RouteProtocol(protocolNumber))
        return replace ? .replaceRoute(route) : .addRoute(route)
    }
    let failures = try socket.apply(operations)
    guard failures.isEmpty else { throw BenchError("\(failures.count) failures, first: \(failures[0])") }
}

func tabbyDump(_ ns: BenchNamespace) throws -> Int {
    try RouteSocket(in: ns.namespace).routes(family: .v4, table: .main, protocol: RouteProtocol(protocolNumber))
        .count
}

func ipBatch(_ ns: BenchNamespace, file: String) throws {
    try run("ip", "-n", ns.name, "-batch", file)
}

func ipDump(_ ns: BenchNamespace) throws -> Int {
    let data = try run("ip", "-n", ns.name, "route", "show", "proto", String(protocolNumber))
    return data.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
}

// MARK: - Measurement

/// Prints a line at once (stdout is block-buffered when piped, and runs are long).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Machine-wide busy fraction over `seconds`, from /proc/stat.
func busyFraction(over seconds: Double) -> Double {
    func sample() -> (busy: Double, total: Double) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first
        else { return (0, 1) }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        let total = fields.reduce(0, +)
        let idle = fields.count > 4 ? fields[3] + fields[4] : 0
        return (total - idle, total)
    }
    let a = sample()
    usleep(UInt32(seconds * 1e6))
    let b = sample()
    let total = b.total - a.total
    return total > 0 ? (b.busy - a.busy) / total : 0
}

func timed(_ body: () throws -> Void) throws -> Double {
    let start = now()
    try body()
    return (now() - start) * 1000
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

// MARK: - Benchmarks

/// One benchmark run: its settings and its quiet-gate statistics.
final class Bench {
    let gate: Bool
    var gatedWaits = 0
    var gateTimeouts = 0

    init(gate: Bool) { self.gate = gate }

    /// Waits (up to 30 s) until other tenants leave the machine mostly idle, so both methods see a quiet machine.
    func waitForQuiet() {
        guard gate else { return }
        let start = now()
        var waited = false
        while busyFraction(over: 0.5) > 0.2 {
            waited = true
            if now() - start > 30 {
                gateTimeouts += 1
                return
            }
        }
        if waited { gatedWaits += 1 }
    }

    func report(_ operation: String, count: Int, ip: [Double], tabby: [Double]) {
        let ipMedian = median(ip)
        let tabbyMedian = median(tabby)
        say(
            String(
                format: "%@ %7d  ip %8.1f ms [%6.1f-%6.1f]  tabby %7.1f ms [%6.1f-%6.1f]  %5.1fx  (%d runs)",
                operation.padding(toLength: 30, withPad: " ", startingAt: 0), count, ipMedian, ip.min()!, ip.max()!,
                tabbyMedian, tabby.min()!, tabby.max()!,
                ipMedian / tabbyMedian, ip.count))
    }

    /// Measures `ip` and `tabby` alternately, `runs` times, alternating which goes first; `prepare` runs untimed
    /// before each pair and `check` after it.
    func interleave(
        runs: Int, prepare: () throws -> Void = {}, ip: () throws -> Void, tabby: () throws -> Void,
        check: () throws -> Void = {}
    ) throws -> (ip: [Double], tabby: [Double]) {
        var ipTimes: [Double] = []
        var tabbyTimes: [Double] = []
        for run in 0..<runs {
            try prepare()
            for method in run % 2 == 0 ? [0, 1] : [1, 0] {
                waitForQuiet()
                if method == 0 {
                    ipTimes.append(try timed(ip))
                } else {
                    tabbyTimes.append(try timed(tabby))
                }
            }
            try check()
        }
        return (ipTimes, tabbyTimes)
    }

    /// Adds `count` routes to an empty table.
    func add(count: Int, runs: Int, ipNS: BenchNamespace, tabbyNS: BenchNamespace) throws {
        let file = try batchFile("add", count: count)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let times = try interleave(runs: runs) {
            try ipNS.flush()
            try tabbyNS.flush()
        } ip: {
            try ipBatch(ipNS, file: file)
        } tabby: {
            try tabbyApply(tabbyNS, count: count, replace: false)
        } check: {
            guard try ipNS.routeCount() == count, try tabbyNS.routeCount() == count else {
                throw BenchError("route count mismatch after adding \(count)")
            }
        }
        report("add /32 routes", count: count, ip: times.ip, tabby: times.tabby)
    }

    /// Dumps `count` routes, both methods on the same namespace.
    func dump(count: Int, runs: Int, ns: BenchNamespace) throws {
        try ns.flush()
        try tabbyApply(ns, count: count, replace: false)
        var ipLines = 0
        var tabbyRoutes = 0
        let times = try interleave(runs: runs) {
            ipLines = try ipDump(ns)
        } tabby: {
            tabbyRoutes = try tabbyDump(ns)
        } check: {
            guard ipLines == count, tabbyRoutes == count else {
                throw BenchError("dump saw \(ipLines) lines and \(tabbyRoutes) routes, expected \(count)")
            }
        }
        report("dump routes (show / routes())", count: count, ip: times.ip, tabby: times.tabby)
    }

    /// Re-applies `count` routes that are all present already (`route replace`).
    func reapply(count: Int, runs: Int, ipNS: BenchNamespace, tabbyNS: BenchNamespace) throws {
        try ipNS.flush()
        try tabbyNS.flush()
        try tabbyApply(ipNS, count: count, replace: false)
        try tabbyApply(tabbyNS, count: count, replace: false)
        let file = try batchFile("replace", count: count)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let times = try interleave(runs: runs) {
            try ipBatch(ipNS, file: file)
        } tabby: {
            try tabbyApply(tabbyNS, count: count, replace: true)
        } check: {
            guard try ipNS.routeCount() == count, try tabbyNS.routeCount() == count else {
                throw BenchError("route count mismatch after re-applying \(count)")
            }
        }
        report("re-apply existing (replace)", count: count, ip: times.ip, tabby: times.tabby)
    }

    /// Creates `count` veth pairs and sets them up, in fresh namespaces each run (deleting a namespace is the
    /// fast way to remove many links: one unregister batch instead of one RCU wait per link).
    func links(count: Int, runs: Int) throws {
        let names = (0..<count).map { String(format: "cali%08x", $0) }
        let peers = (0..<count).map { String(format: "tap%08x", $0) }
        let directory = NSTemporaryDirectory() + "tabby-bench-\(getpid())"
        let createFile = directory + "-links-add.batch"
        let upFile = directory + "-links-up.batch"
        try zip(names, peers).map { "link add \($0) type veth peer name \($1)\n" }.joined()
            .write(toFile: createFile, atomically: false, encoding: .utf8)
        try names.map { "link set \($0) up\n" }.joined().write(toFile: upFile, atomically: false, encoding: .utf8)
        defer {
            try? FileManager.default.removeItem(atPath: createFile)
            try? FileManager.default.removeItem(atPath: upFile)
        }
        var create: (ip: [Double], tabby: [Double]) = ([], [])
        var up: (ip: [Double], tabby: [Double]) = ([], [])
        for run in 0..<runs {
            let ipNS = try BenchNamespace("links-ip-\(run)", routeDevice: false)
            defer { ipNS.delete() }
            let tabbyNS = try BenchNamespace("links-tabby-\(run)", routeDevice: false)
            defer { tabbyNS.delete() }
            for method in run % 2 == 0 ? [0, 1] : [1, 0] {
                waitForQuiet()
                if method == 0 {
                    create.ip.append(try timed { try ipBatch(ipNS, file: createFile) })
                    up.ip.append(try timed { try ipBatch(ipNS, file: upFile) })
                } else {
                    create.tabby.append(
                        try timed {
                            let socket = try RouteSocket(in: tabbyNS.namespace)
                            let operations = zip(names, peers).map { name, peer in
                                NetlinkOperation.createLink(NewLink(name: name, kind: .veth(peerName: peer)))
                            }
                            let failures = try socket.apply(operations)
                            guard failures.isEmpty else { throw BenchError("veth: \(failures[0])") }
                        })
                    up.tabby.append(
                        try timed {
                            // Indexes come from one dump, as a reconciler would have them.
                            let socket = try RouteSocket(in: tabbyNS.namespace)
                            let operations = try socket.links().filter { $0.name.hasPrefix("cali") }.map {
                                NetlinkOperation.changeLink(index: $0.index, LinkChange(isUp: true))
                            }
                            let failures = try socket.apply(operations)
                            guard failures.isEmpty else { throw BenchError("link up: \(failures[0])") }
                        })
                }
            }
            for ns in [ipNS, tabbyNS] {
                let links = try RouteSocket(in: ns.namespace).links()
                guard links.filter({ $0.name.hasPrefix("cali") && $0.isUp }).count == count else {
                    throw BenchError("\(ns.name): expected \(count) cali* links up")
                }
            }
        }
        report("create veth pairs", count: count, ip: create.ip, tabby: create.tabby)
        report("set links up (tabby: dump+set)", count: count, ip: up.ip, tabby: up.tabby)
    }
}

func main() throws {
    guard geteuid() == 0 else {
        say("netlink-bench needs root (it creates network namespaces)")
        exit(2)
    }
    let ipNS = try BenchNamespace("ip")
    let tabbyNS = try BenchNamespace("tabby")
    defer {
        ipNS.delete()
        tabbyNS.delete()
    }
    var info = utsname()
    uname(&info)
    let release = withUnsafeBytes(of: &info.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let ipVersion = String(decoding: (try? run("ip", "-V")) ?? [], as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    say("netlink-bench: kernel \(release), \(ipVersion), \(ProcessInfo.processInfo.activeProcessorCount) CPUs")
    say("Routes: IPv4 /32, dev perf0 proto 80. Wall time per call, including process start (ip -batch) or")
    say("socket open and building the operation values (tabby). Medians [min-max], ratio = ip / tabby.")
    say("")

    let arguments = Set(CommandLine.arguments.dropFirst())
    let scale = arguments.contains("--quick") ? 2 : 1
    let bench = Bench(gate: !arguments.contains("--no-gate"))
    try bench.add(count: 1_000, runs: 15 / scale, ipNS: ipNS, tabbyNS: tabbyNS)
    try bench.add(count: 10_000, runs: 11 / scale, ipNS: ipNS, tabbyNS: tabbyNS)
    try bench.add(count: 100_000, runs: 7 / scale, ipNS: ipNS, tabbyNS: tabbyNS)
    try bench.dump(count: 100_000, runs: 9 / scale, ns: tabbyNS)
    try bench.reapply(count: 10_000, runs: 11 / scale, ipNS: ipNS, tabbyNS: tabbyNS)
    try bench.links(count: 200, runs: 6 / scale)
    try ipNS.flush()
    try tabbyNS.flush()

    say("")
    if bench.gate {
        say("quiet gate: waited before \(bench.gatedWaits) measurements, gave up waiting \(bench.gateTimeouts) times")
    }
}

do {
    try main()
} catch {
    say("netlink-bench failed: \(error)")
    exit(1)
}
