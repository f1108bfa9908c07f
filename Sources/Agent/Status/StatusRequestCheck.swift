import NIOHTTP1

/// What the status server accepts of a request beyond what the HTTP parser checks, and the answers to the
/// requests it cannot serve.
enum StatusRequestCheck {
    /// The most bytes of target and header fields read before answering 431.
    static let maximumHeaderBytes = 8192

    /// The parser's limits: a request header of more than ``maximumHeaderBytes`` is refused.
    static var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maximumHeaderBytes
        limits.maxHeaderListSize = maximumHeaderBytes
        return limits
    }

    /// The path to route `head` by (the target without its query or fragment), or the answer when the request
    /// cannot be served.
    static func path(of head: HTTPRequestHead) -> Result<String, Refusal> {
        guard head.version.major == 1, head.version.minor <= 1 else {
            return .failure(Refusal(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are served"))
        }
        guard head.uri.hasPrefix("/") else {
            return .failure(Refusal(status: 400, reason: "the target must be a path"))
        }
        return .success(String(head.uri.prefix { $0 != "?" && $0 != "#" }))
    }

    /// The answer to a request the parser rejected.
    static func refusal(for error: HTTPParserError) -> Refusal {
        switch error {
        case .headerOverflow:
            Refusal(status: 431, reason: "the request header is larger than \(maximumHeaderBytes) bytes")
        case .invalidMethod:
            Refusal(status: 400, reason: "malformed request line")
        case .invalidURL:
            Refusal(status: 400, reason: "the target must be a path")
        case .invalidConstant:
            Refusal(status: 400, reason: "malformed HTTP version")
        case .invalidVersion:
            Refusal(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are served")
        case .invalidHeaderToken, .lfExpected:
            Refusal(status: 400, reason: "malformed header line")
        case .invalidEOFState:
            Refusal(status: 400, reason: "the request ended before its header did")
        default:
            Refusal(status: 400, reason: "malformed request (\(error))")
        }
    }

    /// A request the server answers with an error status and a line saying why.
    struct Refusal: Error, Equatable {
        var status: Int
        var reason: String

        var response: StatusResponse { StatusResponse(status: status, text: reason) }
    }

    /// The answer when every connection slot is taken.
    static let busy = StatusResponse(status: 503, text: "busy: too many status connections")
    /// The answer when a client stalls before its request is complete.
    static let tooSlow = StatusResponse(status: 408, text: "the request did not arrive in time")
}
