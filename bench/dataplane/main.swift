import Calculation
import NetworkAddress
// dataplane-bench: the reconciler against `ip -batch` + `bridge -batch` in one run, in fresh network namespaces
// (`tabby-bench-<pid>-*`) that it creates and deletes. A VXLAN node: vxlan.calico, 200 remote VTEPs (permanent
// neighbours and FDB entries) and N remote-block routes via vxlan.calico onlink. Prints medians and ratios.
//
// Then the node of bench/agent (100 workload interfaces with 802 sysctls, 199 remote blocks): its periodic resync with
// nothing changed, against a script replaying every route, neighbour, FDB entry and sysctl.
//
//   dataplane-bench [--quick] [--routes N] [--workloads N]
import CalicoAPI
import Dataplane
import Foundation
import Netlink

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let routeCount = arguments.firstIndex(of: "--routes").flatMap { Int(arguments[$0 + 1]) } ?? 10_000
let workloadCount = arguments.firstIndex(of: "--workloads").flatMap { Int(arguments[$0 + 1]) } ?? 100
let runs = quick ? 3 : 7
let vtepCount = 200

struct BenchError: Error, CustomStringConvertible {
    var description: String
}

/// Runs a tool found on PATH and waits for it; throws when it fails. `posix_spawnp`, because Foundation's
/// `Process` costs tens of milliseconds per start, which would be charged to `ip`.
func run(_ arguments: String...) throws { try run(arguments) }

func run(_ arguments: [String]) throws {
    var argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, arguments[0], nil, nil, &argv, environ)
    guard spawned == 0 else { throw BenchError(description: "\(arguments[0]): spawn failed, errno \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else { throw BenchError(description: "\(arguments.joined(separator: " ")): status \(status)") }
}

/// A fresh namespace with the underlay eth0 (a veth, up, 192.0.2.1/24).
final class BenchNamespace {
    let name: String

    init(_ number: Int) throws {
        name = "tabby-bench-\(getpid())-dp\(number)"
        try run("ip", "netns", "add", name)
        try run("ip", "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
        try run("ip", "-n", name, "address", "add", "192.0.2.1/24", "dev", "eth0")
        try run("ip", "-n", name, "link", "set", "eth0p", "up")
        try run("ip", "-n", name, "link", "set", "eth0", "up")
    }

    deinit { try? run("ip", "netns", "delete", name) }
}

// MARK: - The desired node

func vtepAddress(_ index: Int) -> String { "198.51.100.\(index + 1)" }
func vtepMAC(_ index: Int) -> MACAddress { MACAddress(0x6600_0000_0000 | UInt64(index & 0xffff)) }
func underlay(_ index: Int) -> String { "203.0.113.\(index + 1)" }
/// The i-th /26 block in 10.0.0.0/8 (route destinations only; no packet goes there).
func block(_ index: Int) -> String { "10.\(index >> 10).\((index >> 2) & 0xff).\((index & 3) * 64)/26" }

func desiredNode(routes: Int) -> DesiredDataplane {
    var desired = DesiredDataplane()
    desired.vxlan = VXLANDevice(
        vni: 4096, port: 4789, mac: MACAddress(0x66aa_bbcc_dd01), address: IPAddress("198.51.100.250")!, mtu: 1450,
        parentInterface: "eth0", localAddress: IPAddress("192.0.2.1")!)
    for index in 0..<vtepCount {
        desired.neighbors.insert(
            DesiredNeighbor(
                interface: VXLANDevice.name, address: IPAddress(vtepAddress(index))!, mac: vtepMAC(index)))
        desired.fdb.insert(
            DesiredFDBEntry(
                interface: VXLANDevice.name, mac: vtepMAC(index), destination: IPAddress(underlay(index))!))
    }
    for index in 0..<routes {
        let destination = try! CIDR(parsing: block(index))
        desired.routes[destination] = DesiredRoute(
            destination: destination,
            target: .gateway(IPAddress(vtepAddress(index % vtepCount))!, interface: VXLANDevice.name),
            kind: .vxlanTunnel, routeProtocol: 3, mtu: 1450)
    }
    return desired
}

/// The same node as `ip -batch` and `bridge -batch` files: the cold start, and the idempotent part that a
/// script-based agent replays on every resync.
func scripts(routes: Int, tag: String = "") throws -> (create: String, ip: String, bridge: String) {
    let create = [
        "link add vxlan.calico address 66:aa:bb:cc:dd:01 mtu 1450 type vxlan id 4096 local 192.0.2.1 dev eth0"
            + " dstport 4789 nolearning",
        "address add 198.51.100.250/32 dev vxlan.calico",
    ]
    var ip = ["link set vxlan.calico up mtu 1450"]
    var bridge: [String] = []
    for index in 0..<vtepCount {
        ip.append("neigh replace \(vtepAddress(index)) lladdr \(vtepMAC(index)) dev vxlan.calico nud permanent")
        bridge.append("fdb replace \(vtepMAC(index)) dev vxlan.calico dst \(underlay(index)) self permanent")
    }
    for index in 0..<routes {
        ip.append(
            "route replace \(block(index)) via \(vtepAddress(index % vtepCount)) dev vxlan.calico onlink mtu 1450")
    }
    let directory = FileManager.default.temporaryDirectory.path
    func file(_ name: String, _ lines: [String]) throws -> String {
        let path = "\(directory)/tabby-bench-\(getpid())-\(name)\(tag).batch"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }
    return (try file("create", create), try file("ip", ip), try file("bridge", bridge))
}

// MARK: - Measurements

func time(_ body: () throws -> Void) rethrows -> Duration {
    let start = ContinuousClock.now
    try body()
    return ContinuousClock.now - start
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

func median(_ values: [Duration]) -> Double { milliseconds(values.sorted()[values.count / 2]) }

func format(_ value: Double) -> String { String(format: value < 10 ? "%.2f ms" : "%.1f ms", value) }

let desired = desiredNode(routes: routeCount)
let (createScript, ipScript, bridgeScript) = try scripts(routes: routeCount)
defer {
    for path in [createScript, ipScript, bridgeScript] { try? FileManager.default.removeItem(atPath: path) }
}
var oneMore = desired
let extra = try CIDR(parsing: "10.255.255.192/26")
oneMore.routes[extra] = DesiredRoute(
    destination: extra, target: .gateway(IPAddress(vtepAddress(0))!, interface: VXLANDevice.name),
    kind: .vxlanTunnel, routeProtocol: 3, mtu: 1450)

var coldTool: [Duration] = []
var coldTabby: [Duration] = []
var replayTool: [Duration] = []
var noChange: [Duration] = []
var resync: [Duration] = []
var oneChangeTool: [Duration] = []
var oneChange: [Duration] = []
var writes: (cold: Int, noChange: Int, resync: Int, oneChange: Int) = (0, 0, 0, 0)

for runIndex in 0..<runs {
    // ip -batch and bridge -batch: the cold start, then the same script replayed (what a script-based agent's
    // periodic resync does), then one route by one process.
    do {
        let ns = try BenchNamespace(2 * runIndex)
        coldTool.append(
            try time {
                try run("ip", "-n", ns.name, "-batch", createScript)
                try run("ip", "-n", ns.name, "-batch", ipScript)
                try run("bridge", "-n", ns.name, "-batch", bridgeScript)
            })
        replayTool.append(
            try time {
                try run("ip", "-n", ns.name, "-batch", ipScript)
                try run("bridge", "-n", ns.name, "-batch", bridgeScript)
            })
        oneChangeTool.append(
            try time {
                try run(
                    "ip", "-n", ns.name, "route", "replace", "10.255.255.192/26", "via", vtepAddress(0), "dev",
                    "vxlan.calico", "onlink", "mtu", "1450")
            })
    }
    // The reconciler: cold (dump + plan + batch), no change, full resync, one change.
    do {
        let ns = try BenchNamespace(2 * runIndex + 1)
        let reconciler = DataplaneReconciler(kernel: try NetlinkKernel(namespaceNamed: ns.name))
        var report = ApplyReport()
        coldTabby.append(time { report = reconciler.apply(desired) })
        guard report.failures.isEmpty else { throw BenchError(description: "\(report)") }
        writes.cold = report.writeCount
        noChange.append(time { report = reconciler.apply(desired) })
        writes.noChange = report.writeCount
        resync.append(
            time {
                reconciler.requestResync()
                report = reconciler.apply(desired)
            })
        writes.resync = report.writeCount
        oneChange.append(time { report = reconciler.apply(oneMore) })
        writes.oneChange = report.writeCount
    }
}

print("dataplane-bench: \(routeCount) routes via vxlan.calico, \(vtepCount) VTEPs, median of \(runs) runs")
print("| scenario | ip -batch / bridge -batch | Tabby | writes | ratio |")
print("|---|---|---|---|---|")
func row(_ name: String, _ tool: [Duration]?, _ tabby: [Duration], _ count: Int) {
    let toolText = tool.map { format(median($0)) } ?? "-"
    let ratio = tool.map { String(format: "%.1fx", median($0) / median(tabby)) } ?? "-"
    print("| \(name) | \(toolText) | \(format(median(tabby))) | \(count) | \(ratio) |")
}
row("cold start", coldTool, coldTabby, writes.cold)
row("resync, nothing changed (script replays everything)", replayTool, resync, writes.resync)
row("apply, nothing changed", nil, noChange, writes.noChange)
row("one new route", oneChangeTool, oneChange, writes.oneChange)

// MARK: - The node of bench/agent: a resync with its sysctls

let workloadNode = desiredWorkloadNode(remoteBlocks: vtepCount - 1, workloads: workloadCount)
let small = try scripts(routes: vtepCount - 1, tag: "-small")
let workloadScript = try workloadScripts(workloadNode, workloads: workloadCount)
defer {
    for path in [small.create, small.ip, small.bridge, workloadScript.ip] {
        try? FileManager.default.removeItem(atPath: path)
    }
}
var nodeReplay: [Duration] = []
var nodeResync: [Duration] = []
var nodeResyncWrites = 0
for runIndex in 0..<runs {
    do {
        let ns = try BenchNamespace(2 * runs + 2 * runIndex)
        try addWorkloadInterfaces(workloadCount, namespace: ns.name)
        let sysctl = ["ip", "netns", "exec", ns.name, "sysctl", "-q", "-w"] + workloadScript.sysctl
        try run("ip", "-n", ns.name, "-batch", small.create)
        try run("ip", "-n", ns.name, "-batch", small.ip)
        try run("ip", "-n", ns.name, "-batch", workloadScript.ip)
        try run("bridge", "-n", ns.name, "-batch", small.bridge)
        try run(sysctl)
        nodeReplay.append(
            try time {
                try run("ip", "-n", ns.name, "-batch", small.ip)
                try run("ip", "-n", ns.name, "-batch", workloadScript.ip)
                try run("bridge", "-n", ns.name, "-batch", small.bridge)
                try run(sysctl)
            })
    }
    do {
        let ns = try BenchNamespace(2 * runs + 2 * runIndex + 1)
        try addWorkloadInterfaces(workloadCount, namespace: ns.name)
        let reconciler = DataplaneReconciler(kernel: try NetlinkKernel(namespaceNamed: ns.name))
        var report = reconciler.apply(workloadNode)
        guard report.failures.isEmpty else { throw BenchError(description: "\(report)") }
        // Three periodic resyncs, as tabbyd makes them; the median of all of them is reported.
        for _ in 0..<3 {
            nodeResync.append(
                time {
                    reconciler.requestResync()
                    report = reconciler.apply(workloadNode)
                })
            nodeResyncWrites += report.writeCount
        }
    }
}
print(
    "\nthe node of bench/agent: \(workloadCount) workloads, \(workloadNode.routes.count) routes, "
        + "\(workloadNode.neighbors.count) neighbours, \(workloadNode.sysctls.count) sysctls; median of \(runs) runs")
print("| scenario | ip -batch / bridge -batch / sysctl -w | Tabby | writes | ratio |")
print("|---|---|---|---|---|")
row("periodic resync, nothing changed (script replays everything)", nodeReplay, nodeResync, nodeResyncWrites)
