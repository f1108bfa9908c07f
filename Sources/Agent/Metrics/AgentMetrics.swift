import Prometheus
import Synchronization

/// tabbyd's metrics, named as Felix names its own with `tabby_` for `felix_` (counters end in `_total`), so
/// that dashboards built for Felix need only the prefix changed; with ``felixNames`` each metric that has a
/// Felix equivalent is also exposed under Felix's exact name (Docs/operations.md has the table). Both series
/// are always kept, so turning Felix's names on at a reload shows their full history.
///
/// The values live in a `PrometheusCollectorRegistry` this value owns (no global `MetricsSystem` is
/// bootstrapped, so several agents can run in one process); the main loop updates the swift-metrics handles
/// below and the status server serves ``render()``.
public struct AgentMetrics: Sendable {
    /// Datastore sync state, as Felix's `felix_resync_state`.
    public enum ResyncState: Int, Sendable {
        case waitForReady = 1
        case resyncing = 2
        case inSync = 3
    }

    /// The registry every metric is in.
    public let registry: PrometheusCollectorRegistry
    /// Whether metrics are also exposed under Felix's names (`metricsFelixNames`); a reload may change it.
    public var felixNames: Bool {
        get { felixSwitch.withLock { $0 } }
        nonmutating set { felixSwitch.withLock { $0 = newValue } }
    }

    /// `tabby_resync_state`: 1 wait-for-ready, 2 resyncing, 3 in sync (set with ``setResyncState(_:)``).
    public let resyncState: GaugeMetric
    /// `tabby_resyncs_started_total`: datastore resyncs started.
    public let resyncsStarted: CounterMetric
    /// `tabby_int_dataplane_apply_time_seconds`: duration of each dataplane apply after the first.
    public let applyTime: DurationMetric
    /// `tabby_int_dataplane_initial_resync_time_seconds`: duration of the first apply (mark and sweep).
    public let initialResyncTime: GaugeMetric
    /// `tabby_int_dataplane_failures_total`: applies that failed.
    public let applyFailures: CounterMetric
    /// `tabby_int_dataplane_kernel_writes_total`: netlink and nf_tables writes made by applies.
    public let kernelWrites: CounterMetric
    /// `tabby_route_table_num_routes`: routes Tabby owns in the main table.
    public let routes: GaugeMetric
    /// `tabby_route_table_num_ifaces`: interfaces those routes use.
    public let routeInterfaces: GaugeMetric
    /// `tabby_route_table_resync_seconds`: duration of each periodic full route resync.
    public let routeResyncTime: DurationMetric
    /// `tabby_calc_graph_update_time_seconds`: time to turn a batch of datastore updates into desired state.
    public let calculationTime: DurationMetric
    /// `tabby_active_local_endpoints`: workload endpoints on this node.
    public let activeLocalEndpoints: GaugeMetric
    /// `tabby_cluster_num_hosts`: nodes in the cluster.
    public let clusterHosts: GaugeMetric
    /// `tabby_cluster_num_workload_endpoints`: workload endpoints in the cluster.
    public let clusterWorkloadEndpoints: GaugeMetric
    /// `tabby_config_reloads_total`: configuration reloads (SIGHUP) that were applied.
    public let configReloads: CounterMetric
    /// `tabby_config_reload_failures_total`: reloads rejected because the new configuration was invalid.
    public let configReloadFailures: CounterMetric
    /// `tabby_status_errors`: problems currently reported in `/status` `errors`.
    public let statusErrors: GaugeMetric
    /// `tabby_bgp_peers`: BGP sessions BIRD has (networkingBackend bird).
    public let bgpPeers: GaugeMetric
    /// `tabby_bgp_peers_established`: those Established.
    public let bgpPeersEstablished: GaugeMetric
    /// `tabby_bgp_routes_imported`: routes BIRD learned from its peers, summed over the sessions.
    public let bgpRoutesImported: GaugeMetric
    /// `tabby_bgp_render_time_seconds`: time to render BIRD's configuration after a BGP input changed.
    public let bgpRenderTime: DurationMetric
    /// `tabby_bird_reconfigurations_total`: changed configurations BIRD started or reconfigured with.
    public let birdReconfigurations: CounterMetric
    public let birdApplyTime: DurationMetric
    /// `tabby_bird_starts`: times the supervisor started BIRD (more than 1: it restarted BIRD).
    public let birdStarts: GaugeMetric

    private let residentMemory: GaugeMetric
    private let openFileDescriptors: GaugeMetric
    private let families: [String]
    private let felixFamilies: Set<String>
    private let felixSwitch: FelixNamesSwitch

    /// Registers every metric in `registry`, plus `tabby_host{hostname="<node>"} 1` (Felix's `felix_host`) and
    /// the process's `process_resident_memory_bytes` and `process_open_fds`, read at each ``render()``.
    public init(
        nodeName: String, felixNames: Bool = false,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) {
        self.registry = registry
        felixSwitch = FelixNamesSwitch(felixNames)
        // Felix labels its route-table series with the table, "IPv<version>:<number>"; Tabby's is IPv4 main.
        let mainTable = [("table", "IPv4:254")]
        var add = MetricsRegistration(registry: registry)
        resyncState = add.gauge(
            "tabby_resync_state", felix: "felix_resync_state",
            help: "Datastore sync state: 1 wait-for-ready, 2 resyncing, 3 in sync.")
        resyncsStarted = add.counter(
            "tabby_resyncs_started_total", felix: "felix_resyncs_started", help: "Datastore resyncs started.")
        applyTime = add.durations(
            "tabby_int_dataplane_apply_time_seconds", felix: "felix_int_dataplane_apply_time_seconds",
            help: "Time to apply a dataplane update (the first excluded).")
        initialResyncTime = add.gauge(
            "tabby_int_dataplane_initial_resync_time_seconds", felix: "felix_int_dataplane_initial_resync_time_seconds",
            help: "Time of the first dataplane apply, which removes stale state of a previous run.")
        applyFailures = add.counter(
            "tabby_int_dataplane_failures_total", felix: "felix_int_dataplane_failures",
            help: "Dataplane applies that failed and will be retried.")
        kernelWrites = add.counter(
            "tabby_int_dataplane_kernel_writes_total", help: "Kernel writes (netlink and nf_tables) made by applies.")
        routes = add.gauge(
            "tabby_route_table_num_routes", felix: .init("felix_route_table_num_routes", labels: mainTable),
            help: "Routes Tabby owns in the main table.")
        routeInterfaces = add.gauge(
            "tabby_route_table_num_ifaces", felix: .init("felix_route_table_num_ifaces", labels: mainTable),
            help: "Interfaces used by the routes Tabby owns.")
        routeResyncTime = add.durations(
            "tabby_route_table_resync_seconds", felix: "felix_route_table_resync_seconds",
            help: "Time of each periodic full route resync.")
        calculationTime = add.durations(
            "tabby_calc_graph_update_time_seconds", felix: "felix_calc_graph_update_time_seconds",
            help: "Time to turn a batch of datastore updates into the desired dataplane.")
        activeLocalEndpoints = add.gauge(
            "tabby_active_local_endpoints", felix: "felix_active_local_endpoints",
            help: "Workload endpoints on this node.")
        clusterHosts = add.gauge(
            "tabby_cluster_num_hosts", felix: "felix_cluster_num_hosts", help: "Nodes in the cluster.")
        clusterWorkloadEndpoints = add.gauge(
            "tabby_cluster_num_workload_endpoints", felix: "felix_cluster_num_workload_endpoints",
            help: "Workload endpoints in the cluster.")
        configReloads = add.counter(
            "tabby_config_reloads_total", help: "Configuration reloads (SIGHUP) that were applied.")
        configReloadFailures = add.counter(
            "tabby_config_reload_failures_total", help: "Configuration reloads rejected as invalid.")
        statusErrors = add.gauge("tabby_status_errors", help: "Problems currently reported by /status.")
        bgpPeers = add.gauge("tabby_bgp_peers", help: "BGP sessions BIRD has (networkingBackend bird).")
        bgpPeersEstablished = add.gauge("tabby_bgp_peers_established", help: "BGP sessions Established.")
        bgpRoutesImported = add.gauge(
            "tabby_bgp_routes_imported", help: "Routes BIRD learned from its BGP peers, summed over the sessions.")
        bgpRenderTime = add.durations(
            "tabby_bgp_render_time_seconds", help: "Time to render BIRD's configuration after a BGP input changed.")
        birdReconfigurations = add.counter(
            "tabby_bird_reconfigurations_total", help: "Changed configurations BIRD was started or reconfigured with.")
        birdApplyTime = add.durations(
            "tabby_bird_apply_time_seconds",
            help: "Time to check a changed configuration (bird -p), write it and have BIRD load it (configure).")
        birdStarts = add.gauge("tabby_bird_starts", help: "Times the supervisor started BIRD.")

        add.gauge(
            "tabby_host", labels: [("hostname", nodeName)],
            felix: .init("felix_host", labels: [("host", nodeName)]), help: "Always 1; the label names this node."
        ).set(1)
        residentMemory = add.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.")
        openFileDescriptors = add.gauge("process_open_fds", help: "Open file descriptors.")
        families = add.families
        felixFamilies = add.felixFamilies
        resyncState.set(Double(ResyncState.waitForReady.rawValue))
    }

    public func setResyncState(_ state: ResyncState) { resyncState.set(Double(state.rawValue)) }

    /// Every metric in Prometheus text format 0.0.4, families in the order they were registered, Felix's
    /// names only with ``felixNames``; the process figures are read first.
    public func render() -> String {
        residentMemory.set(ProcessFigures.residentBytes())
        openFileDescriptors.set(ProcessFigures.openFileDescriptors())
        return MetricsExposition.ordered(
            registry.emitToString(), families: families, omitting: felixNames ? [] : felixFamilies)
    }
}

/// The ``AgentMetrics/felixNames`` choice, shared by every copy of the metrics.
private final class FelixNamesSwitch: Sendable {
    private let enabled: Mutex<Bool>

    init(_ enabled: Bool) {
        self.enabled = Mutex(enabled)
    }

    func withLock<Result>(_ body: (inout Bool) -> Result) -> Result {
        enabled.withLock { body(&$0) }
    }
}
