import Agent
import Dispatch
import Foundation
import Testing

@Suite("Metrics")
struct MetricsTests {
    @Test func agentMetricsHaveFelixNamesWithTheTabbyPrefix() {
        let metrics = AgentMetrics(nodeName: "node-7")
        metrics.setResyncState(.resyncing)
        metrics.routes.set(12)
        metrics.clusterHosts.set(3)
        metrics.activeLocalEndpoints.set(2)
        let text = metrics.render()
        let samples = MetricsSamples(text)
        #expect(samples["tabby_resync_state"] == 2)
        #expect(samples["tabby_route_table_num_routes"] == 12)
        #expect(samples["tabby_cluster_num_hosts"] == 3)
        #expect(samples["tabby_active_local_endpoints"] == 2)
        #expect(samples["tabby_int_dataplane_failures_total"] == 0)
        #expect(samples["tabby_int_dataplane_apply_time_seconds_count"] == 0)
        #expect(samples["tabby_host{hostname=\"node-7\"}"] == 1)
        #expect(samples["tabby_config_reload_failures_total"] == 0)
        #expect(text.contains("\n# TYPE tabby_int_dataplane_apply_time_seconds histogram\n"))
        #expect(text.contains("\n# HELP tabby_route_table_num_routes Routes Tabby owns in the main table.\n"))
        #expect(samples["process_resident_memory_bytes"] ?? 0 > 1_000_000)
        #expect(samples["process_open_fds"] ?? 0 >= 3)
        #expect(!text.contains("felix_"))
    }

    @Test func familiesComeInTheOrderTheyWereRegisteredEachWithHelpAndType() {
        let text = AgentMetrics(nodeName: "n").render()
        let families = MetricsSamples.families(text)
        #expect(families.first == "tabby_resync_state")
        #expect(families.suffix(3) == ["tabby_host", "process_resident_memory_bytes", "process_open_fds"])
        #expect(families.count == 26)
        #expect(families.contains("tabby_bgp_peers_established") && families.contains("tabby_bird_apply_time_seconds"))
        #expect(Set(families).count == families.count)
        let lines = text.split(separator: "\n")
        for family in families {
            let help = lines.firstIndex { $0.hasPrefix("# HELP \(family) ") }
            let type = lines.firstIndex { $0.hasPrefix("# TYPE \(family) ") }
            #expect(help != nil && type == help.map { $0 + 1 }, "\(family)")
        }
        #expect(AgentMetrics(nodeName: "n").render().split(separator: "\n").filter { $0.hasPrefix("#") }
            == lines.filter { $0.hasPrefix("#") })
    }

    @Test func durationsAreHistogramsInSecondsWithCumulativeBuckets() {
        let metrics = AgentMetrics(nodeName: "n")
        for seconds in [0.0005, 0.003, 0.003, 0.7, 30, -1, .nan, .infinity] {
            metrics.applyTime.observe(seconds)
        }
        let text = metrics.render()
        let samples = MetricsSamples(text)
        let name = "tabby_int_dataplane_apply_time_seconds"
        #expect(samples["\(name)_bucket{le=\"0.001\"}"] == 1)
        #expect(samples["\(name)_bucket{le=\"0.0025\"}"] == 1)
        #expect(samples["\(name)_bucket{le=\"0.005\"}"] == 3)
        #expect(samples["\(name)_bucket{le=\"1.0\"}"] == 4)
        #expect(samples["\(name)_bucket{le=\"10.0\"}"] == 4)
        #expect(samples["\(name)_bucket{le=\"+Inf\"}"] == 5)
        #expect(samples["\(name)_count"] == 5)
        #expect(abs((samples["\(name)_sum"] ?? 0) - 30.7065) < 1e-9)
    }

    @Test func countersOnlyGoUpAndStayWhole() {
        let metrics = AgentMetrics(nodeName: "n")
        metrics.kernelWrites.increment()
        metrics.kernelWrites.increment(by: 11)
        metrics.kernelWrites.increment(by: -5)
        metrics.kernelWrites.increment(by: 0)
        #expect(metrics.render().contains("\ntabby_int_dataplane_kernel_writes_total 12\n"))
    }

    @Test func updatesFromManyThreadsAreAllCounted() {
        let metrics = AgentMetrics(nodeName: "n")
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 {
                metrics.configReloads.increment()
                metrics.calculationTime.observe(0.002)
            }
        }
        let samples = MetricsSamples(metrics.render())
        #expect(samples["tabby_config_reloads_total"] == 8000)
        #expect(samples["tabby_calc_graph_update_time_seconds_bucket{le=\"0.0025\"}"] == 8000)
    }

    @Test func agentsInOneProcessKeepTheirOwnMetrics() {
        let first = AgentMetrics(nodeName: "a")
        let second = AgentMetrics(nodeName: "b")
        first.clusterHosts.set(4)
        #expect(MetricsSamples(first.render())["tabby_cluster_num_hosts"] == 4)
        #expect(MetricsSamples(second.render())["tabby_cluster_num_hosts"] == 0)
        #expect(MetricsSamples(second.render())["tabby_host{hostname=\"b\"}"] == 1)
    }

    /// Every metric with a Felix equivalent, and Felix's series for it.
    static let felixEquivalents: [(tabby: String, felix: String)] = [
        ("tabby_resync_state", "felix_resync_state"),
        ("tabby_resyncs_started_total", "felix_resyncs_started"),
        ("tabby_int_dataplane_apply_time_seconds_count", "felix_int_dataplane_apply_time_seconds_count"),
        ("tabby_int_dataplane_initial_resync_time_seconds", "felix_int_dataplane_initial_resync_time_seconds"),
        ("tabby_int_dataplane_failures_total", "felix_int_dataplane_failures"),
        ("tabby_route_table_num_routes", "felix_route_table_num_routes{table=\"IPv4:254\"}"),
        ("tabby_route_table_num_ifaces", "felix_route_table_num_ifaces{table=\"IPv4:254\"}"),
        ("tabby_route_table_resync_seconds_count", "felix_route_table_resync_seconds_count"),
        ("tabby_calc_graph_update_time_seconds_count", "felix_calc_graph_update_time_seconds_count"),
        ("tabby_active_local_endpoints", "felix_active_local_endpoints"),
        ("tabby_cluster_num_hosts", "felix_cluster_num_hosts"),
        ("tabby_cluster_num_workload_endpoints", "felix_cluster_num_workload_endpoints"),
        ("tabby_host{hostname=\"node-3\"}", "felix_host{host=\"node-3\"}"),
    ]

    /// A metrics value with every handle moved, so that equal values are not equal by chance.
    private static func exercised(felixNames: Bool) -> AgentMetrics {
        let metrics = AgentMetrics(nodeName: "node-3", felixNames: felixNames)
        metrics.setResyncState(.inSync)
        metrics.resyncsStarted.increment(by: 2)
        metrics.applyTime.observe(0.02)
        metrics.initialResyncTime.set(0.4)
        metrics.applyFailures.increment()
        metrics.routes.set(7)
        metrics.routeInterfaces.set(3)
        metrics.routeResyncTime.observe(0.01)
        for _ in 0..<3 { metrics.calculationTime.observe(0.001) }
        metrics.activeLocalEndpoints.set(5)
        metrics.clusterHosts.set(6)
        metrics.clusterWorkloadEndpoints.set(9)
        return metrics
    }

    @Test func felixNamesExposeBothSeriesWithTheSameValues() {
        let text = Self.exercised(felixNames: true).render()
        let samples = MetricsSamples(text)
        for (tabby, felix) in Self.felixEquivalents {
            #expect(samples[tabby] != nil, "\(tabby)")
            #expect(samples[felix] == samples[tabby], "\(felix)")
        }
        #expect(samples["felix_calc_graph_update_time_seconds_count"] == 3)
        // No other Felix family: the rest have no equivalent in Felix.
        let felixFamilies = MetricsSamples.families(text).filter { $0.hasPrefix("felix_") }
        #expect(felixFamilies.count == Self.felixEquivalents.count)
        #expect(text.contains("\n# TYPE felix_resyncs_started counter\n"))
        #expect(text.contains("\n# TYPE felix_int_dataplane_apply_time_seconds histogram\n"))
    }

    @Test func felixNamesCanBeTurnedOnAndOffWhileRunning() {
        let metrics = Self.exercised(felixNames: false)
        #expect(!metrics.render().contains("felix_"))
        metrics.felixNames = true
        let samples = MetricsSamples(metrics.render())
        #expect(samples["felix_cluster_num_hosts"] == 6)
        #expect(samples["felix_resyncs_started"] == 2)
        metrics.felixNames = false
        #expect(!metrics.render().contains("felix_"))
    }

    /// `promtool check metrics` as Prometheus lints a scrape: Tabby's own names are clean; Felix's are
    /// Felix's exactly, and Felix names two counters without the `_total` that the linter asks for.
    @Test(.enabled(if: toolExists("promtool"), "promtool is not installed (Debian package prometheus)"))
    func promtoolFindsNothingButFelixsOwnCounterNames() throws {
        let plain = try Self.promtool(Self.exercised(felixNames: false).render())
        #expect(plain.status == 0, "\(plain.output)")
        #expect(plain.output.isEmpty, "\(plain.output)")

        let felix = try Self.promtool(Self.exercised(felixNames: true).render())
        // 3: lint findings only; 1 would be a text that does not parse.
        #expect(felix.status == 3, "\(felix.output)")
        let findings = felix.output.split(separator: "\n").sorted()
        #expect(
            findings == [
                #"felix_int_dataplane_failures counter metrics should have "_total" suffix"#,
                #"felix_resyncs_started counter metrics should have "_total" suffix"#,
            ], "\(felix.output)")
    }

    private static func promtool(_ text: String) throws -> (status: Int32, output: String) {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let file = scratch.path + "/metrics.txt"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return try runTool("sh", ["-c", "promtool check metrics < '\(file)'"], allowFailure: true)
    }
}
