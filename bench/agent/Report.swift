import Foundation

func count(_ value: Int) -> String {
    value >= 1000 ? "\(value / 1000),\(String(format: "%03d", value % 1000))" : "\(value)"
}

func mib(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.1f", value) }

/// Prints the tables (Markdown, as Docs/performance.md shows them).
func printReport(_ scenarios: [Scenario], bench: Bench) {
    print("")
    print("Cold start: spawn to /readiness 200. tabbyd starts, reads every resource of the datastore, dumps")
    print("the kernel and applies; the script (ip -batch + bridge -batch + one sysctl process) loads the same")
    print("state, read back from tabbyd's namespace, into a fresh one. tabbyd's phases from its log, in ms after")
    print("the spawn: process up, Node and tunnel addresses checked, datastore snapshot read, first apply done.")
    print("First apply: dump, plan and every kernel write (tabby_int_dataplane_initial_resync_time_seconds).")
    print("Median of \(bench.runs).")
    print(
        "| datastore, cluster endpoints | resources | programmed: routes (workload / blackhole / vxlan), neighbours, FDB, "
            + "writes | script | tabbyd | tabbyd: starting / listening / in sync / applied | first apply "
            + "| ratio script/tabbyd | ratio script/first apply |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scenario in scenarios {
        guard let view = scenario.view else { continue }
        let programmed =
            "\(view.routes.count) (\(view.workloadRoutes) / \(view.blackholes) / \(view.tunnelRoutes)), "
            + "\(view.neighbors.count), \(view.fdb.count), \(count(scenario.coldWrites))"
        let phases = scenario.phases.map { "\(Int(median($0).rounded()))" }.joined(separator: " / ")
        print(
            "| \(scenario.label) | \(count(scenario.cluster.resources.count)) | \(programmed) "
                + "| \(ms(median(scenario.coldScript))) | \(ms(median(scenario.coldTabbyd))) | \(phases) "
                + "| \(ms(median(scenario.initialApply))) "
                + "| \(ratio(median(scenario.coldScript) / median(scenario.coldTabbyd))) "
                + "| \(ratio(median(scenario.coldScript) / median(scenario.initialApply))) |")
    }
    print("")
    print("Steady-state resync with nothing changed: tabbyd with routeRefreshInterval=2s (dump links, addresses,")
    print("routes, neighbours, FDB, read every sysctl back, compare); the script replays every neighbour, route and")
    print("FDB entry with `replace` (ip -batch + bridge -batch), then every sysctl (one sysctl process).")
    print("\(bench.replayRuns) script runs.")
    print(
        "| datastore, cluster endpoints | resyncs (applies seen) | kernel writes (tabbyd) | tabbyd apply median | script replay "
            + "(writes) | + sysctl -w | ratio script/tabbyd (without / with sysctl) |")
    print("|---|---|---|---|---|---|---|")
    for scenario in scenarios {
        let scriptWrites = (scenario.view.map { $0.routes.count + $0.neighbors.count + $0.fdb.count }) ?? 0
        let tabby = median(scenario.resyncApplies)
        let withSysctl = median(zip(scenario.replay, scenario.replaySysctl).map { $0 + $1 })
        let others =
            scenario.otherApplies > 0
            ? "; \(scenario.otherApplies) other appl\(scenario.otherApplies == 1 ? "y" : "ies")" : ""
        print(
            "| \(scenario.label) | \(scenario.resyncs) (\(scenario.resyncApplies.count), "
                + "writes \(scenario.resyncApplyWrites.map(String.init).joined(separator: ","))\(others)) "
                + "| \(scenario.resyncWrites.isNaN ? "-" : String(Int(scenario.resyncWrites))) | \(ms(tabby)) "
                + "| \(ms(median(scenario.replay))) (\(scriptWrites)) | \(ms(withSysctl)) "
                + "| \(ratio(median(scenario.replay) / tabby)) / \(ratio(withSysctl / tabby)) |")
    }
    print("")
    print("Latency: the datastore's create() of one new WorkloadEndpoint (FileDatastore, or EtcdDatastore: one")
    print("transaction) until its /32 route is in the kernel")
    print("(netlink notification), \(bench.writes) writes per cluster, both clusters' tabbyd running and the writes")
    print("interleaved; against one `ip route add` process. tabbyd applies at once when it has been idle for 5 ms,")
    print("else at the end of that window.")
    print(
        "| datastore, cluster endpoints | write to route median | p99 | create() alone | tabbyd's apply "
            + "| ip route add median | p99 | ratio ip/tabbyd (median) | etcd WAL fsyncs per write, mean |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scenario in scenarios {
        let fsyncs =
            scenario.latencyFsyncs.isNaN
            ? "-"
            : String(
                format: "%.2f, %.2f ms", scenario.latencyFsyncs / Double(max(1, scenario.latency.count)),
                scenario.latencyFsyncMean)
        print(
            "| \(scenario.label) | \(ms(median(scenario.latency))) "
                + "| \(ms(p99(scenario.latency))) | \(ms(median(scenario.create))) "
                + "| \(ms(median(scenario.writeApply))) "
                + "| \(ms(median(scenario.ipRouteAdd))) | \(ms(p99(scenario.ipRouteAdd))) "
                + "| \(ratio(median(scenario.ipRouteAdd) / median(scenario.latency))) | \(fsyncs) |")
    }
    for backend in [Backend.file, .etcd] {
        let pair = scenarios.filter { $0.backend == backend }
        guard pair.count == 2 else { continue }
        print(
            "\(backend.rawValue): latency ratio 10,000 / 100 endpoints: median "
                + ratio(median(pair[1].latency) / median(pair[0].latency)) + ", p99 "
                + ratio(p99(pair[1].latency) / p99(pair[0].latency)) + ".")
    }
    print("")
    print("Memory of tabbyd (MiB).")
    print(
        "| datastore, cluster endpoints | VmRSS after cold start (median) | after the resyncs | after the writes "
            + "| VmHWM (highest) |")
    print("|---|---|---|---|---|")
    for scenario in scenarios {
        print(
            "| \(scenario.label) | \(mib(median(scenario.rssAfterStart))) "
                + "| \(mib(scenario.rssAfterResync)) | \(mib(scenario.rssAfterWrites)) | \(mib(scenario.peak)) |")
    }
    print("")
    let busy = scenarios.flatMap(\.busy)
    print(
        "Machine busy before measurements (other tenants; the gate waits up to 3 s for < 25 %): median "
            + "\(String(format: "%.0f", median(busy)))%, max \(String(format: "%.0f", busy.max() ?? .nan))%. "
            + "Scripts reproduced tabbyd's state: \(scenarios.allSatisfy(\.scriptMatches) ? "yes" : "NO").")
    printComparison(scenarios)
    if !scenarios.allSatisfy({ $0.resyncWrites == 0 }) {
        print("WARNING: a resync with nothing changed wrote to the kernel")
    }
}

/// etcd against the file datastore, cluster size by cluster size, and the issue's goals for etcd.
func printComparison(_ scenarios: [Scenario]) {
    let etcd = scenarios.filter { $0.backend == .etcd }
    guard !etcd.isEmpty else { return }
    print("")
    print("etcd against the file datastore (same run):")
    for scenario in etcd {
        let file = scenarios.first { $0.backend == .file && $0.cluster.endpointCount == scenario.cluster.endpointCount }
        let cold = median(scenario.coldTabbyd)
        let tail = p99(scenario.latency)
        var line = "  \(count(scenario.cluster.endpointCount)) endpoints: cold start \(ms(cold))"
        if let file { line += " (file \(ms(median(file.coldTabbyd))), \(ratio(cold / median(file.coldTabbyd))))" }
        line += ", write to route p99 \(ms(tail))"
        if let file { line += " (file \(ms(p99(file.latency))), \(ratio(tail / p99(file.latency))))" }
        print(line)
    }
    if let large = etcd.first(where: { $0.cluster.endpointCount == 10_000 }) {
        let cold = median(large.coldTabbyd)
        let tail = p99(large.latency)
        print(
            "  goals over etcd with 10,000 endpoints: cold start < 1 s: \(ms(cold)) \(cold < 1000 ? "met" : "NOT met"); "
                + "write to route p99 < 10 ms: \(ms(tail)) \(tail < 10 ? "met" : "NOT met")")
    }
}
