import Foundation

/// The paths the status server answers.
public enum StatusEndpoint: String, Sendable, CaseIterable, Hashable {
    /// JSON ``StatusReport``.
    case status = "/status"
    /// 200 `live`, or 503 with the reason.
    case liveness = "/liveness"
    /// 200 `ready`, or 503 with the reason.
    case readiness = "/readiness"
    /// Prometheus text.
    case metrics = "/metrics"

    /// The health endpoints, as served on `healthHost:healthPort`.
    public static let health: Set<StatusEndpoint> = [.liveness, .readiness]
}

/// Turns a request (its method and its path without the query) into a response from the provider's current
/// answers.
enum StatusRouter {
    static func respond(method: String, path: String, endpoints: Set<StatusEndpoint>, provider: any StatusProvider)
        -> StatusResponse
    {
        guard let endpoint = StatusEndpoint(rawValue: path), endpoints.contains(endpoint) else {
            let served = endpoints.map(\.rawValue).sorted().joined(separator: ", ")
            return StatusResponse(status: 404, text: "no such endpoint: \(path) (served here: \(served))")
        }
        guard method == "GET" || method == "HEAD" else {
            var response = StatusResponse(status: 405, text: "\(method) is not allowed; use GET")
            response.extraHeaders = [("Allow", "GET, HEAD")]
            return response
        }
        switch endpoint {
        case .status:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            do {
                var body = Array(try encoder.encode(provider.statusReport()))
                body.append(UInt8(ascii: "\n"))
                return StatusResponse(status: 200, contentType: "application/json", body: body)
            } catch {
                return StatusResponse(status: 500, text: "cannot encode the status: \(error)")
            }
        case .liveness:
            return health(provider.liveness())
        case .readiness:
            return health(provider.readiness())
        case .metrics:
            return StatusResponse(
                status: 200, contentType: MetricsExposition.contentType, body: Array(provider.metricsText().utf8))
        }
    }

    private static func health(_ check: HealthCheck) -> StatusResponse {
        StatusResponse(status: check.isHealthy ? 200 : 503, text: check.detail)
    }
}
