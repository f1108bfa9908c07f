import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

/// How a failed request is classified: whether another endpoint may serve it.
enum GatewayFailure: Error {
    /// The endpoint could not be reached (refused, DNS, connect timeout); nothing was sent, another may serve it.
    case unreachable(reason: String)
    /// The endpoint was reached but the answer did not come (a read timeout, a dropped connection): a read may
    /// go to another endpoint; a write may have been applied.
    case interrupted(reason: String)
    /// The member has no leader; another member may have one.
    case noLeader
    /// The token is invalid or expired: authenticate again and retry once.
    case invalidToken(reason: String)
    /// Final: no other endpoint would answer differently.
    case final(EtcdError)
}

/// Maps the gateway's error bodies (`{"error":..,"code":N,"message":..}`, gRPC codes) and transport errors.
enum GatewayErrors {
    /// gRPC status codes the gateway reports.
    static let outOfRange = 11
    static let unavailable = 14
    static let unauthenticated = 16

    /// An error body of an HTTP 4xx/5xx answer (or a canceled watch's reason).
    static func classify(code: Int, message: String, endpoint: String) -> GatewayFailure {
        let text = message.hasPrefix("etcdserver: ") ? String(message.dropFirst("etcdserver: ".count)) : message
        if text.contains("invalid auth token") || text.contains("auth token is expired") {
            return .invalidToken(reason: text)
        }
        if text.contains("authentication failed") || text.contains("user name is empty")
            || text.contains("permission denied") || code == unauthenticated
        {
            return .final(.unauthenticated(endpoint: endpoint, reason: text))
        }
        if text.contains("required revision has been compacted") {
            return .final(.compacted(endpoint: endpoint, compactRevision: 0))
        }
        if text.contains("no leader") || text.contains("leader changed") || code == unavailable {
            return .noLeader
        }
        return .final(.server(endpoint: endpoint, code: code, message: text))
    }

    /// An error body, or nil when the body is not one.
    static func classify(body: [UInt8], status: Int, endpoint: String) -> GatewayFailure {
        let json = try? GatewayJSON.parse(body)
        guard let json, let message = json["message"]?.string ?? json["error"]?.string else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            return .final(.malformedResponse(endpoint: endpoint, reason: "HTTP \(status): \(text)"))
        }
        return classify(code: Int(json["code"]?.int64 ?? 0), message: message, endpoint: endpoint)
    }

    /// A transport error of async-http-client / NIO.
    static func classify(transport error: any Error, endpoint: String, connectTimeout: String) -> GatewayFailure {
        if let error = error as? NIOSSLError {
            return .final(.tls(endpoint: endpoint, reason: tlsReason(error)))
        }
        if let error = error as? NIOSSLExtraError {
            return .final(.tls(endpoint: endpoint, reason: "\(error)"))
        }
        if let error = error as? HTTPClientError {
            if error == .connectTimeout { return .unreachable(reason: "connect timed out after \(connectTimeout)") }
            if error == .deadlineExceeded || error == .readTimeout {
                return .interrupted(reason: "no answer within the deadline")
            }
            if error == .remoteConnectionClosed { return .interrupted(reason: "the connection was closed") }
            if error == .tlsHandshakeTimeout { return .final(.tls(endpoint: endpoint, reason: "handshake timed out")) }
            return .unreachable(reason: "\(error)")
        }
        if let error = error as? NIOConnectionError {
            if let dnsError = error.dnsAError ?? error.dnsAAAAError { return .unreachable(reason: "DNS: \(dnsError)") }
            if let first = error.connectionErrors.first { return .unreachable(reason: reason(first.error)) }
            return .unreachable(reason: "cannot connect")
        }
        if let error = error as? IOError { return .unreachable(reason: reason(error)) }
        if error is ChannelError {
            if case .connectTimeout = error as? ChannelError {
                return .unreachable(reason: "connect timed out after \(connectTimeout)")
            }
            return .interrupted(reason: "\(error)")
        }
        return .unreachable(reason: "\(error)")
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case EHOSTUNREACH: return "no route to host"
            case ENETUNREACH: return "network unreachable"
            case ETIMEDOUT: return "connect timed out"
            default: return String(cString: strerror(error.errnoCode))
            }
        }
        return "\(error)"
    }

    private static func tlsReason(_ error: NIOSSLError) -> String {
        switch error {
        case .handshakeFailed(let boringError):
            let text = "\(boringError)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") { return "certificate verify failed (\(text))" }
            return "handshake failed (\(text))"
        default:
            return "\(error)"
        }
    }
}
