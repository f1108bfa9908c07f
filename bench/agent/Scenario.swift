import Datastore
import Etcd
import Foundation
import Glibc

/// What every measurement needs: where tabbyd is, where scratch files go, how many runs, and the cleanup list.
struct Bench {
    let tabbyd: String
    let scratch: String
    let runs: Int
    let writes: Int
    let replayRuns: Int
    let pid: pid_t
    let cleanup: Cleanup
    /// Where the etcd members keep their data (the scratch directory unless `--etcd-data DIR`).
    let etcdData: String

    func namespace(_ suffix: String, interfaces: [String]) throws -> NodeNamespace {
        try NodeNamespace(
            name: "tabby-bench-\(pid)-\(suffix)", interfaces: interfaces, scratch: scratch, cleanup: cleanup)
    }

    func writeLines(_ lines: [String], _ name: String) throws -> String {
        let path = "\(scratch)/\(name)"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }
}

/// The state tabbyd programmed as files for the tools: the cold start and the replay of a script-based agent.
struct Scripts {
    var ip: String
    var bridge: String
    var sysctl: [String]
    var ipReplay: String
    var bridgeReplay: String

    init(_ view: KernelView, bench: Bench, tag: String) throws {
        ip = try bench.writeLines(try view.ipColdStart(), "\(tag)-cold.batch")
        bridge = try bench.writeLines(view.bridgeColdStart, "\(tag)-cold.bridge")
        sysctl = view.sysctlArguments
        ipReplay = try bench.writeLines(view.ipReplay, "\(tag)-replay.batch")
        bridgeReplay = try bench.writeLines(view.bridgeReplay, "\(tag)-replay.bridge")
    }

    /// Loads the cold start into a namespace: ip -batch, bridge -batch, one sysctl process.
    func load(into namespace: String) throws {
        try Processes.run("ip", "-n", namespace, "-batch", ip)
        try Processes.run("bridge", "-n", namespace, "-batch", bridge)
        try writeSysctls(in: namespace)
    }

    func replay(in namespace: String) throws {
        try Processes.run("ip", "-n", namespace, "-batch", ipReplay)
        try Processes.run("bridge", "-n", namespace, "-batch", bridgeReplay)
    }

    func writeSysctls(in namespace: String) throws {
        try Processes.run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w"] + sysctl)
    }
}

/// Which datastore a scenario's tabbyd reads: a file datastore directory in the scratch directory, or an etcd
/// member of its own (one per scenario: tabbyd reads every key under `/calico/`).
enum Backend: String {
    case file
    case etcd
}

/// One cluster size on one datastore: the datastore, and everything measured with it.
final class Scenario {
    let index: Int
    let backend: Backend
    let cluster: Cluster
    /// How tabbyd is told about the datastore (`--datastore DIR`, or `--datastore-type etcdv3 --etcd-endpoints`).
    let datastoreArguments: [String]
    let store: any Datastore
    /// The scenario's etcd member, stopped when the scenario is done with.
    let etcd: EtcdMember?
    let populateSeconds: Double
    /// etcd's WAL fsyncs during the latency writes, and their mean duration in milliseconds.
    var latencyFsyncs = Double.nan
    var latencyFsyncMean = Double.nan
    var interfaces: [String] { cluster.local.map(\.interface) + cluster.extra.map(\.interface) }

    var view: KernelView?
    var scripts: Scripts?
    var scriptMatches = true

    var coldTabbyd: [Double] = []
    var coldScript: [Double] = []
    var initialApply: [Double] = []
    /// Kernel writes made by the time tabbyd was ready.
    var coldWrites = 0
    /// Milliseconds after the spawn: tabbyd's first log line, status server listening, datastore in sync,
    /// first apply logged.
    var phases: [[Double]] = [[], [], [], []]

    var latency: [Double] = []
    var create: [Double] = []
    /// tabbyd's own duration of the apply that programmed each new endpoint (`/status` lastApply).
    var writeApply: [Double] = []
    var ipRouteAdd: [Double] = []

    var resyncs = 0
    var resyncApplies: [Double] = []
    var resyncApplyWrites: [Int] = []
    var resyncWrites = Double.nan
    /// Applies during the resync window that no resync started (kernel notifications, e.g. IPv6 link-local
    /// addresses appearing after start).
    var otherApplies = 0
    var replay: [Double] = []
    var replaySysctl: [Double] = []

    var rssAfterStart: [Double] = []
    var rssAfterResync = Double.nan
    var rssAfterWrites = Double.nan
    var peak = Double.nan
    var busy: [Double] = []

    init(index: Int, remote: Int, backend: Backend, bench: Bench) async throws {
        self.index = index
        self.backend = backend
        cluster = try Cluster(nodes: 200, local: 100, remote: remote, extra: bench.writes)
        let started = ContinuousClock.now
        switch backend {
        case .file:
            let directory = "\(bench.scratch)/datastore-\(index)"
            datastoreArguments = ["--datastore", directory]
            store = try await cluster.populate(directory)
            etcd = nil
        case .etcd:
            let member = try EtcdMember(name: "s\(index)", parent: bench.etcdData, cleanup: bench.cleanup)
            etcd = member
            datastoreArguments = ["--datastore-type", "etcdv3", "--etcd-endpoints", member.endpoint]
            store = try Datastores.open(.etcdV3(EtcdSettings(endpoints: [member.endpoint])))
            try await cluster.populate(store, concurrency: 16)
        }
        populateSeconds = milliseconds(ContinuousClock.now - started) / 1000
    }

    /// `file` or `etcd`, and the cluster's endpoints: how the report names the scenario.
    var label: String { "\(backend.rawValue), \(count(cluster.endpointCount))" }

    func startTabbyd(in namespace: String, tag: String, bench: Bench, arguments: [String] = []) throws -> Tabbyd {
        let relay = try etcd.map { try LoopbackForwarder(namespace: namespace, port: $0.port) }
        do {
            return try Tabbyd(
                binary: bench.tabbyd, namespace: namespace, datastoreArguments: datastoreArguments,
                scratch: bench.scratch, tag: "s\(index)\(tag)", extraArguments: arguments, relay: relay,
                cleanup: bench.cleanup)
        } catch {
            relay?.stop()
            throw error
        }
    }

    /// Cold starts: tabbyd and the scripts into fresh namespaces, alternating which goes first (the first run
    /// starts tabbyd first: what it programs becomes the scripts). The last run's tabbyd resyncs every 2 s and
    /// measures the steady state.
    func measureColdStarts(bench: Bench) throws {
        for run in 0..<bench.runs {
            let lastRun = run == bench.runs - 1
            let tabbyNamespace = try bench.namespace("s\(index)t\(run)", interfaces: interfaces)
            let scriptNamespace = try bench.namespace("s\(index)i\(run)", interfaces: interfaces)
            var started: Tabbyd?
            func startTabbyd() throws {
                busy.append(waitForQuiet())
                let tabbyd = try self.startTabbyd(
                    in: tabbyNamespace.name, tag: "r\(run)", bench: bench,
                    arguments: lastRun ? ["--felix", "routeRefreshInterval=2s"] : [])
                started = tabbyd
                coldTabbyd.append(tabbyd.coldStart)
                initialApply.append(
                    (tabbyd.client.metric("tabby_int_dataplane_initial_resync_time_seconds") ?? .nan) * 1000)
                coldWrites = Int(tabbyd.client.metric("tabby_int_dataplane_kernel_writes_total") ?? -1)
                rssAfterStart.append(memory(of: tabbyd.pid).rss)
                let errors = tabbyd.client.errors()
                if !errors.isEmpty { print("    tabbyd reports: \(errors.prefix(5).joined(separator: "; "))") }
                if scripts == nil {
                    let view = try KernelView(namespace: tabbyNamespace.name)
                    self.view = view
                    scripts = try Scripts(view, bench: bench, tag: "s\(index)")
                }
            }
            func loadScripts() throws {
                guard let scripts else { throw BenchError("no scripts: tabbyd has not run yet") }
                busy.append(waitForQuiet())
                let start = ContinuousClock.now
                try scripts.load(into: scriptNamespace.name)
                coldScript.append(milliseconds(ContinuousClock.now - start))
            }
            if run % 2 == 0 {
                try startTabbyd()
                try loadScripts()
            } else {
                try loadScripts()
                try startTabbyd()
            }
            guard let tabbyd = started, let view else { throw BenchError("tabbyd did not start") }
            let programmed = try KernelView(namespace: tabbyNamespace.name)
            let scripted = try KernelView(namespace: scriptNamespace.name)
            if !(view.matches(programmed) && view.matches(scripted)) {
                scriptMatches = false
                print(
                    "    run \(run): the namespaces differ (tabbyd \(programmed.routes.count) routes, "
                        + "script \(scripted.routes.count))")
            }
            if lastRun { try measureResync(tabbyd, scriptNamespace: scriptNamespace.name, bench: bench) }
            if let phases = tabbyd.startupPhases() {
                for (index, value) in [phases.starting, phases.listening, phases.inSync, phases.applied].enumerated() {
                    self.phases[index].append(value)
                }
            }
            tabbyd.stop()
        }
    }

    /// Waits for three periodic resyncs and reads what they wrote; an apply counts as a resync's when
    /// `tabby_resyncs_started_total` went up since the previous apply. Then the scripts' replay, as a
    /// script-based agent does on each resync.
    private func measureResync(_ tabbyd: Tabbyd, scriptNamespace: String, bench: Bench) throws {
        usleep(500_000)
        let client = tabbyd.client
        let writesBefore = client.metric("tabby_int_dataplane_kernel_writes_total") ?? .nan
        let resyncsBefore = client.metric("tabby_resyncs_started_total") ?? .nan
        var resyncsSeen = resyncsBefore
        var last = client.lastApply()?.time
        let deadline = ContinuousClock.now + .seconds(12)
        while resyncApplies.count < 3 && ContinuousClock.now < deadline {
            usleep(10_000)
            let resyncs = client.metric("tabby_resyncs_started_total") ?? resyncsSeen
            if let apply = client.lastApply(), apply.time != last {
                last = apply.time
                if resyncs > resyncsSeen {
                    resyncApplies.append(apply.seconds * 1000)
                    resyncApplyWrites.append(apply.writes)
                } else {
                    otherApplies += 1
                }
                resyncsSeen = resyncs
            }
        }
        resyncWrites = (client.metric("tabby_int_dataplane_kernel_writes_total") ?? .nan) - writesBefore
        resyncs = Int((client.metric("tabby_resyncs_started_total") ?? .nan) - resyncsBefore)
        let memory = memory(of: tabbyd.pid)
        rssAfterResync = memory.rss
        peak = memory.peak
        guard let scripts else { throw BenchError("no scripts") }
        busy.append(waitForQuiet())
        for _ in 0..<bench.replayRuns {
            var start = ContinuousClock.now
            try scripts.replay(in: scriptNamespace)
            replay.append(milliseconds(ContinuousClock.now - start))
            start = ContinuousClock.now
            try scripts.writeSysctls(in: scriptNamespace)
            replaySysctl.append(milliseconds(ContinuousClock.now - start))
        }
    }
}

/// Latency, with one tabbyd per cluster size running side by side, the writes interleaved between them so
/// that both see the same machine: for each scenario in turn, one new WorkloadEndpoint is created in the
/// datastore and its /32 route awaited (netlink notification), then one `ip route add` of that route is run
/// into the scenario's script namespace.
func measureLatency(_ scenarios: [Scenario], bench: Bench) async throws {
    var running: [(scenario: Scenario, tabbyd: Tabbyd, arrivals: RouteArrivals, script: NodeNamespace)] = []
    var namespaces: [NodeNamespace] = []
    for scenario in scenarios {
        guard let scripts = scenario.scripts else { throw BenchError("no scripts") }
        let tabbyNamespace = try bench.namespace("s\(scenario.index)tl", interfaces: scenario.interfaces)
        let scriptNamespace = try bench.namespace("s\(scenario.index)il", interfaces: scenario.interfaces)
        namespaces.append(tabbyNamespace)
        try scripts.load(into: scriptNamespace.name)
        let arrivals = try RouteArrivals(namespace: tabbyNamespace.name)
        let tabbyd = try scenario.startTabbyd(in: tabbyNamespace.name, tag: "latency", bench: bench)
        running.append((scenario, tabbyd, arrivals, scriptNamespace))
    }
    // Let both finish what follows their start (kernel notifications of their own writes).
    usleep(500_000)
    for scenario in scenarios { scenario.busy.append(waitForQuiet()) }
    let fsyncsBefore = scenarios.map { $0.etcd?.walFsyncs() }
    for number in 0..<bench.writes {
        for (scenario, tabbyd, arrivals, script) in running {
            let endpoint = scenario.cluster.extra[number]
            let start = ContinuousClock.now
            _ = try await scenario.store.create(endpoint.resource)
            let written = ContinuousClock.now
            guard let arrived = arrivals.wait(for: endpoint.route, timeout: .seconds(10)) else {
                throw BenchError("no route \(endpoint.route) within 10 s; tabbyd log:\n" + tabbyd.logTail())
            }
            scenario.latency.append(milliseconds(arrived - start))
            scenario.create.append(milliseconds(written - start))
            let ipStart = ContinuousClock.now
            try Processes.run("ip", "-n", script.name, "route", "add", endpoint.route, "dev", endpoint.interface)
            scenario.ipRouteAdd.append(milliseconds(ContinuousClock.now - ipStart))
            // Let tabbyd finish the endpoint's sysctls (written after the route) before the next write.
            usleep(10_000)
            if let apply = tabbyd.client.lastApply() { scenario.writeApply.append(apply.seconds * 1000) }
        }
    }
    for (scenario, before) in zip(scenarios, fsyncsBefore) {
        guard let before, let after = scenario.etcd?.walFsyncs() else { continue }
        scenario.latencyFsyncs = after.count - before.count
        scenario.latencyFsyncMean = 1000 * (after.seconds - before.seconds) / (after.count - before.count)
    }
    for (scenario, tabbyd, _, _) in running {
        scenario.rssAfterWrites = memory(of: tabbyd.pid).rss
        scenario.peak = max(scenario.peak.isNaN ? 0 : scenario.peak, memory(of: tabbyd.pid).peak)
        tabbyd.stop()
    }
    running.removeAll()
    namespaces.removeAll()
}
