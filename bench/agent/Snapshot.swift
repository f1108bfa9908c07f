import CalicoAPI
import Datastore
import Foundation
import Glibc

/// `agent-bench --snapshot DIR`: where the datastore side of tabbyd's cold start goes, in this process, without
/// root or namespaces. DIR is a datastore (`--populate DIR` writes the 10,000-endpoint cluster). Each phase runs
/// over every resource file of the kinds tabbyd watches, `runs` times (median):
///   - read: the files' bytes (open, read, close);
///   - parse: `ManifestParser.parse` of each file (YAML into manifest nodes);
///   - decode: `ResourceCodec.decode` of each file (parse, decode, defaults, validation);
///   - list: `FileDatastore.list` of every watched kind;
///   - watch: `FileDatastore.watch` until `.synced` (the agent's snapshot), the events kept;
/// and this process's VmRSS after the watch, with its events still held and after they are dropped.
enum SnapshotPhases {
    /// The kinds tabbyd watches (CalculationPipeline.watchedKinds).
    static let watchedKinds: Set<ResourceKind> = [
        .ipPool, .node, .ipamBlock, .workloadEndpoint, .hostEndpoint, .felixConfiguration,
        .globalNetworkPolicy, .networkPolicy, .tier, .profile, .namespace, .globalNetworkSet, .networkSet,
    ]

    static func run(directory: String, runs: Int) async throws {
        let store = try FileDatastore(directory: directory)
        let paths = resourceFiles(under: directory)
        print("agent-bench: snapshot phases of \(directory): \(count(paths.count)) files, median of \(runs)")
        var texts: [String] = []
        let read = try measure(runs) {
            texts = try paths.map { path in
                guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
                return String(decoding: data, as: UTF8.self)
            }
        }
        let parse = try measure(runs) {
            for (path, text) in zip(paths, texts) { _ = try ManifestParser.parse(text, source: path) }
        }
        var problems = 0
        let decode = try measure(runs) {
            problems = 0
            for (path, text) in zip(paths, texts) { problems += ResourceCodec.decode(text, source: path).errors.count }
        }
        let list = try await measureAsync(runs) {
            for kind in watchedKinds.sorted() { _ = try await store.list(kind, namespace: nil) }
        }
        let baseRSS = memory(of: getpid()).rss
        var events: [WatchEvent] = []
        let watch = try await measureAsync(runs) {
            events = try await snapshot(store)
        }
        let heldRSS = memory(of: getpid()).rss
        let eventCount = events.count
        events = []
        let droppedRSS = memory(of: getpid()).rss
        print("| phase | wall | CPU (all threads) | CPU per file |")
        print("|---|---|---|---|")
        for (name, value) in [("read", read), ("parse", parse), ("decode", decode), ("list", list), ("watch", watch)] {
            let perFile = String(format: "%.1f µs", value.cpu * 1000 / Double(paths.count))
            print("| \(name) | \(ms(value.wall)) | \(ms(value.cpu)) | \(perFile) |")
        }
        print(
            "watch events: \(count(eventCount)) (problems in decode: \(problems)); VmRSS before the watch "
                + "\(mib(baseRSS)) MiB, with the events held \(mib(heldRSS)) MiB, after dropping them "
                + "\(mib(droppedRSS)) MiB, VmHWM \(mib(memory(of: getpid()).peak)) MiB")
    }

    /// The watch's snapshot: every event until `.synced`.
    static func snapshot(_ store: FileDatastore) async throws -> [WatchEvent] {
        var events: [WatchEvent] = []
        for try await event in store.watch(watchedKinds) {
            if event == .synced { break }
            events.append(event)
        }
        return events
    }

    /// Every `.yaml` file of the watched kinds' directories, sorted.
    static func resourceFiles(under directory: String) -> [String] {
        let directories = watchedKinds.map { kind in
            (kind.isIPAM ? directory + "/ipam/" : directory + "/") + kind.plural
        }
        var paths: [String] = []
        for kindDirectory in directories {
            guard let enumerator = FileManager.default.enumerator(atPath: kindDirectory) else { continue }
            for case let relative as String in enumerator where relative.hasSuffix(".yaml") {
                if !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                    paths.append(kindDirectory + "/" + relative)
                }
            }
        }
        return paths.sorted()
    }

    /// Wall and CPU time (user + system, all threads of this process) of one phase, in milliseconds.
    struct Timing {
        var wall: Double
        var cpu: Double
    }

    static func measure(_ runs: Int, _ body: () throws -> Void) throws -> Timing {
        var wall: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<runs {
            let (start, startCPU) = (ContinuousClock.now, cpuMilliseconds())
            try body()
            wall.append(milliseconds(ContinuousClock.now - start))
            cpu.append(cpuMilliseconds() - startCPU)
        }
        return Timing(wall: median(wall), cpu: median(cpu))
    }

    static func measureAsync(_ runs: Int, _ body: () async throws -> Void) async throws -> Timing {
        var wall: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<runs {
            let (start, startCPU) = (ContinuousClock.now, cpuMilliseconds())
            try await body()
            wall.append(milliseconds(ContinuousClock.now - start))
            cpu.append(cpuMilliseconds() - startCPU)
        }
        return Timing(wall: median(wall), cpu: median(cpu))
    }

    /// This process's CPU time so far (every thread), in milliseconds.
    static func cpuMilliseconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func ms(_ time: timeval) -> Double { Double(time.tv_sec) * 1000 + Double(time.tv_usec) / 1000 }
        return ms(usage.ru_utime) + ms(usage.ru_stime)
    }
}
