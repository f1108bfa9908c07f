/// A liveness or readiness verdict and a short line saying why.
public struct HealthCheck: Sendable, Equatable {
    public var isHealthy: Bool
    public var detail: String

    public init(isHealthy: Bool, detail: String) {
        self.isHealthy = isHealthy
        self.detail = detail
    }

    public static func healthy(_ detail: String) -> HealthCheck { HealthCheck(isHealthy: true, detail: detail) }
    public static func unhealthy(_ detail: String) -> HealthCheck { HealthCheck(isHealthy: false, detail: detail) }
}

/// What the status server serves. It calls these on its event-loop thread (SwiftNIO's, never the cooperative
/// pool), and with a group of several loops passed in, from several at once: they must be quick and must not
/// block on the agent's actor (``StatusBoard`` keeps a snapshot under a lock for exactly this), since every
/// connection waits while one runs.
public protocol StatusProvider: Sendable {
    /// `GET /status`.
    func statusReport() -> StatusReport
    /// `GET /liveness`: is the main loop alive?
    func liveness() -> HealthCheck
    /// `GET /readiness`: has the first dataplane apply succeeded?
    func readiness() -> HealthCheck
    /// `GET /metrics`, Prometheus text.
    func metricsText() -> String
}
