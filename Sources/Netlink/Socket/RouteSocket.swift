import CMnl
import Glibc
import SystemError

/// A `NETLINK_ROUTE` socket for requests and dumps: links, addresses, routes, neighbours and FDB entries.
///
/// Every request carries its own sequence number and replies are checked against it and the socket's port
/// id. Batches (`apply`) go many messages per `sendmsg` with one ACK barrier per send; the kernel reports
/// each failure by sequence number, which maps it back to its operation. The socket asks for extended acks
/// (`NETLINK_EXT_ACK`), capped acks (`NETLINK_CAP_ACK`) and strict dump checking (`NETLINK_GET_STRICT_CHK`,
/// which lets the kernel filter dumps by table, protocol and device).
///
/// Not thread-safe: give it one owner. It works in the network namespace it was created in
/// (see `NetworkNamespace.perform`).
public final class RouteSocket {
    /// Buffer sizes and batch limits.
    public struct Configuration: Sendable {
        /// The socket send buffer; one batch send must fit in it.
        public var sendBufferSize: Int
        /// The socket receive buffer; every failure of a send queues an error reply (about 1 KiB each).
        public var receiveBufferSize: Int
        /// At most this many messages per `sendmsg`; also capped by the receive buffer so that a send whose
        /// every message fails cannot overflow it.
        public var messagesPerSend: Int

        public init(sendBufferSize: Int = 4 << 20, receiveBufferSize: Int = 8 << 20, messagesPerSend: Int = 1024) {
            self.sendBufferSize = sendBufferSize
            self.receiveBufferSize = receiveBufferSize
            self.messagesPerSend = messagesPerSend
        }
    }

    let socket: NetlinkSocket
    let requests: RequestBuffer
    let receiveBuffer: UnsafeMutableRawBufferPointer
    let messagesPerSend: Int
    private var nextSequence: UInt32

    /// The kernel-assigned port id that replies must carry.
    public var portID: UInt32 { socket.portID }

    /// Opens a socket in the calling thread's network namespace.
    public convenience init(configuration: Configuration = Configuration()) throws(NetlinkError) {
        try self.init(socket: NetlinkSocket(), configuration: configuration)
    }

    /// Opens a socket in another network namespace; it works there from any thread.
    public convenience init(in namespace: NetworkNamespace, configuration: Configuration = Configuration())
        throws(NetlinkError)
    {
        try self.init(socket: namespace.openSocket(), configuration: configuration)
    }

    private init(socket: NetlinkSocket, configuration: Configuration) throws(NetlinkError) {
        self.socket = socket
        try socket.setNetlinkOption(NetlinkOption.extAck, 1, name: "NETLINK_EXT_ACK")
        try socket.setNetlinkOption(NetlinkOption.capAck, 1, name: "NETLINK_CAP_ACK")
        try socket.setNetlinkOption(NetlinkOption.strictCheck, 1, name: "NETLINK_GET_STRICT_CHK")
        let sendBuffer = socket.setBufferSize(receive: false, bytes: configuration.sendBufferSize)
        let receiveBuffer = socket.setBufferSize(receive: true, bytes: configuration.receiveBufferSize)
        // The kernel refuses a send longer than the send buffer (less a little bookkeeping).
        requests = RequestBuffer(limit: max(4096, min(1 << 20, sendBuffer / 2)))
        messagesPerSend = max(1, min(configuration.messagesPerSend, receiveBuffer / 1024))
        // Dump replies come in datagrams of up to 32 KiB; room for two.
        self.receiveBuffer = .allocate(byteCount: 64 * 1024, alignment: 8)
        nextSequence = UInt32.random(in: 1...UInt32.max / 2)
    }

    deinit { receiveBuffer.deallocate() }

    /// Reserves `count` consecutive sequence numbers and returns the first.
    func reserveSequences(_ count: Int) -> UInt32 {
        let first = nextSequence
        nextSequence &+= UInt32(count)
        if nextSequence == 0 { nextSequence = 1 }
        return first
    }

    /// Receives one datagram and returns its messages that answer this socket (port id check).
    func receive(operation: @autoclosure () -> String) throws(NetlinkError) -> MessageSequence {
        let count: Int
        do {
            count = try socket.receive(into: receiveBuffer, operation: operation())
        } catch  where error.errno == Errno(ENOBUFS) {
            throw NetlinkError(
                Errno(ENOBUFS), message: "replies were dropped (receive queue full); kernel state unknown, dump again",
                operation: operation())
        }
        return MessageSequence(UnsafeRawBufferPointer(start: receiveBuffer.baseAddress, count: count))
    }

    /// Sends one request with `NLM_F_ACK` and hands every reply to `handle` until the kernel's ack.
    func request(
        type: UInt16, flags: UInt16 = 0, operation: @autoclosure () -> String,
        build: (inout MessageBuilder) -> Void, handle: (ReceivedMessage) -> Void = { _ in }
    ) throws(NetlinkError) {
        let sequence = reserveSequences(1)
        requests.reset()
        requests.append(type: type, flags: flags | HeaderFlag.ack, sequence: sequence, build)
        try socket.send(requests.bytes, operation: operation())
        while true {
            for message in try receive(operation: operation())
            where message.portID == portID && message.sequence == sequence {
                guard message.type == MessageType.error else {
                    handle(message)
                    continue
                }
                guard let reply = KernelErrorReply(errorPayload: message.payload, flags: message.flags) else {
                    throw NetlinkError(Errno(EBADMSG), message: "truncated error reply", operation: operation())
                }
                if reply.errorCode != 0 { throw reply.error(operation: operation()) }
                return
            }
        }
    }

    /// Runs a dump and decodes each reply; retries when the kernel flags the dump as interrupted (the
    /// table changed under it), so the result is one consistent snapshot.
    func dump<T>(
        type: UInt16, operation: @autoclosure () -> String, build: (inout MessageBuilder) -> Void,
        decode: (ReceivedMessage) -> T?
    ) throws(NetlinkError) -> [T] {
        let attempts = 5
        for _ in 0..<attempts {
            var results: [T] = []
            let sequence = reserveSequences(1)
            requests.reset()
            requests.append(type: type, flags: HeaderFlag.dump, sequence: sequence, build)
            try socket.send(requests.bytes, operation: operation())
            var interrupted = false
            var done = false
            while !done {
                for message in try receive(operation: operation())
                where message.portID == portID && message.sequence == sequence {
                    if message.flags & HeaderFlag.dumpInterrupted != 0 { interrupted = true }
                    switch message.type {
                    case MessageType.done:
                        let reply = KernelErrorReply(donePayload: message.payload, flags: message.flags)
                        if reply.errorCode < 0 { throw reply.error(operation: operation()) }
                        done = true
                    case MessageType.error:
                        guard let reply = KernelErrorReply(errorPayload: message.payload, flags: message.flags)
                        else { throw NetlinkError(Errno(EBADMSG), operation: operation()) }
                        throw reply.error(operation: operation())
                    default:
                        if let value = decode(message) { results.append(value) }
                    }
                }
            }
            if !interrupted { return results }
        }
        throw NetlinkError(
            Errno(EINTR), message: "dump interrupted \(attempts) times by concurrent changes", operation: operation())
    }
}
