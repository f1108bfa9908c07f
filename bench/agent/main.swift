// agent-bench: tabbyd end to end, against `ip -batch` / `bridge -batch` / `sysctl` in the same run.
//
// A cluster of 200 nodes (VXLAN pool, /26 blocks) with 100 WorkloadEndpoints on the local node-0 is written into
// a fresh file datastore twice: with 100 endpoints in the cluster (all local) and with 10,000 (9,900 spread over
// the 199 other nodes); and the same two into an etcd member each (Debian's etcd on loopback, data under the
// scratch directory or --etcd-data DIR; tabbyd reaches it from its namespace through LoopbackForwarder). In
// fresh namespaces `tabby-bench-<pid>-*` holding node-0's underlay and workload interfaces:
//   - cold start: tabbyd spawned to /readiness 200, against loading the same state (read back from tabbyd's
//     namespace) with ip -batch, bridge -batch and one sysctl process into a fresh namespace;
//   - steady-state resync (tabbyd with routeRefreshInterval=2s): kernel writes and apply time of the periodic
//     resyncs, against replaying every neighbour, route and FDB entry with `replace`, as a script would;
//   - latency: a new WorkloadEndpoint created in the datastore until its /32 route is in the kernel (netlink
//     notification), 100 times per cluster size with both clusters' tabbyd running and the writes interleaved,
//     against one `ip route add` process;
//   - tabbyd's VmRSS and VmHWM.
// Needs root. bench/agent/run.sh builds tabbyd and this in release mode and runs it.
//
//   agent-bench [--quick] [--runs N] [--writes N] [--tabbyd PATH] [--scratch DIR] [--stores file,etcd]
//               [--etcd-data DIR]
//   agent-bench --bgp [--quick] [--writes N]
//                                  BGP through BIRD with 200 nodes' blocks (BGPBench.swift): block-to-route latency
//                                  by BGP against tabbyd's own routes, BIRD restart convergence, render and reload cost
//   agent-bench --populate DIR     writes the 10,000-endpoint cluster into the datastore DIR and exits (to profile
//                                  tabbyd by hand)
//   agent-bench --snapshot DIR     times reading, parsing, decoding, list and watch of the datastore DIR in this
//                                  process (no root needed; see Snapshot.swift)
//
// The datastore and scratch files go to /dev/shm (tmpfs) when it is one, else /tmp, or under --scratch DIR: on
// this machine's shared disk the fsyncs of 10,600 FileDatastore creates took 7 to 75 s, which measures the disk
// and the neighbours, not tabbyd (which reads the files from the page cache either way).
import Foundation
import Glibc

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let quick = arguments.contains("--quick")
let writeCount = max(1, option("--writes").flatMap { Int($0) } ?? (quick ? 30 : 100))

if let directory = option("--populate") {
    let cluster = try Cluster(nodes: 200, local: 100, remote: 9_900, extra: writeCount)
    _ = try await cluster.populate(directory)
    print("agent-bench: \(cluster.resources.count) resources written into \(directory)")
    print("  node-0's workload interfaces: \((cluster.local + cluster.extra).map(\.interface).joined(separator: " "))")
    exit(0)
}

if let directory = option("--snapshot") {
    try await SnapshotPhases.run(directory: directory, runs: max(1, option("--runs").flatMap { Int($0) } ?? 3))
    exit(0)
}

/// Whether `path` is the mount point of a tmpfs (from /proc/mounts).
func isTmpfs(_ path: String) -> Bool {
    let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
    return mounts.split(separator: "\n").contains { line in
        let fields = line.split(separator: " ")
        return fields.count > 2 && fields[1] == path && fields[2] == "tmpfs"
    }
}

let binDirectory = ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0])
    .split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
let cleanup = Cleanup()
let backends = (option("--stores") ?? "file,etcd").split(separator: ",").compactMap { Backend(rawValue: String($0)) }
let scratch = (option("--scratch") ?? (isTmpfs("/dev/shm") ? "/dev/shm" : "/tmp")) + "/tabby-bench-\(getpid())"
let bench = Bench(
    tabbyd: option("--tabbyd") ?? binDirectory + "/tabbyd",
    scratch: scratch, runs: max(1, option("--runs").flatMap { Int($0) } ?? (quick ? 2 : 3)), writes: writeCount,
    replayRuns: quick ? 3 : 7, pid: getpid(), cleanup: cleanup,
    etcdData: option("--etcd-data").map { "\($0)/tabby-bench-\(getpid())-etcd" } ?? scratch)
guard getuid() == 0 else {
    print("agent-bench: needs root (it creates network namespaces and runs tabbyd in them)")
    exit(2)
}
guard FileManager.default.isExecutableFile(atPath: bench.tabbyd) else {
    print("agent-bench: no tabbyd at \(bench.tabbyd); build it (swift build -c release --product tabbyd)")
    exit(2)
}
let signalSources = cleanup.installSignalHandlers()
try FileManager.default.createDirectory(atPath: bench.scratch, withIntermediateDirectories: true)
cleanup.created(directory: bench.scratch)

if arguments.contains("--bgp") {
    print("agent-bench --bgp: tabbyd \(bench.tabbyd), scratch \(bench.scratch)")
    do {
        try await BGPBench(bench: bench, quick: quick).run()
    } catch {
        print("agent-bench --bgp: \(error)")
        cleanup.runAll()
        exit(1)
    }
    cleanup.runAll()
    _ = signalSources
    exit(0)
}
if bench.etcdData != bench.scratch {
    try FileManager.default.createDirectory(atPath: bench.etcdData, withIntermediateDirectories: true)
}

print("agent-bench: tabbyd \(bench.tabbyd), scratch \(bench.scratch)")
print(
    "  200 nodes, VXLAN pool \(Cluster.pool) (/\(Cluster.blockSize) blocks), node-0 with 100 local endpoints; "
        + "\(bench.runs) cold starts per cluster, \(bench.writes) endpoint writes per cluster")
var scenarios: [Scenario] = []
do {
    for backend in backends {
        for remote in [0, 9_900] {
            let scenario = try await Scenario(index: scenarios.count, remote: remote, backend: backend, bench: bench)
            print(
                "  \(backend.rawValue): cluster of \(scenario.cluster.endpointCount) endpoints: "
                    + "\(scenario.cluster.resources.count) resources written in "
                    + String(format: "%.1f s", scenario.populateSeconds)
                    + (scenario.etcd.map { " (etcd \($0.endpoint), data in \(bench.etcdData))" } ?? ""))
            try scenario.measureColdStarts(bench: bench)
            scenarios.append(scenario)
        }
    }
    try await measureLatency(scenarios, bench: bench)
} catch {
    print("agent-bench: \(error)")
    cleanup.runAll()
    exit(1)
}
cleanup.runAll()
if bench.etcdData != bench.scratch { try? FileManager.default.removeItem(atPath: bench.etcdData) }
_ = signalSources
printReport(scenarios, bench: bench)
