import CalicoAPI
import Datastore
import Etcd
import Foundation
import NetworkAddress

#if canImport(Glibc)
    import Glibc
#endif

/// The datastore a throughput run writes to: a fresh file datastore directory under `parent`, or the
/// benchmark's etcd member, emptied before each run.
enum BenchStore {
    case file(parent: String)
    case etcd(EtcdMember)

    var name: String {
        switch self {
        case .file: "file"
        case .etcd: "etcd"
        }
    }
}

/// One run: `writers` processes of `operations` each, from the first spawn to the last exit.
struct RunResult {
    var seconds: Double
    var assigns: Int
    var operations: Int
    /// What etcd did during the run (nil for the file datastore).
    var etcd: EtcdCounters?
}

/// The cluster every run starts from: one pool of /26 blocks and `nodes` Nodes.
func seed(_ store: any Datastore, nodes: Int) async throws {
    var spec = IPPoolSpec(cidr: try CIDR(parsing: "10.128.0.0/16"))
    spec.blockSize = 26
    _ = try await store.create(AnyResource(IPPool(name: "bench", spec: spec)))
    for index in 0..<nodes { _ = try await store.create(AnyResource(Node(name: "node-\(index)"))) }
}

/// Makes a fresh datastore of `store`'s kind with the cluster in it; returns how workers reach it and how to
/// remove it.
func prepare(_ store: BenchStore, nodes: Int) async throws -> (connection: DatastoreConnection, remove: () -> Void) {
    switch store {
    case .file(let parent):
        let directory = "\(parent)/tabby-ipam-bench-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        try await seed(try FileDatastore(directory: directory), nodes: nodes)
        return (.file(directory: directory), { try? FileManager.default.removeItem(atPath: directory) })
    case .etcd(let member):
        try member.wipe()
        let connection = DatastoreConnection.etcdV3(EtcdSettings(endpoints: [member.endpoint]))
        let datastore = try Datastores.open(connection)
        try await seed(datastore, nodes: nodes)
        return (connection, {})
    }
}

/// Runs `writers` worker processes (two per node when there are 8) against a fresh datastore.
func runWriters(_ writers: Int, operations: Int, store: BenchStore, logDirectory: String) async throws -> RunResult {
    let (connection, remove) = try await prepare(store, nodes: 4)
    defer { remove() }
    var before: EtcdCounters?
    if case .etcd(let member) = store { before = try member.counters() }
    let start = monotonicNanoseconds()
    var processes: [Process] = []
    var logs: [String] = []
    for index in 0..<writers {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        let log = "\(logDirectory)/tabby-ipam-bench-\(getpid())-\(store.name)-w\(index).log"
        logs.append(log)
        process.arguments =
            ["worker"] + DatastoreOptions.arguments(for: connection)
            + ["node-\(index % 4)", String(operations), String(index + 1), log]
        try process.run()
        processes.append(process)
    }
    for process in processes { process.waitUntilExit() }
    let seconds = Double(monotonicNanoseconds() - start) / 1e9
    var result = RunResult(seconds: seconds, assigns: 0, operations: writers * operations)
    if case .etcd(let member) = store, let before { result.etcd = try member.counters() - before }
    for log in logs {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        result.assigns += text.split(separator: "\n").filter { $0.hasPrefix("A ") }.count
        try? FileManager.default.removeItem(atPath: log)
    }
    for process in processes where process.terminationStatus != 0 {
        throw UsageError("a \(store.name) worker exited with status \(process.terminationStatus)")
    }
    return result
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

/// The 1, 5 and 15 minute load averages, as /proc/loadavg has them.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}
