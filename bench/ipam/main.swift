// ipam-bench: IPAM assignment throughput with 1, 2 and 8 concurrent writer processes, on the file datastore and
// on etcd v3 (one member on loopback, its data on the same disk) in the same run, and the worker those
// processes (and the IPAM concurrency tests) run.
//
//   ipam-bench [--ops N] [--writers 1,2,8] [--repeat N] [--stores file,etcd] [--scratch DIR]
//                                                       run the benchmark and print the figures
//   ipam-bench worker [--datastore-type etcdv3 --etcd-endpoints URLS | DIR] NODE OPS SEED LOGFILE
//                                                       assign and release at random, logging every step
import Datastore
import Etcd
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "worker" {
    let usage = "usage: ipam-bench worker [--datastore-type etcdv3 --etcd-endpoints URLS | DIR] NODE OPS SEED LOGFILE\n"
    do {
        let options = try DatastoreOptions(parsing: Array(arguments.dropFirst()))
        let rest = options.positional
        guard rest.count == 4, let operations = Int(rest[1]), let seed = UInt64(rest[2]) else {
            throw UsageError(usage)
        }
        let store = try Datastores.open(options.connection)
        try await worker(store: store, node: rest[0], operations: operations, seed: seed, logPath: rest[3])
    } catch {
        FileHandle.standardError.write("worker failed: \(error)\n".data(using: .utf8)!)
        exit(1)
    }
    exit(0)
}

var operations = 300
var writerCounts = [1, 2, 8]
var repetitions = 3
var storeNames = ["file", "etcd"]
var scratch = "/tmp"
var index = 0
while index < arguments.count {
    let value = index + 1 < arguments.count ? arguments[index + 1] : ""
    switch arguments[index] {
    case "--ops": operations = Int(value) ?? operations
    case "--writers": writerCounts = value.split(separator: ",").compactMap { Int($0) }
    case "--repeat": repetitions = Int(value) ?? repetitions
    case "--stores": storeNames = value.split(separator: ",").map(String.init)
    case "--scratch": scratch = value
    default:
        FileHandle.standardError.write("ipam-bench: unknown option \(arguments[index])\n".data(using: .utf8)!)
        exit(2)
    }
    index += 2
}

var member: EtcdMember?
if storeNames.contains("etcd") {
    do {
        member = try EtcdMember(parent: scratch)
    } catch {
        print("ipam-bench: \(error); measuring the file datastore only")
        storeNames.removeAll { $0 == "etcd" }
    }
}
let stores: [BenchStore] = storeNames.compactMap { name in
    switch name {
    case "file": .file(parent: scratch)
    case "etcd": member.map { .etcd($0) }
    default: nil
    }
}
let report = ThroughputReport(operations: operations, repetitions: repetitions, stores: stores, scratch: scratch)
report.printHeader(etcdEndpoint: member?.endpoint)
do {
    for writers in writerCounts {
        var results: [String: [RunResult]] = [:]
        // The stores alternate within each repetition, so that both see the same machine.
        for _ in 0..<repetitions {
            for store in stores {
                results[store.name, default: []].append(
                    try await runWriters(writers, operations: operations, store: store, logDirectory: scratch))
            }
        }
        report.printRow(writers: writers, results: results)
    }
} catch {
    print("ipam-bench: \(error)")
    member?.stop()
    exit(1)
}
report.printFooter()
member?.stop()
