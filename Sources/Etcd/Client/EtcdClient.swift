import AsyncHTTPClient
import Datastore
import NIOCore
import NIOSSL
import Synchronization

/// An etcd v3 client over etcd's JSON gateway (`/v3/kv/range`, `/v3/kv/txn`, `/v3/watch`, ...), on one
/// async-http-client `HTTPClient` with a keep-alive pool of up to 16 connections per member.
///
/// Requests go to the member that answered last and move on to the next endpoint when one cannot be reached
/// or has no leader; with `username`/`password` the client authenticates (`/v3/auth/authenticate`), sends the
/// token with every request and authenticates again once when the server calls the token invalid. `close()`
/// ends the connections; a client dropped without it closes itself.
public final class EtcdClient: EtcdKV {
    /// How long a range, transaction or other unary request may take, from the first connect attempt.
    public static let requestTimeout: TimeAmount = .seconds(5)
    /// How long connecting to one member may take before the next is tried.
    public static let connectTimeout: TimeAmount = .seconds(2)

    let endpoints: [EtcdEndpoint]
    let http: HTTPClient
    private let credentials: (name: String, password: String)?
    private let state = Mutex(State())

    private struct State {
        /// The endpoint that answered last: where the next request goes first.
        var current = 0
        var token: String?
        var closed = false
    }

    /// Parses the endpoints, reads the TLS files (reporting a missing or unreadable one by its setting) and
    /// sets up the connection pool; nothing is connected yet.
    public init(settings: EtcdSettings) throws(EtcdError) {
        guard !settings.endpoints.isEmpty else { throw .configuration("etcd_endpoints: no endpoint given") }
        var endpoints: [EtcdEndpoint] = []
        for text in settings.endpoints { endpoints.append(try EtcdEndpoint(parsing: text)) }
        self.endpoints = endpoints
        let name = settings.username.flatMap { $0.isEmpty ? nil : $0 }
        switch (name, settings.password) {
        case (let name?, let password?): credentials = (name, password)
        case (nil, nil): credentials = nil
        case (_?, nil): throw .configuration("etcd_username is set without etcd_password")
        case (nil, _?): throw .configuration("etcd_password is set without etcd_username")
        }
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = try EtcdTLS.configuration(
            settings, anyHTTPS: endpoints.contains { $0.usesTLS })
        configuration.timeout = .init(connect: Self.connectTimeout, read: nil)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        // A member that refuses is reported at once (and the next one tried) rather than retried until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Ends the connections. Idempotent; requests after it fail.
    public func close() async {
        let wasClosed = state.withLock { state in
            defer { state.closed = true }
            return state.closed
        }
        if !wasClosed { try? await http.shutdown() }
    }

    deinit {
        // A short-lived program (a CNI plugin, tabbyctl) may end without close(): shutting down here keeps
        // async-http-client from trapping on a client dropped while running.
        if !state.withLock({ $0.closed }) { http.shutdown { _ in } }
    }

    // MARK: EtcdKV

    public func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse {
        let (endpoint, json) = try await call("/v3/kv/range", GatewayRequests.range(request), write: false)
        do {
            return try GatewayResponses(endpoint: endpoint.url).range(json)
        }
    }

    public func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse {
        let writes = request.success.contains(where: \.writes) || request.failure.contains(where: \.writes)
        let (endpoint, json) = try await call("/v3/kv/txn", GatewayRequests.txn(request), write: writes)
        return try GatewayResponses(endpoint: endpoint.url).txn(json)
    }

    public func watch(_ request: EtcdWatchRequest) -> AsyncThrowingStream<EtcdWatchResponse, any Error> {
        let (stream, continuation) = AsyncThrowingStream<EtcdWatchResponse, any Error>.makeStream()
        let task = Task {
            do throws(EtcdError) {
                try await self.runWatch(request, continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    // MARK: Maintenance

    /// The status of the member that answers (the current endpoint, or the next that can be reached).
    public func status() async throws(EtcdError) -> EtcdMemberStatus {
        let (endpoint, json) = try await call("/v3/maintenance/status", "{}", write: false)
        return try GatewayResponses(endpoint: endpoint.url).status(json)
    }

    /// The status of every endpoint, each asked directly: a member's status or why it did not answer.
    public func statusOfEachMember() async -> [Result<EtcdMemberStatus, EtcdError>] {
        var results: [Result<EtcdMemberStatus, EtcdError>] = []
        for endpoint in endpoints {
            switch await attempt(endpoint, "/v3/maintenance/status", "{}", deadline: .now() + Self.requestTimeout) {
            case .success(let json):
                results.append(Result { () throws(EtcdError) in try GatewayResponses(endpoint: endpoint.url).status(json) })
            case .failure(let failure):
                results.append(.failure(Self.error(failure, endpoint: endpoint)))
            }
        }
        return results
    }

    /// Compacts the store's history up to `revision` (etcd's `Compact`): older revisions can no longer be read or
    /// watched from.
    public func compact(revision: Int64) async throws(EtcdError) {
        _ = try await call("/v3/kv/compaction", GatewayRequests.compaction(revision: revision), write: true)
    }

    // MARK: Requests

    /// Sends a unary request, starting at the current endpoint and moving on while members cannot be reached or
    /// have no leader. A write whose answer did not come (timeout, dropped connection) is not sent again: it may
    /// have been applied.
    private func call(_ path: String, _ body: String, write: Bool) async throws(EtcdError) -> (EtcdEndpoint, GatewayJSON) {
        let start = try state.withLock { state throws(EtcdError) in
            guard !state.closed else { throw EtcdError.configuration("the etcd client is closed") }
            return state.current
        }
        let deadline = NIODeadline.now() + Self.requestTimeout
        var failures: [EtcdError.EndpointFailure] = []
        var leaderless: EtcdEndpoint?
        for offset in 0..<endpoints.count {
            let index = (start + offset) % endpoints.count
            let endpoint = endpoints[index]
            switch await attempt(endpoint, path, body, deadline: deadline) {
            case .success(let json):
                state.withLock { $0.current = index }
                return (endpoint, json)
            case .failure(.unreachable(let reason)):
                failures.append(.init(endpoint: endpoint.url, reason: reason))
            case .failure(.interrupted(let reason)):
                failures.append(.init(endpoint: endpoint.url, reason: reason))
                if write {
                    failures[failures.count - 1].reason += " (the write may have been applied)"
                    throw .unreachable(failures)
                }
            case .failure(.noLeader):
                leaderless = endpoint
                failures.append(.init(endpoint: endpoint.url, reason: "no leader"))
            case .failure(let failure):
                throw Self.error(failure, endpoint: endpoint)
            }
        }
        if let leaderless { throw .noLeader(endpoint: leaderless.url) }
        throw .unreachable(failures)
    }

    static func error(_ failure: GatewayFailure, endpoint: EtcdEndpoint) -> EtcdError {
        switch failure {
        case .unreachable(let reason), .interrupted(let reason): .unreachable([.init(endpoint: endpoint.url, reason: reason)])
        case .noLeader: .noLeader(endpoint: endpoint.url)
        case .invalidToken(let reason): .unauthenticated(endpoint: endpoint.url, reason: reason)
        case .final(let error): error
        }
    }

    /// One request to one endpoint, authenticating first when credentials are set and again once when the
    /// token is refused.
    private func attempt(
        _ endpoint: EtcdEndpoint, _ path: String, _ body: String, deadline: NIODeadline
    ) async -> Result<GatewayJSON, GatewayFailure> {
        guard credentials != nil else { return await send(endpoint, path, body, token: nil, deadline: deadline) }
        let token: String
        switch await currentToken(endpoint, deadline: deadline) {
        case .success(let value): token = value
        case .failure(let failure): return .failure(failure)
        }
        let result = await send(endpoint, path, body, token: token, deadline: deadline)
        guard case .failure(.invalidToken) = result else { return result }
        switch await authenticate(endpoint, deadline: deadline) {
        case .success(let fresh):
            let retried = await send(endpoint, path, body, token: fresh, deadline: deadline)
            if case .failure(.invalidToken(let reason)) = retried {
                return .failure(.final(.unauthenticated(endpoint: endpoint.url, reason: reason)))
            }
            return retried
        case .failure(let failure):
            return .failure(failure)
        }
    }

    private func currentToken(_ endpoint: EtcdEndpoint, deadline: NIODeadline) async -> Result<String, GatewayFailure> {
        if let token = state.withLock({ $0.token }) { return .success(token) }
        return await authenticate(endpoint, deadline: deadline)
    }

    /// `/v3/auth/authenticate` with the credentials: the token for the `Authorization` header.
    private func authenticate(_ endpoint: EtcdEndpoint, deadline: NIODeadline) async -> Result<String, GatewayFailure> {
        guard let credentials else { return .failure(.final(.configuration("no etcd credentials"))) }
        let body = GatewayRequests.authenticate(name: credentials.name, password: credentials.password)
        switch await send(endpoint, "/v3/auth/authenticate", body, token: nil, deadline: deadline) {
        case .success(let json):
            guard let token = json["token"]?.string, !token.isEmpty else {
                return .failure(.final(.malformedResponse(endpoint: endpoint.url, reason: "authenticate returned no token")))
            }
            state.withLock { $0.token = token }
            return .success(token)
        case .failure(.invalidToken(let reason)):
            return .failure(.final(.unauthenticated(endpoint: endpoint.url, reason: reason)))
        case .failure(let failure):
            return .failure(failure)
        }
    }

    /// The longest answer read: a range of everything under a large prefix.
    static let maximumBody = 1 << 30

    /// One POST: the answer's JSON on HTTP 200, else the classified error body or transport error.
    private func send(
        _ endpoint: EtcdEndpoint, _ path: String, _ body: String, token: String?, deadline: NIODeadline
    ) async -> Result<GatewayJSON, GatewayFailure> {
        let request = makeRequest(endpoint, path, body, token: token)
        let bytes: [UInt8]
        let status: Int
        do {
            let response = try await http.execute(request, deadline: deadline)
            status = Int(response.status.code)
            let buffer = try await response.body.collect(upTo: Self.maximumBody)
            bytes = Array(buffer.readableBytesView)
        } catch {
            return .failure(GatewayErrors.classify(transport: error, endpoint: endpoint.url, connectTimeout: "2 s"))
        }
        guard status == 200 else {
            return .failure(GatewayErrors.classify(body: bytes, status: status, endpoint: endpoint.url))
        }
        do {
            return .success(try GatewayResponses(endpoint: endpoint.url).document(bytes))
        } catch {
            return .failure(.final(error))
        }
    }

    func makeRequest(_ endpoint: EtcdEndpoint, _ path: String, _ body: String, token: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.url + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: token) }
        request.body = .bytes(ByteBuffer(string: body))
        return request
    }

    // MARK: Watch

    /// Opens the watch on the current endpoint (moving on while members cannot be reached) and yields its
    /// messages until the stream breaks or the consumer goes away.
    private func runWatch(
        _ request: EtcdWatchRequest, _ continuation: AsyncThrowingStream<EtcdWatchResponse, any Error>.Continuation
    ) async throws(EtcdError) {
        let start = try state.withLock { state throws(EtcdError) in
            guard !state.closed else { throw EtcdError.configuration("the etcd client is closed") }
            return state.current
        }
        var failures: [EtcdError.EndpointFailure] = []
        var leaderless: EtcdEndpoint?
        for offset in 0..<endpoints.count {
            if Task.isCancelled { return }
            let index = (start + offset) % endpoints.count
            let endpoint = endpoints[index]
            let watch = EtcdWatchSession(client: self, endpoint: endpoint, request: request)
            var result = await watch.run(continuation, token: await watchToken(endpoint))
            if case .failure(.invalidToken) = result, credentials != nil {
                let deadline = NIODeadline.now() + Self.requestTimeout
                switch await authenticate(endpoint, deadline: deadline) {
                case .success(let fresh): result = await watch.run(continuation, token: fresh)
                case .failure(let failure): result = .failure(failure)
                }
                if case .failure(.invalidToken(let reason)) = result {
                    result = .failure(.final(.unauthenticated(endpoint: endpoint.url, reason: reason)))
                }
            }
            switch result {
            case .success:
                state.withLock { $0.current = index }
                return
            case .failure(.unreachable(let reason)):
                failures.append(.init(endpoint: endpoint.url, reason: reason))
            case .failure(.noLeader):
                leaderless = endpoint
                failures.append(.init(endpoint: endpoint.url, reason: "no leader"))
            case .failure(let failure):
                throw Self.error(failure, endpoint: endpoint)
            }
        }
        if let leaderless { throw .noLeader(endpoint: leaderless.url) }
        throw .unreachable(failures)
    }

    private func watchToken(_ endpoint: EtcdEndpoint) async -> String? {
        guard credentials != nil else { return nil }
        if case .success(let token) = await currentToken(endpoint, deadline: .now() + Self.requestTimeout) {
            return token
        }
        return nil
    }
}

extension EtcdOperation {
    /// Whether the operation changes the store.
    var writes: Bool {
        if case .range = self { return false }
        return true
    }
}
