import Dispatch
import Foundation
import Glibc
import Synchronization

/// The status server: HTTP/1.1 over the status Unix socket (every endpoint) and, when enabled, over TCP for
/// health probes and Prometheus.
///
/// One thread accepts on all listening sockets; each connection is served on a thread of its own (one request,
/// then the connection closes), so neither a slow client nor the server ever occupies the cooperative pool.
/// The provider is asked for answers on those threads (see ``StatusProvider``).
///
/// ```swift
/// let server = try StatusServer.start(StatusServer.Configuration(agent: configuration), provider: board, log: log)
/// defer { server.stop() }
/// ```
public final class StatusServer: Sendable {
    /// Where to listen.
    public struct Configuration: Sendable {
        /// A TCP listener: address, port (0 picks a free one) and the endpoints it serves.
        public struct TCPListener: Sendable, Equatable {
            public var host: String
            public var port: Int
            public var endpoints: Set<StatusEndpoint>

            public init(host: String, port: Int, endpoints: Set<StatusEndpoint>) {
                self.host = host
                self.port = port
                self.endpoints = endpoints
            }
        }

        /// The Unix socket serving every endpoint, or nil for none.
        public var unixSocket: String?
        /// The Unix socket's permissions: owner and group may connect.
        public var unixSocketMode: mode_t = 0o660
        public var tcp: [TCPListener]
        /// How long a client may take to send its request, or to take the response.
        public var clientTimeoutSeconds = 5
        /// Connections served at once; more are answered 503 at once.
        public var maximumConnections = 64

        public init(unixSocket: String?, unixSocketMode: mode_t = 0o660, tcp: [TCPListener] = []) {
            self.unixSocket = unixSocket
            self.unixSocketMode = unixSocketMode
            self.tcp = tcp
        }

        /// The agent's listeners: `statusSocket`; `/liveness` and `/readiness` on `healthHost:healthPort` when
        /// `healthEnabled`; `/metrics` on `metricsHost:metricsPort` when `metricsEnabled` (one listener when both
        /// name the same host and port).
        public init(agent: AgentConfiguration) {
            var tcp: [TCPListener] = []
            if agent.healthEnabled {
                tcp.append(
                    TCPListener(host: agent.healthHost, port: agent.healthPort, endpoints: StatusEndpoint.health))
            }
            if agent.metricsEnabled {
                if let index = tcp.firstIndex(where: { $0.host == agent.metricsHost && $0.port == agent.metricsPort }) {
                    tcp[index].endpoints.insert(.metrics)
                } else {
                    tcp.append(TCPListener(host: agent.metricsHost, port: agent.metricsPort, endpoints: [.metrics]))
                }
            }
            self.init(unixSocket: agent.statusSocket, tcp: tcp)
        }
    }

    private let listeners: [ListeningSocket]
    private let clientTimeoutSeconds: Int
    private let maximumConnections: Int
    private let provider: any StatusProvider
    private let log: AgentLog?
    /// The pipe that wakes the accept thread to stop: [read end, write end].
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let acceptThreadDone = DispatchSemaphore(value: 0)
    private let connections = DispatchGroup()
    private let activeConnections = Mutex<Set<Int32>>([])
    private let stopped = Mutex(false)

    /// The TCP ports bound, in the order of ``Configuration/tcp``.
    public var tcpPorts: [Int] { listeners.compactMap(\.port) }

    /// Binds every listener (all or none: on a failure the ones bound are closed) and starts serving.
    public static func start(_ configuration: Configuration, provider: any StatusProvider, log: AgentLog? = nil)
        throws(SystemCallError) -> StatusServer
    {
        var listeners: [ListeningSocket] = []
        do throws(SystemCallError) {
            if let path = configuration.unixSocket {
                listeners.append(
                    try .unix(path: path, mode: configuration.unixSocketMode, endpoints: Set(StatusEndpoint.allCases)))
            }
            for listener in configuration.tcp {
                listeners.append(try .tcp(host: listener.host, port: listener.port, endpoints: listener.endpoints))
            }
        } catch {
            for listener in listeners { listener.close() }
            throw error
        }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let error = SystemCallError("pipe2")
            for listener in listeners { listener.close() }
            throw error
        }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let server = StatusServer(
            listeners: listeners, configuration: configuration, provider: provider, log: log, wakeRead: pipeEnds[0],
            wakeWrite: pipeEnds[1])
        let thread = Thread { [server] in server.acceptLoop() }
        thread.name = "tabby-status-accept"
        thread.start()
        for listener in listeners {
            log?.info("status server listening", ["address": listener.name])
        }
        return server
    }

    private init(
        listeners: [ListeningSocket], configuration: Configuration, provider: any StatusProvider, log: AgentLog?,
        wakeRead: Int32, wakeWrite: Int32
    ) {
        self.listeners = listeners
        self.clientTimeoutSeconds = max(1, configuration.clientTimeoutSeconds)
        self.maximumConnections = max(1, configuration.maximumConnections)
        self.provider = provider
        self.log = log
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
    }

    /// Stops accepting, ends connections in progress, waits for their threads, closes the sockets and removes
    /// the Unix socket file. Safe to call more than once; blocks briefly, so call it from a thread that may
    /// block (not while holding an actor's attention for long).
    public func stop() {
        let already = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !already else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        acceptThreadDone.wait()
        // Reads and writes in progress return at once; each connection thread then closes its socket.
        activeConnections.withLock { active in
            for fd in active { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        connections.wait()
        for listener in listeners { listener.close() }
        close(wakeRead)
        close(wakeWrite)
    }

    private func acceptLoop() {
        defer { acceptThreadDone.signal() }
        var descriptors = listeners.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        while true {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                log?.error(
                    "status server poll failed; no longer serving", ["error": SystemCallError("poll").description])
                return
            }
            if descriptors[descriptors.count - 1].revents != 0 { return }
            for index in listeners.indices where descriptors[index].revents != 0 {
                descriptors[index].revents = 0
                acceptOne(listeners[index])
            }
        }
    }

    private func acceptOne(_ listener: ListeningSocket) {
        // accept4 and pipe2 need _GNU_SOURCE, which Swift's Glibc module lacks; set close-on-exec right after.
        let fd = accept(listener.fd, nil, nil)
        guard fd >= 0 else {
            let error = SystemCallError("accept on \(listener.name)")
            if error.code == EMFILE || error.code == ENFILE || error.code == ENOBUFS || error.code == ENOMEM {
                log?.warning("status server cannot accept", ["error": error.description])
                usleep(100_000)  // The pending connection stays queued; do not spin on it.
            }
            return
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var timeout = timeval(tv_sec: clientTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let admitted = activeConnections.withLock { active in
            guard active.count < maximumConnections else { return false }
            active.insert(fd)
            return true
        }
        guard admitted else {
            Self.send(
                HTTPResponse(status: 503, text: "busy: too many status connections").serialized(includeBody: true),
                to: fd)
            close(fd)
            return
        }
        connections.enter()
        let endpoints = listener.endpoints
        let thread = Thread { [self] in
            serve(fd, endpoints: endpoints)
            activeConnections.withLock { _ = $0.remove(fd) }
            close(fd)
            connections.leave()
        }
        thread.name = "tabby-status-client"
        thread.start()
    }

    private func serve(_ fd: Int32, endpoints: Set<StatusEndpoint>) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        var response: HTTPResponse
        var includeBody = true
        var requestLine = ""
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    response = HTTPResponse(status: 408, text: "the request did not arrive in time")
                    break
                }
                return
            }
            if count == 0 {
                guard !received.isEmpty else { return }
                response = HTTPResponse(status: 400, text: "the request ended before its header did")
                break
            }
            received.append(contentsOf: buffer[..<count])
            switch HTTPRequest.parse(received) {
            case .incomplete:
                continue
            case .invalid(let status, let reason):
                response = HTTPResponse(status: status, text: reason)
            case .complete(let request):
                requestLine = "\(request.method) \(request.path)"
                includeBody = request.method != "HEAD"
                response = StatusRouter.respond(to: request, endpoints: endpoints, provider: provider)
            }
            break
        }
        Self.send(response.serialized(includeBody: includeBody), to: fd)
        if let log, log.isEnabled(.debug) {
            log.debug(
                "status request", ["request": requestLine.isEmpty ? "-" : requestLine, "status": "\(response.status)"])
        }
    }

    /// Writes all of `bytes`, giving up when the client goes away or stalls past the send timeout.
    private static func send(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                // MSG_NOSIGNAL: a client that hung up must not raise SIGPIPE in the agent.
                let sent = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += sent
            }
        }
    }
}
