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
        "| cluster endpoints | datastore files | programmed: routes (workload / blackhole / vxlan), neighbours, FDB, "
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
            "| \(count(scenario.cluster.endpointCount)) | \(count(scenario.cluster.resources.count)) | \(programmed) "
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
        "| cluster endpoints | resyncs (applies seen) | kernel writes (tabbyd) | tabbyd apply median | script replay "
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
            "| \(count(scenario.cluster.endpointCount)) | \(scenario.resyncs) (\(scenario.resyncApplies.count), "
                + "writes \(scenario.resyncApplyWrites.map(String.init).joined(separator: ","))\(others)) "
                + "| \(scenario.resyncWrites.isNaN ? "-" : String(Int(scenario.resyncWrites))) | \(ms(tabby)) "
                + "| \(ms(median(scenario.replay))) (\(scriptWrites)) | \(ms(withSysctl)) "
                + "| \(ratio(median(scenario.replay) / tabby)) / \(ratio(withSysctl / tabby)) |")
    }
    print("")
    print("Latency: FileDatastore create() of one new WorkloadEndpoint until its /32 route is in the kernel")
    print("(netlink notification), \(bench.writes) writes per cluster, both clusters' tabbyd running and the writes")
    print("interleaved; against one `ip route add` process. tabbyd applies at once when it has been idle for 5 ms,")
    print("else at the end of that window.")
    print(
        "| cluster endpoints | write to route median | p99 | create() alone | tabbyd's apply | ip route add median "
            + "| p99 | ratio ip/tabbyd (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario in scenarios {
        print(
            "| \(count(scenario.cluster.endpointCount)) | \(ms(median(scenario.latency))) "
                + "| \(ms(p99(scenario.latency))) | \(ms(median(scenario.create))) "
                + "| \(ms(median(scenario.writeApply))) "
                + "| \(ms(median(scenario.ipRouteAdd))) | \(ms(p99(scenario.ipRouteAdd))) "
                + "| \(ratio(median(scenario.ipRouteAdd) / median(scenario.latency))) |")
    }
    if scenarios.count == 2 {
        print(
            "Latency ratio 10,000 / 100 endpoints: median "
                + ratio(median(scenarios[1].latency) / median(scenarios[0].latency)) + ", p99 "
                + ratio(p99(scenarios[1].latency) / p99(scenarios[0].latency)) + ".")
    }
    print("")
    print("Memory of tabbyd (MiB).")
    print(
        "| cluster endpoints | VmRSS after cold start (median) | after the resyncs | after the writes "
            + "| VmHWM (highest) |")
    print("|---|---|---|---|---|")
    for scenario in scenarios {
        print(
            "| \(count(scenario.cluster.endpointCount)) | \(mib(median(scenario.rssAfterStart))) "
                + "| \(mib(scenario.rssAfterResync)) | \(mib(scenario.rssAfterWrites)) | \(mib(scenario.peak)) |")
    }
    print("")
    let busy = scenarios.flatMap(\.busy)
    print(
        "Machine busy before measurements (other tenants; the gate waits up to 3 s for < 25 %): median "
            + "\(String(format: "%.0f", median(busy)))%, max \(String(format: "%.0f", busy.max() ?? .nan))%. "
            + "Scripts reproduced tabbyd's state: \(scenarios.allSatisfy(\.scriptMatches) ? "yes" : "NO").")
    if !scenarios.allSatisfy({ $0.resyncWrites == 0 }) {
        print("WARNING: a resync with nothing changed wrote to the kernel")
    }
}
