import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The status server: HTTP/1.1 over the status Unix socket (every endpoint) and, when enabled, over TCP for
/// health probes and Prometheus.
///
/// Built on SwiftNIO: one event loop (a group of one thread, owned by the server unless one is passed in)
/// serves every listener and connection, one request per connection, so neither a slow client nor the server
/// ever occupies the cooperative pool. The provider is asked for answers on that thread (see
/// ``StatusProvider``).
///
/// ```swift
/// let server = try StatusServer.start(StatusServer.Configuration(agent: configuration), provider: board, log: log)
/// defer { server.stop() }
/// ```
public final class StatusServer: Sendable {
    private let listeners: [StatusListener]
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let connections: StatusConnections
    private let stopped = Mutex(false)

    /// The TCP ports bound, in the order of ``Configuration/tcp``.
    public var tcpPorts: [Int] { listeners.compactMap(\.port) }

    /// Binds every listener (all or none: on a failure the ones bound are closed) and starts serving.
    ///
    /// - Parameter group: the event loops to serve on; nil makes one of a single thread, which ``stop()``
    ///   shuts down (a group passed in stays up).
    public static func start(
        _ configuration: Configuration, provider: any StatusProvider, log: AgentLog? = nil,
        group: (any EventLoopGroup)? = nil
    ) throws(SystemCallError) -> StatusServer {
        let eventLoops = group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connections = StatusConnections(limit: max(1, configuration.maximumConnections))
        let timeout = TimeAmount.seconds(Int64(max(1, configuration.clientTimeoutSeconds)))
        func bootstrap(serving endpoints: Set<StatusEndpoint>) -> ServerBootstrap {
            ServerBootstrap(group: eventLoops)
                .serverChannelOption(.backlog, value: 64)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    let admitted = connections.admit(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        guard admitted else {
                            try pipeline.addHandler(HTTPResponseEncoder())
                            try pipeline.addHandler(BusyConnection(sendTimeout: timeout))
                            return
                        }
                        try pipeline.addHandler(IdleStateHandler(readTimeout: timeout))
                        try addRequestHandlers(
                            to: pipeline, endpoints: endpoints, provider: provider, log: log, sendTimeout: timeout)
                    }
                }
        }

        var listeners: [StatusListener] = []
        do throws(SystemCallError) {
            if let path = configuration.unixSocket {
                let endpoints = Set(StatusEndpoint.allCases)
                listeners.append(
                    try .unix(
                        path: path, mode: configuration.unixSocketMode, endpoints: endpoints,
                        bootstrap: bootstrap(serving: endpoints), group: eventLoops))
            }
            for listener in configuration.tcp {
                listeners.append(
                    try .tcp(
                        host: listener.host, port: listener.port, endpoints: listener.endpoints,
                        bootstrap: bootstrap(serving: listener.endpoints)))
            }
        } catch {
            for listener in listeners { listener.close() }
            if group == nil { try? eventLoops.syncShutdownGracefully() }
            throw error
        }
        for listener in listeners {
            log?.info("status server listening", ["address": listener.name])
        }
        return StatusServer(listeners: listeners, group: eventLoops, ownsGroup: group == nil, connections: connections)
    }

    /// The handlers that read one request from the connection's bytes and answer it: bare-LF repair, NIO's HTTP
    /// parser with the header limit, the response encoder and ``StatusConnection`` (the fuzz target `fuzz-status`
    /// runs bytes through exactly these).
    static func addRequestHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, endpoints: Set<StatusEndpoint>,
        provider: any StatusProvider, log: AgentLog?, sendTimeout: TimeAmount
    ) throws {
        try pipeline.addHandler(LineEndNormalizer())
        let decoder = HTTPRequestDecoder(limitConfiguration: StatusRequestCheck.decoderLimits)
        try pipeline.addHandler(ByteToMessageHandler(decoder))
        try pipeline.addHandler(HTTPResponseEncoder())
        try pipeline.addHandler(
            StatusConnection(endpoints: endpoints, provider: provider, log: log, sendTimeout: sendTimeout))
    }

    private init(
        listeners: [StatusListener], group: any EventLoopGroup, ownsGroup: Bool, connections: StatusConnections
    ) {
        self.listeners = listeners
        self.group = group
        self.ownsGroup = ownsGroup
        self.connections = connections
    }

    /// Stops accepting, ends connections in progress, closes the sockets, removes the Unix socket file and
    /// shuts down the server's own event loop. Safe to call more than once; blocks briefly, so call it from a
    /// thread that may block (never from an event loop).
    public func stop() {
        let already = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !already else { return }
        for listener in listeners { listener.close() }
        connections.closeAll()
        if ownsGroup { try? group.syncShutdownGracefully() }
    }
}

/// The connections being served, so that there are never more than the limit and ``closeAll()`` can end
/// them at stop.
final class StatusConnections: Sendable {
    private let limit: Int
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts `channel` in unless the limit is reached; it is counted out when it closes.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = open.withLock { open in
            guard open.count < limit else { return false }
            open[id] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [self] _ in open.withLock { _ = $0.removeValue(forKey: id) } }
        }
        return admitted
    }

    /// Closes every connection and waits until they are closed.
    func closeAll() {
        let channels = open.withLock { Array($0.values) }
        for channel in channels { try? channel.close().wait() }
    }
}
