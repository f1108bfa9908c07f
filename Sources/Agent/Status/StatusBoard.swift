import Glibc
import Synchronization

/// The agent's published state: the main loop writes to it as things happen, the status server reads
/// snapshots from it. One lock, held only to copy or change a value, so a slow client never stalls the loop.
///
/// Liveness is a heartbeat: the main loop calls ``heartbeat()`` at least every few seconds (Felix reports
/// every 10 s) and the agent counts as dead when none came for ``livenessTimeout``. Readiness is set by the
/// first successful apply (``recordApply(durationSeconds:writes:)``) and stays set.
public final class StatusBoard: StatusProvider {
    public let metrics: AgentMetrics
    /// Seconds without a heartbeat after which `/liveness` fails (Felix's dataplane watchdog: 90 s).
    public let livenessTimeout: Double

    private struct State {
        var report: StatusReport
        var startedAt: Double
        var lastHeartbeat: Double
        var applies = 0
    }

    private let state: Mutex<State>
    private let monotonicSeconds: @Sendable () -> Double
    private let wallClock: @Sendable () -> timespec

    /// - Parameters:
    ///   - monotonicSeconds: a monotonic clock in seconds, for uptime and heartbeats (tests pass their own).
    ///   - wallClock: the time stamped on applies.
    public init(
        node: String, version: String, metrics: AgentMetrics? = nil, livenessTimeout: Double = 90,
        monotonicSeconds: @escaping @Sendable () -> Double = StatusBoard.monotonicNow,
        wallClock: @escaping @Sendable () -> timespec = AgentLog.wallClock
    ) {
        self.metrics = metrics ?? AgentMetrics(nodeName: node)
        self.livenessTimeout = livenessTimeout
        self.monotonicSeconds = monotonicSeconds
        self.wallClock = wallClock
        let now = monotonicSeconds()
        state = Mutex(State(report: StatusReport(node: node, version: version), startedAt: now, lastHeartbeat: now))
    }

    /// Changes the report (counts, blocks, tunnel addresses, ...) in place.
    public func update(_ body: (inout StatusReport) -> Void) {
        state.withLock { body(&$0.report) }
    }

    /// The main loop is alive.
    public func heartbeat() {
        let now = monotonicSeconds()
        state.withLock { $0.lastHeartbeat = now }
    }

    /// Datastore sync changed; also sets `tabby_resync_state`.
    public func setDatastoreInSync(_ inSync: Bool) {
        state.withLock { $0.report.datastoreInSync = inSync }
        metrics.setResyncState(inSync ? .inSync : .resyncing)
    }

    /// The current problems (replacing the previous list); also sets `tabby_status_errors`.
    public func setErrors(_ problems: [StatusReport.Problem]) {
        state.withLock { $0.report.errors = problems }
        metrics.statusErrors.set(problems.count)
    }

    /// An apply succeeded: stamps `lastApply`, makes the agent ready, and records the duration (the first
    /// apply in `tabby_int_dataplane_initial_resync_time_seconds`, later ones in the apply-time histogram) and
    /// the writes.
    public func recordApply(durationSeconds: Double, writes: Int) {
        let time = Timestamp.rfc3339(wallClock())
        let first = state.withLock { state in
            state.report.lastApply = StatusReport.Apply(time: time, durationSeconds: durationSeconds, writes: writes)
            state.report.readiness = true
            state.applies += 1
            return state.applies == 1
        }
        if first {
            metrics.initialResyncTime.set(durationSeconds)
        } else {
            metrics.applyTime.observe(durationSeconds)
        }
        metrics.kernelWrites.increment(by: writes)
    }

    /// An apply failed (it will be retried): counts it in `tabby_int_dataplane_failures_total`.
    public func recordApplyFailure() {
        metrics.applyFailures.increment()
    }

    public func statusReport() -> StatusReport {
        let now = monotonicSeconds()
        return state.withLock { state in
            var report = state.report
            report.uptimeSeconds = max(0, now - state.startedAt)
            return report
        }
    }

    public func liveness() -> HealthCheck {
        let now = monotonicSeconds()
        let silence = now - state.withLock { $0.lastHeartbeat }
        if silence <= livenessTimeout { return .healthy("live") }
        let whole = livenessTimeout.isFinite && livenessTimeout == livenessTimeout.rounded()
        let timeout = whole ? "\(Int(livenessTimeout))" : "\(livenessTimeout)"
        return .unhealthy("no heartbeat from the main loop for \(Int(silence)) s (timeout \(timeout) s)")
    }

    public func readiness() -> HealthCheck {
        let report = state.withLock { $0.report }
        if report.readiness { return .healthy("ready") }
        if !report.datastoreInSync { return .unhealthy("not ready: waiting for the datastore to be in sync") }
        return .unhealthy("not ready: waiting for the first successful dataplane apply")
    }

    public func metricsText() -> String { metrics.render() }

    /// `CLOCK_MONOTONIC` in seconds.
    @Sendable public static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
