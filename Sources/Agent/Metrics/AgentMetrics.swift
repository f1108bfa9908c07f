import Glibc

/// tabbyd's metrics, named as Felix names its own with `tabby_` for `felix_` (counters end in `_total`), so
/// that dashboards built for Felix need only the prefix changed. The main loop updates the handles; the
/// status server renders ``registry``.
public struct AgentMetrics: Sendable {
    /// Datastore sync state, as Felix's `felix_resync_state`.
    public enum ResyncState: Int, Sendable {
        case waitForReady = 1
        case resyncing = 2
        case inSync = 3
    }

    public let registry: MetricsRegistry

    /// `tabby_resync_state`: 1 wait-for-ready, 2 resyncing, 3 in sync (set with ``setResyncState(_:)``).
    public let resyncState: Gauge
    /// `tabby_resyncs_started_total`: datastore resyncs started.
    public let resyncsStarted: Counter
    /// `tabby_int_dataplane_apply_time_seconds`: duration of each dataplane apply after the first.
    public let applyTime: Histogram
    /// `tabby_int_dataplane_initial_resync_time_seconds`: duration of the first apply (mark and sweep).
    public let initialResyncTime: Gauge
    /// `tabby_int_dataplane_failures_total`: applies that failed.
    public let applyFailures: Counter
    /// `tabby_int_dataplane_kernel_writes_total`: netlink and nf_tables writes made by applies.
    public let kernelWrites: Counter
    /// `tabby_route_table_num_routes`: routes Tabby owns in the main table.
    public let routes: Gauge
    /// `tabby_route_table_num_ifaces`: interfaces those routes use.
    public let routeInterfaces: Gauge
    /// `tabby_route_table_resync_seconds`: duration of each periodic full route resync.
    public let routeResyncTime: Histogram
    /// `tabby_calc_graph_update_time_seconds`: time to turn a batch of datastore updates into desired state.
    public let calculationTime: Histogram
    /// `tabby_active_local_endpoints`: workload endpoints on this node.
    public let activeLocalEndpoints: Gauge
    /// `tabby_cluster_num_hosts`: nodes in the cluster.
    public let clusterHosts: Gauge
    /// `tabby_cluster_num_workload_endpoints`: workload endpoints in the cluster.
    public let clusterWorkloadEndpoints: Gauge
    /// `tabby_config_reloads_total`: configuration reloads (SIGHUP) that were applied.
    public let configReloads: Counter
    /// `tabby_config_reload_failures_total`: reloads rejected because the new configuration was invalid.
    public let configReloadFailures: Counter
    /// `tabby_status_errors`: problems currently reported in `/status` `errors`.
    public let statusErrors: Gauge

    /// Registers every metric in `registry`, plus `tabby_host{hostname="<node>"} 1` (as `felix_host`) and the
    /// process's `process_resident_memory_bytes` and `process_open_fds`, read at scrape time.
    public init(nodeName: String, registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        resyncState = registry.gauge(
            "tabby_resync_state", help: "Datastore sync state: 1 wait-for-ready, 2 resyncing, 3 in sync.")
        resyncsStarted = registry.counter("tabby_resyncs_started_total", help: "Datastore resyncs started.")
        applyTime = registry.histogram(
            "tabby_int_dataplane_apply_time_seconds", help: "Time to apply a dataplane update (the first excluded).")
        initialResyncTime = registry.gauge(
            "tabby_int_dataplane_initial_resync_time_seconds",
            help: "Time of the first dataplane apply, which removes stale state of a previous run.")
        applyFailures = registry.counter(
            "tabby_int_dataplane_failures_total", help: "Dataplane applies that failed and will be retried.")
        kernelWrites = registry.counter(
            "tabby_int_dataplane_kernel_writes_total", help: "Kernel writes (netlink and nf_tables) made by applies.")
        routes = registry.gauge("tabby_route_table_num_routes", help: "Routes Tabby owns in the main table.")
        routeInterfaces = registry.gauge(
            "tabby_route_table_num_ifaces", help: "Interfaces used by the routes Tabby owns.")
        routeResyncTime = registry.histogram(
            "tabby_route_table_resync_seconds", help: "Time of each periodic full route resync.")
        calculationTime = registry.histogram(
            "tabby_calc_graph_update_time_seconds",
            help: "Time to turn a batch of datastore updates into the desired dataplane.")
        activeLocalEndpoints = registry.gauge(
            "tabby_active_local_endpoints", help: "Workload endpoints on this node.")
        clusterHosts = registry.gauge("tabby_cluster_num_hosts", help: "Nodes in the cluster.")
        clusterWorkloadEndpoints = registry.gauge(
            "tabby_cluster_num_workload_endpoints", help: "Workload endpoints in the cluster.")
        configReloads = registry.counter(
            "tabby_config_reloads_total", help: "Configuration reloads (SIGHUP) that were applied.")
        configReloadFailures = registry.counter(
            "tabby_config_reload_failures_total", help: "Configuration reloads rejected as invalid.")
        statusErrors = registry.gauge("tabby_status_errors", help: "Problems currently reported by /status.")

        registry.gauge("tabby_host", help: "Always 1; the label names this node.", labels: ["hostname": nodeName])
            .set(1)
        registry.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.") {
            ProcessFigures.residentBytes()
        }
        registry.gauge("process_open_fds", help: "Open file descriptors.") { ProcessFigures.openFileDescriptors() }
        resyncState.set(Double(ResyncState.waitForReady.rawValue))
    }

    public func setResyncState(_ state: ResyncState) { resyncState.set(Double(state.rawValue)) }
}

/// Figures of this process read from /proc.
enum ProcessFigures {
    /// Resident set size: the second field of /proc/self/statm, in pages.
    static func residentBytes() -> Double {
        guard let text = try? AgentConfiguration.readFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of /proc/self/fd, less the one the listing itself opens.
    static func openFileDescriptors() -> Double {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { count += 1 }
        }
        return Double(max(count - 1, 0))
    }
}
