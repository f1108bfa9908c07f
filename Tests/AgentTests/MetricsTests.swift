import Agent
import Dispatch
import Testing

@Suite("Metrics")
struct MetricsTests {
    @Test func theTextFormatOfEveryKind() {
        let registry = MetricsRegistry()
        let applies = registry.counter("tabby_applies_total", help: "Applies.")
        let routes = registry.gauge("tabby_routes", help: "Routes.")
        let latency = registry.histogram("tabby_latency_seconds", help: "Latency.", buckets: [0.1, 1, 0.5])
        registry.gauge("tabby_read", help: "Read at render.") { 2.5 }
        applies.increment()
        applies.increment(by: 2)
        applies.increment(by: -5)  // ignored: counters never go down
        routes.set(10)
        routes.add(-3)
        latency.observe(0.05)
        latency.observe(0.5)
        latency.observe(0.7)
        latency.observe(30)

        #expect(
            registry.render() == """
                # HELP tabby_applies_total Applies.
                # TYPE tabby_applies_total counter
                tabby_applies_total 3
                # HELP tabby_routes Routes.
                # TYPE tabby_routes gauge
                tabby_routes 7
                # HELP tabby_latency_seconds Latency.
                # TYPE tabby_latency_seconds histogram
                tabby_latency_seconds_bucket{le="0.1"} 1
                tabby_latency_seconds_bucket{le="0.5"} 2
                tabby_latency_seconds_bucket{le="1"} 3
                tabby_latency_seconds_bucket{le="+Inf"} 4
                tabby_latency_seconds_sum 31.25
                tabby_latency_seconds_count 4
                # HELP tabby_read Read at render.
                # TYPE tabby_read gauge
                tabby_read 2.5

                """)
        #expect(applies.value == 3 && routes.value == 7 && latency.count == 4)
    }

    @Test func labelsAreSortedAndEscaped() {
        let registry = MetricsRegistry()
        registry.counter("tabby_errors_total", help: "Errors by \"kind\"\\path\nsecond line.", labels: ["kind": "b"])
            .increment()
        registry.counter("tabby_errors_total", help: "ignored", labels: ["kind": "a\"q\\\n", "at": "x"])
            .increment(by: 4)
        let again = registry.counter("tabby_errors_total", help: "ignored", labels: ["kind": "b"])
        again.increment()
        #expect(
            registry.render() == """
                # HELP tabby_errors_total Errors by "kind"\\\\path\\nsecond line.
                # TYPE tabby_errors_total counter
                tabby_errors_total{at="x",kind="a\\"q\\\\\\n"} 4
                tabby_errors_total{kind="b"} 2

                """)
    }

    @Test func numbersAreWrittenAsPrometheusReadsThem() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("g", help: "g")
        for (value, text) in [
            (0.0, "0"), (-2.0, "-2"), (1e20, "1e+20"), (0.000_01, "1e-05"), (1.0 / 3, "0.3333333333333333"),
            (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"),
        ] {
            gauge.set(value)
            #expect(registry.render().hasSuffix("\ng \(text)\n"), "\(value)")
        }
    }

    @Test func updatesFromManyThreadsAreAllCounted() {
        let registry = MetricsRegistry()
        let counter = registry.counter("c_total", help: "c")
        let histogram = registry.histogram("h_seconds", help: "h")
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 {
                counter.increment()
                histogram.observe(0.002)
            }
        }
        #expect(counter.value == 8000)
        #expect(histogram.count == 8000)
        #expect(registry.render().contains("h_seconds_bucket{le=\"0.0025\"} 8000\n"))
    }

    @Test func agentMetricsHaveFelixNamesWithTheTabbyPrefix() {
        let metrics = AgentMetrics(nodeName: "node-7")
        metrics.setResyncState(.resyncing)
        metrics.routes.set(12)
        metrics.clusterHosts.set(3)
        metrics.activeLocalEndpoints.set(2)
        let text = metrics.registry.render()
        for line in [
            "tabby_resync_state 2", "tabby_route_table_num_routes 12", "tabby_cluster_num_hosts 3",
            "tabby_active_local_endpoints 2", "tabby_int_dataplane_failures_total 0",
            "tabby_int_dataplane_apply_time_seconds_count 0", "tabby_host{hostname=\"node-7\"} 1",
            "# TYPE tabby_int_dataplane_apply_time_seconds histogram", "tabby_config_reload_failures_total 0",
        ] {
            #expect(text.contains("\n" + line + "\n"), "\(line)")
        }
        let resident = text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        #expect(Double(resident?.split(separator: " ").last ?? "") ?? 0 > 1_000_000)
        let fds = text.split(separator: "\n").first { $0.hasPrefix("process_open_fds ") }
        #expect(Double(fds?.split(separator: " ").last ?? "") ?? 0 >= 3)
    }
}
