// cni-bench: ADD and DEL latency of tabby + tabby-ipam against containernetworking-plugins' ptp + host-local, in
// one run. Each plugin is exec'd as a runtime does it (CNI_* environment, config on stdin) inside a "node"
// namespace of the bench's own, one fresh container namespace per ADD (created before the timing starts).
// Run it through bench/cni/run.sh (root), which builds the release binaries and cleans up after any ending.
//   --count N          ADDs (then DELs) per plugin set, one at a time and in parallel rounds (default 100)
//   --parallel P       ADDs started at once in a round (default 20)
//   --version-runs V   VERSION execs per plugin (default 50)
//   --tabby-dir DIR    where tabby and tabby-ipam are (default: the release bin path run.sh passes)
//   --reference-dir D  where ptp and host-local are (default /usr/lib/cni)
//   --work DIR         the bench's own directory for configs, datastore and host-local state (default: a new one)
//   --no-gate          do not wait for a quiet machine before each measurement
//   --only tabby|ptp   run one plugin set alone (to check the harness itself)
import Foundation
import Glibc

struct Options {
    var count = 100
    var parallel = 20
    var versionRuns = 50
    var tabbyDirectory = ""
    var referenceDirectory = "/usr/lib/cni"
    var work = ""
    var gate = true
    var only: String?

    func runs(_ label: String) -> Bool { only == nil || only == label }

    /// Both sets' pools are one /24 each, and every sequential container holds its address until the DELs.
    static let maximumCount = 200

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw BenchError("\(flag): needs a value") }
            return value
        }
        func number(_ flag: String, in range: ClosedRange<Int>) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), range.contains(number) else {
                throw BenchError(
                    "\(flag): \"\(text)\" is not a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--count": count = try number(flag, in: 1...Options.maximumCount)
            case "--parallel": parallel = try number(flag, in: 1...Options.maximumCount)
            case "--version-runs": versionRuns = try number(flag, in: 0...10_000)
            case "--tabby-dir": tabbyDirectory = try value(flag)
            case "--reference-dir": referenceDirectory = try value(flag)
            case "--work": work = try value(flag)
            case "--no-gate": gate = false
            case "--only":
                let label = try value(flag)
                guard ["tabby", "ptp"].contains(label) else {
                    throw BenchError("--only: \"\(label)\" is not tabby or ptp")
                }
                only = label
            default: throw BenchError("\(flag): unknown option (see the head of bench/cni/main.swift)")
            }
        }
        var paths: [String] = []
        if runs("tabby") {
            guard !tabbyDirectory.isEmpty else { throw BenchError("--tabby-dir: missing (run bench/cni/run.sh)") }
            paths += ["\(tabbyDirectory)/tabby", "\(tabbyDirectory)/tabby-ipam"]
        }
        if runs("ptp") { paths += ["\(referenceDirectory)/ptp", "\(referenceDirectory)/host-local"] }
        for path in paths where access(path, X_OK) != 0 {
            throw BenchError("\(path): not an executable (ptp/host-local come with containernetworking-plugins)")
        }
    }
}

func report(_ bench: Bench, options: Options) {
    let labels = bench.sets.map(\.label)
    say("")
    say("case | \(labels.map { "\($0) median / p99 / mean (cpu)" }.joined(separator: " | ")) | ratio median / p99")
    for (name, samples) in bench.cases {
        let columns = samples.map {
            "\(ms($0.median)) / \(ms($0.p99)) / \(ms($0.mean)) ms (\(ms($0.cpuMedian))) n=\($0.wall.count)"
        }
        let line = "\(name) | \(columns.joined(separator: " | "))"
        guard samples.count == 2 else {
            say(line)
            continue
        }
        say("\(line) | \(ratio(samples[0].median / samples[1].median)) / \(ratio(samples[0].p99 / samples[1].p99))")
    }
    say("")
    for name in ["ADD, one at a time", "ADD, \(options.parallel) in parallel"] {
        guard let samples = bench.samples[name], samples.count == 2 else { continue }
        let within = samples[0].p99 <= 1.5 * samples[1].p99
        var line = "goal \(name): tabby p99 \(ms(samples[0].p99)) ms is \(ratio(samples[0].p99 / samples[1].p99)) of "
        line += "ptp's \(ms(samples[1].p99)) ms: within 1.5x \(within ? "MET" : "MISSED")"
        line += "; under 20 ms \(samples[0].p99 < 20 ? "MET" : "MISSED")"
        say(line)
    }
    let readings = bench.gate.readings.sorted()
    if !readings.isEmpty {
        say(
            "machine busy before each measurement (other tenants): median \(ms(percentile(readings, 0.5))) %, "
                + "max \(ms(readings.last ?? .nan)) %; gave up waiting for < \(Int(bench.gate.threshold)) % "
                + "\(bench.gate.timeouts) times")
    }
    say("load average at the end: \(loadAverage())")
}

func main() -> Int32 {
    let options: Options
    do {
        options = try Options(Array(CommandLine.arguments.dropFirst()))
    } catch {
        FileHandle.standardError.write(Data("cni-bench: \(error)\n".utf8))
        return 2
    }
    let namespaces = Namespaces()
    var work = options.work
    let ownWork = work.isEmpty
    defer {
        namespaces.deleteAll()
        if ownWork, !work.isEmpty { try? FileManager.default.removeItem(atPath: work) }
    }
    do {
        if ownWork {
            var template = Array("/var/tmp/tabby-cni-bench.XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw BenchError("mkdtemp: \(String(cString: strerror(errno)))")
            }
            work = String(cString: made)
        }
        say(
            "cni-bench: \(options.count) containers per plugin set one at a time, then in rounds of \(options.parallel)"
        )
        if options.runs("tabby") { say("  tabby: \(options.tabbyDirectory)/tabby + tabby-ipam") }
        if options.runs("ptp") { say("  ptp: \(options.referenceDirectory)/ptp + host-local") }
        say("  work directory \(work); load average at the start: \(loadAverage())")
        try namespaces.enterNode()
        let node = "cni-bench-node"
        var sets: [PluginSet] = []
        if options.runs("tabby") {
            sets.append(
                try PluginSet.tabby(binDirectory: options.tabbyDirectory, datastore: "\(work)/datastore", node: node))
        }
        if options.runs("ptp") {
            sets.append(
                PluginSet.ptp(referenceDirectory: options.referenceDirectory, dataDirectory: "\(work)/host-local"))
        }
        let bench = try Bench(sets: sets, namespaces: namespaces, work: work, gate: QuietGate(enabled: options.gate))
        say("start-up: VERSION, \(options.versionRuns) runs per plugin")
        try bench.version(runs: options.versionRuns)
        say("one at a time: \(options.count) ADDs, then \(options.count) DELs per set")
        try bench.sequential(count: options.count)
        say("in parallel: rounds of \(options.parallel) ADDs at once, then \(options.parallel) DELs at once")
        try bench.parallel(count: options.count, width: options.parallel)
        report(bench, options: options)
        return 0
    } catch {
        FileHandle.standardError.write(Data("cni-bench: \(error)\n".utf8))
        return 1
    }
}

exit(main())
