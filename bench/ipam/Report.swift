import Foundation

/// Prints the throughput table (Markdown, as Docs/performance.md shows it) and the goal's verdict.
final class ThroughputReport {
    let operations: Int
    let repetitions: Int
    let stores: [BenchStore]
    let scratch: String
    /// The median operations/s per store and writer count.
    private var rates: [String: [Int: Double]] = [:]
    /// The file datastore's 8-writer figure in Docs/performance.md (2026-11-24): the goal is 3x it.
    static let documentedFile8 = 191.0

    init(operations: Int, repetitions: Int, stores: [BenchStore], scratch: String) {
        self.operations = operations
        self.repetitions = repetitions
        self.stores = stores
        self.scratch = scratch
    }

    func printHeader(etcdEndpoint: String?) {
        print(
            "IPAM throughput: \(operations) operations per writer (~55% assign, ~45% release), writers on 4 nodes, "
                + "median of \(repetitions); file datastore and etcd data under \(scratch)"
                + (etcdEndpoint.map { ", etcd 3.4 member at \($0)" } ?? ""))
        print("load average at the start: \(loadAverage())")
        var header = "| writers |"
        var rule = "|---|"
        for store in stores {
            header += " \(store.name): ops/s (assigns/s), wall |"
            rule += "---|"
        }
        if stores.count == 2 {
            header += " etcd / file |"
            rule += "---|"
        }
        if stores.contains(where: { $0.name == "etcd" }) {
            header += " etcd per operation: txns / ranges / WAL fsyncs | WAL fsync mean, backend commit mean |"
            rule += "---|---|"
        }
        print(header)
        print(rule)
    }

    func printRow(writers: Int, results: [String: [RunResult]]) {
        var row = "| \(writers) |"
        for store in stores {
            let runs = results[store.name] ?? []
            let opsRate = median(runs.map { Double($0.operations) / $0.seconds })
            rates[store.name, default: [:]][writers] = opsRate
            let assignRate = median(runs.map { Double($0.assigns) / $0.seconds })
            row += String(format: " %.0f (%.0f), %.2f s |", opsRate, assignRate, median(runs.map(\.seconds)))
        }
        if stores.count == 2, let file = rates["file"]?[writers], let etcd = rates["etcd"]?[writers] {
            row += String(format: " %.2fx |", etcd / file)
        }
        if let runs = results["etcd"], !runs.isEmpty {
            let counters = runs.compactMap(\.etcd)
            let perOperation = { (value: (EtcdCounters) -> Double) in
                median(zip(counters, runs).map { value($0) / Double($1.operations) })
            }
            let fsyncMean = median(counters.map { $0.fsyncs > 0 ? 1000 * $0.fsyncSeconds / $0.fsyncs : .nan })
            let commitMean = median(counters.map { $0.commits > 0 ? 1000 * $0.commitSeconds / $0.commits : .nan })
            row += String(
                format: " %.2f / %.2f / %.2f | %.2f ms, %.2f ms |", perOperation { $0.txns + $0.otherWrites },
                perOperation(\.ranges), perOperation(\.fsyncs), fsyncMean, commitMean)
        }
        print(row)
    }

    func printFooter() {
        print("load average at the end: \(loadAverage())")
        guard let etcd = rates["etcd"]?[8] else { return }
        let file = rates["file"]?[8]
        let goal = 3 * Self.documentedFile8
        var verdict = String(format: "8 writers over etcd: %.0f ops/s, goal >= %.0f (3x the documented %.0f)", etcd, goal,
            Self.documentedFile8)
        if let file { verdict += String(format: "; %.2fx the file datastore's %.0f in this run", etcd / file, file) }
        verdict += etcd >= goal && (file.map { etcd >= 3 * $0 } ?? true) ? ": met" : ": NOT met"
        print(verdict)
    }
}
