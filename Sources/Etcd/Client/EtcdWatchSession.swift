import AsyncHTTPClient
import NIOCore

/// One watch stream on one endpoint: POST /v3/watch with a `create_request`, then one JSON object per line
/// (`{"result":{...}}`, or `{"error":{...}}` when the stream breaks) for as long as the watch lives.
struct EtcdWatchSession {
    let client: EtcdClient
    let endpoint: EtcdEndpoint
    let request: EtcdWatchRequest

    /// `.success` when the consumer went away; a failure before the watch was created may be retried elsewhere
    /// (`.unreachable`, `.noLeader`, `.invalidToken`), one after it is `.final`.
    func run(
        _ continuation: AsyncThrowingStream<EtcdWatchResponse, any Error>.Continuation, token: String?
    ) async -> Result<Void, GatewayFailure> {
        let httpRequest = client.makeRequest(endpoint, "/v3/watch", GatewayRequests.watchCreate(request), token: token)
        let response: HTTPClientResponse
        do {
            // No overall deadline: a watch lives as long as its consumer; connecting is bounded by connectTimeout.
            response = try await client.http.execute(httpRequest, deadline: .distantFuture)
        } catch {
            if Task.isCancelled { return .success(()) }
            return .failure(
                GatewayErrors.classify(transport: error, endpoint: endpoint.url, connectTimeout: "2 s"))
        }
        guard response.status.code == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
            return .failure(GatewayErrors.classify(body: body, status: Int(response.status.code), endpoint: endpoint.url))
        }
        var created = false
        var line: [UInt8] = []
        do {
            for try await chunk in response.body {
                for byte in chunk.readableBytesView {
                    guard byte == UInt8(ascii: "\n") else {
                        line.append(byte)
                        continue
                    }
                    defer { line.removeAll(keepingCapacity: true) }
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x0d }) { continue }
                    switch message(line, created: &created) {
                    case .none: continue
                    case .response(let watchResponse): continuation.yield(watchResponse)
                    case .failure(let failure):
                        return .failure(created ? Self.final(failure, endpoint: endpoint) : failure)
                    }
                }
            }
        } catch {
            if Task.isCancelled { return .success(()) }
            let failure = GatewayErrors.classify(transport: error, endpoint: endpoint.url, connectTimeout: "2 s")
            return .failure(created ? Self.final(failure, endpoint: endpoint) : failure)
        }
        if Task.isCancelled { return .success(()) }
        let failure = GatewayFailure.unreachable(reason: "the watch stream ended")
        return .failure(created ? Self.final(failure, endpoint: endpoint) : failure)
    }

    enum Message {
        case none
        case response(EtcdWatchResponse)
        case failure(GatewayFailure)
    }

    /// One line of the stream.
    func message(_ line: [UInt8], created: inout Bool) -> Message {
        let responses = GatewayResponses(endpoint: endpoint.url)
        do throws(EtcdError) {
            let json = try responses.document(line)
            if let error = json["error"] {
                let message = error["message"]?.string ?? "the watch stream failed"
                let code = Int(error["grpc_code"]?.int64 ?? error["code"]?.int64 ?? 0)
                return .failure(GatewayErrors.classify(code: code, message: message, endpoint: endpoint.url))
            }
            guard let result = json["result"] else { throw responses.malformed("a watch message without result") }
            if try responses.bool(result, "canceled") {
                let compactRevision = try responses.int64(result, "compact_revision")
                if compactRevision > 0 {
                    return .failure(.final(.compacted(endpoint: endpoint.url, compactRevision: compactRevision)))
                }
                let (code, message) = Self.cancelReason(result["cancel_reason"]?.string ?? "")
                return .failure(GatewayErrors.classify(code: code, message: message, endpoint: endpoint.url))
            }
            if try responses.bool(result, "created") {
                created = true
                return .none
            }
            var events: [EtcdWatchResponse.Event] = []
            for event in try responses.array(result, "events") { events.append(try responses.event(event)) }
            return .response(EtcdWatchResponse(revision: try responses.headerRevision(result), events: events))
        } catch {
            return .failure(.final(error))
        }
    }

    /// `rpc error: code = Unauthenticated desc = etcdserver: invalid auth token` -> (16, the description).
    static func cancelReason(_ reason: String) -> (code: Int, message: String) {
        guard reason.hasPrefix("rpc error: code = "), let desc = reason.range(of: " desc = ") else {
            return (0, reason.isEmpty ? "the watch was canceled" : reason)
        }
        let name = reason[reason.index(reason.startIndex, offsetBy: "rpc error: code = ".count)..<desc.lowerBound]
        let codes = [
            "Canceled": 1, "Unknown": 2, "InvalidArgument": 3, "DeadlineExceeded": 4, "NotFound": 5,
            "AlreadyExists": 6, "PermissionDenied": 7, "ResourceExhausted": 8, "FailedPrecondition": 9, "Aborted": 10,
            "OutOfRange": 11, "Unimplemented": 12, "Internal": 13, "Unavailable": 14, "DataLoss": 15,
            "Unauthenticated": 16,
        ]
        return (codes[String(name)] ?? 0, String(reason[desc.upperBound...]))
    }

    /// After the watch was created, nothing is retried here: the consumer resumes from its last revision.
    static func final(_ failure: GatewayFailure, endpoint: EtcdEndpoint) -> GatewayFailure {
        .final(EtcdClient.error(failure, endpoint: endpoint))
    }
}
