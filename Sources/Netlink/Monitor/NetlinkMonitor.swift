import CMnl
import Glibc
import SystemError

/// Notifications of link, address, route, neighbour and FDB changes, as an `AsyncStream` of parsed events.
///
/// The socket joins its groups when the monitor is created, so changes made between creation and `events()`
/// are queued, not lost. A dedicated thread reads the socket (never the cooperative pool). When the kernel
/// drops notifications because the receive queue overflowed (`ENOBUFS`), the stream delivers `.resyncNeeded`
/// and goes on: the consumer must dump to learn what it missed.
public final class NetlinkMonitor {
    /// The multicast groups (`RTNLGRP_*`) to join.
    public struct Groups: OptionSet, Hashable, Sendable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let link = Groups(rawValue: 1 << 0)
        public static let ipv4Address = Groups(rawValue: 1 << 1)
        public static let ipv6Address = Groups(rawValue: 1 << 2)
        public static let ipv4Route = Groups(rawValue: 1 << 3)
        public static let ipv6Route = Groups(rawValue: 1 << 4)
        /// Neighbour entries, and FDB entries of bridges and VXLAN devices.
        public static let neighbor = Groups(rawValue: 1 << 5)
        public static let all: Groups = [.link, .ipv4Address, .ipv6Address, .ipv4Route, .ipv6Route, .neighbor]

        var kernelGroups: [UInt32] {
            let table: [(Groups, rtnetlink_groups)] = [
                (.link, RTNLGRP_LINK), (.ipv4Address, RTNLGRP_IPV4_IFADDR), (.ipv6Address, RTNLGRP_IPV6_IFADDR),
                (.ipv4Route, RTNLGRP_IPV4_ROUTE), (.ipv6Route, RTNLGRP_IPV6_ROUTE), (.neighbor, RTNLGRP_NEIGH),
            ]
            return table.filter { contains($0.0) }.map { $0.1.rawValue }
        }
    }

    /// The socket, until `events()` hands it to the reader thread.
    private var socket: NetlinkSocket?
    /// Closing this pipe end tells the reader thread to stop.
    private var stopSignal: Int32 = -1

    /// Subscribes in the calling thread's network namespace. `receiveBufferSize` bounds how many notifications
    /// the kernel queues for a slow reader before it drops them (and the stream says `.resyncNeeded`).
    public convenience init(groups: Groups = .all, receiveBufferSize: Int = 8 << 20) throws(NetlinkError) {
        try self.init(socket: NetlinkSocket(), groups: groups, receiveBufferSize: receiveBufferSize)
    }

    /// Subscribes in another network namespace.
    public convenience init(in namespace: NetworkNamespace, groups: Groups = .all, receiveBufferSize: Int = 8 << 20)
        throws(NetlinkError)
    {
        try self.init(socket: namespace.openSocket(), groups: groups, receiveBufferSize: receiveBufferSize)
    }

    private init(socket: NetlinkSocket, groups: Groups, receiveBufferSize: Int) throws(NetlinkError) {
        socket.setBufferSize(receive: true, bytes: receiveBufferSize)
        for group in groups.kernelGroups { try socket.join(group: group) }
        let flags = fcntl(socket.fd, F_GETFL)
        guard flags >= 0, fcntl(socket.fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .system("netlink monitor set O_NONBLOCK")
        }
        self.socket = socket
    }

    deinit { stop() }

    /// Starts the reader thread and returns the events. Call once: a second call (or one after `stop()`) throws
    /// `EALREADY`.
    public func events() throws(NetlinkError) -> AsyncStream<NetlinkEvent> {
        let operation = "netlink monitor start"
        guard let socket else {
            throw NetlinkError(
                Errno(EALREADY), message: "events() was already called or the monitor stopped",
                operation: operation)
        }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw .system(operation) }
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let (stream, continuation) = AsyncStream.makeStream(of: NetlinkEvent.self)
        let reader = MonitorReader(socket: socket, stopFD: pipeEnds[0], continuation: continuation)
        let context = Unmanaged.passRetained(reader)
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, monitorThreadMain, context.toOpaque())
        guard created == 0 else {
            context.release()
            close(pipeEnds[1])
            throw .system(operation, errno: Errno(created))
        }
        pthread_detach(thread)
        self.socket = nil
        stopSignal = pipeEnds[1]
        return stream
    }

    /// Stops the reader thread and finishes the stream; also done when the monitor is deinitialized.
    public func stop() {
        socket = nil
        if stopSignal >= 0 {
            close(stopSignal)
            stopSignal = -1
        }
    }
}

/// The reader thread's state; the thread owns the socket from `events()` on.
private final class MonitorReader {
    let socket: NetlinkSocket
    let stopFD: Int32
    let continuation: AsyncStream<NetlinkEvent>.Continuation
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    init(socket: NetlinkSocket, stopFD: Int32, continuation: AsyncStream<NetlinkEvent>.Continuation) {
        self.socket = socket
        self.stopFD = stopFD
        self.continuation = continuation
    }

    deinit {
        buffer.deallocate()
        close(stopFD)
        continuation.finish()
    }

    /// Waits for notifications or the stop signal; returns when stopped, or when nobody listens any more.
    func run() {
        var fds = [
            pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            // The write end was closed (or written to): stop.
            if fds[1].revents != 0 { return }
            if fds[0].revents != 0, !drain() { return }
        }
    }

    /// Reads everything queued; false when the stream has no consumer left or the socket failed.
    private func drain() -> Bool {
        while true {
            let count: Int
            do {
                count = try socket.receive(into: buffer, operation: "netlink monitor receive")
            } catch  where error.errno == Errno(EAGAIN) {
                return true
            } catch  where error.errno == Errno(ENOBUFS) {
                if case .terminated = continuation.yield(.resyncNeeded) { return false }
                continue
            } catch {
                return false
            }
            for message in MessageSequence(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count)) {
                guard let event = NetlinkEvent(message: message) else { continue }
                if case .terminated = continuation.yield(event) { return false }
            }
        }
    }
}

private func monitorThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let reader = Unmanaged<MonitorReader>.fromOpaque(context!).takeRetainedValue()
    reader.run()
    return nil
}
