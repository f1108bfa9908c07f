import CNftnl
import Glibc
import SystemError

/// A NETLINK_NETFILTER socket that commits transactions and lists the ruleset.
///
/// Each `commit` sends its whole transaction as one nfnetlink batch in one `sendmsg`, so the kernel applies
/// all of it or none; the replies are matched to operations by sequence number. Not Sendable: keep it in
/// the one actor (or thread) that owns the dataplane.
public final class NFTablesSocket {
    /// Receive buffer for replies: ACKs cost about 1 KiB of it each.
    static let receiveBufferSize = 8 * 1024 * 1024
    /// Up to this many messages each get an ACK; larger batches get one on their last message.
    static let ackEveryMessageLimit = 2048
    /// How long to wait for replies that are not already queued when sendmsg returns.
    static let replyTimeoutMilliseconds: Int32 = 5000

    private let socket: OpaquePointer
    private let descriptor: Int32
    private var sequence: UInt32
    private var sendBufferSize: Int = 0
    private var receiveBuffer: UnsafeMutableRawBufferPointer

    /// Opens a socket in the caller's network namespace, or, given a path such as /run/netns/NAME, in that one.
    public init(networkNamespace path: String? = nil) throws(NFTablesError) {
        let descriptor: Int32
        if let path {
            descriptor = try openNetfilterSocket(inNamespaceAt: path)
        } else {
            descriptor = Glibc.socket(
                AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_NETFILTER)
            guard descriptor >= 0 else { throw .system("socket(NETLINK_NETFILTER)", Errno(errno)) }
        }
        guard let socket = mnl_socket_fdopen(descriptor) else {
            let code = errno
            close(descriptor)
            throw .system("mnl_socket_fdopen", Errno(code))
        }
        self.socket = socket
        self.descriptor = descriptor
        sequence = UInt32(truncatingIfNeeded: time(nil))
        receiveBuffer = .allocate(byteCount: 256 * 1024, alignment: 8)
        // From here deinit releases everything.
        guard mnl_socket_bind(socket, 0, 0) == 0 else { throw .system("bind(NETLINK_NETFILTER)", Errno(errno)) }
        var on: Int32 = 1
        // Replies without the request echoed (CAP_ACK) and with the kernel's message and offset (EXT_ACK);
        // best effort, as both are optional kernel features.
        _ = mnl_socket_setsockopt(socket, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = mnl_socket_setsockopt(socket, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        try setBuffer(SO_RCVBUFFORCE, fallback: SO_RCVBUF, size: Self.receiveBufferSize)
        try growSendBuffer(to: 1024 * 1024)
    }

    deinit {
        mnl_socket_close(socket)
        receiveBuffer.deallocate()
    }

    /// The socket's netlink port id.
    public var portID: UInt32 { mnl_socket_get_portid(socket) }

    // MARK: - Transactions

    /// Applies a transaction atomically. Throws `.rejected` naming each refused operation (nothing changed),
    /// `.commitFailed`, or `.acknowledgementsLost` when the outcome is unknown and a resync is due.
    public func commit(_ transaction: Transaction) throws(NFTablesError) {
        guard !transaction.isEmpty else { return }
        let encoder = BatchEncoder(firstSequence: sequence)
        try encoder.encode(transaction)
        sequence = encoder.nextSequence
        guard !encoder.origins.isEmpty else { return }  // e.g. only empty element lists
        let (iovecs, length, barrier) = encoder.finish(ackEveryMessageUpTo: Self.ackEveryMessageLimit)
        try growSendBuffer(to: length)
        try send(iovecs, length: length)
        let replies = try readAcknowledgements(until: barrier, begin: encoder.beginSequence)
        try raiseFailures(replies, encoder: encoder, transaction: transaction)
    }

    private func send(_ pages: [iovec], length: Int) throws(NFTablesError) {
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        var pages = pages
        let sent = withUnsafeMutablePointer(to: &address) { addressPointer in
            pages.withUnsafeMutableBufferPointer { buffer in
                var message = msghdr()
                message.msg_name = UnsafeMutableRawPointer(addressPointer)
                message.msg_namelen = socklen_t(MemoryLayout<sockaddr_nl>.size)
                message.msg_iov = buffer.baseAddress
                message.msg_iovlen = buffer.count
                return sendmsg(descriptor, &message, 0)
            }
        }
        guard sent >= 0 else { throw .system("sendmsg of a \(length)-byte nf_tables batch", Errno(errno)) }
        guard sent == length else { throw .system("sendmsg sent \(sent) of \(length) bytes", Errno(EMSGSIZE)) }
    }

    /// Reads replies until the barrier's ACK. nfnetlink processes a batch inside sendmsg, so the replies are
    /// normally queued already; an error on the BEGIN message with nothing after it ends the batch early.
    private func readAcknowledgements(
        until barrier: UInt32, begin: UInt32
    ) throws(NFTablesError)
        -> [NetlinkAcknowledgement]
    {
        var replies: [NetlinkAcknowledgement] = []
        var sawBarrier = false
        while !sawBarrier {
            let received = recv(descriptor, receiveBuffer.baseAddress, receiveBuffer.count, Int32(MSG_DONTWAIT))
            if received < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN {
                    if replies.contains(where: { $0.sequence == begin && $0.errno != nil }) { break }
                    guard try waitReadable() else {
                        throw .acknowledgementsLost(
                            "no ACK for sequence \(barrier) within \(Self.replyTimeoutMilliseconds) ms")
                    }
                    continue
                }
                if code == ENOBUFS { throw .acknowledgementsLost("receive buffer overflowed (ENOBUFS)") }
                throw .system("recv nf_tables replies", Errno(code))
            }
            try Netlink.forEachMessage(in: UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<received])) {
                message throws(NFTablesError) in
                guard message.pointee.nlmsg_type == Netlink.errorType else { return }
                let reply = try NetlinkAcknowledgement(message)
                guard reply.sequence &- begin <= barrier &- begin else { return }  // a stale reply
                replies.append(reply)
                if reply.sequence == barrier { sawBarrier = true }
            }
        }
        return replies
    }

    private func waitReadable() throws(NFTablesError) -> Bool {
        var descriptorPoll = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptorPoll, 1, Self.replyTimeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { throw .system("poll", Errno(errno)) }
            return ready > 0
        }
    }

    private func raiseFailures(_ replies: [NetlinkAcknowledgement], encoder: BatchEncoder, transaction: Transaction)
        throws(NFTablesError)
    {
        var failures: [RejectedOperation] = []
        for reply in replies {
            guard let code = reply.errno else { continue }
            if reply.sequence == encoder.beginSequence {
                if failures.isEmpty { throw .commitFailed(code, message: reply.message) }
                continue
            }
            guard let origin = encoder.origin(ofSequence: reply.sequence) else { continue }
            let operation = transaction.operations[origin.operation]
            let located = FailureLocator.locate(reply.attributeOffset, in: origin, operation: operation)
            failures.append(
                RejectedOperation(
                    index: origin.operation, verb: operation.verb, object: located.object, errno: code,
                    message: reply.message, attributeOffset: reply.attributeOffset, detail: located.detail))
        }
        if !failures.isEmpty { throw .rejected(failures) }
    }

    // MARK: - Buffers

    private func growSendBuffer(to length: Int) throws(NFTablesError) {
        // netlink refuses a sendmsg larger than the send buffer; the kernel doubles the value set.
        guard length + 64 * 1024 > sendBufferSize else { return }
        let size = max(length + 64 * 1024, sendBufferSize * 2)
        try setBuffer(SO_SNDBUFFORCE, fallback: SO_SNDBUF, size: size)
        sendBufferSize = size
    }

    private func setBuffer(_ forced: Int32, fallback: Int32, size: Int) throws(NFTablesError) {
        var value = Int32(clamping: size)
        let length = socklen_t(MemoryLayout<Int32>.size)
        // The FORCE variants need CAP_NET_ADMIN, which programming nf_tables needs anyway.
        if setsockopt(descriptor, SOL_SOCKET, forced, &value, length) == 0 { return }
        guard setsockopt(descriptor, SOL_SOCKET, fallback, &value, length) == 0 else {
            throw .system("setsockopt(\(forced == SO_SNDBUFFORCE ? "SO_SNDBUF" : "SO_RCVBUF"), \(size))", Errno(errno))
        }
    }

    // MARK: - Requests (used by listing)

    func takeSequence() -> UInt32 {
        defer { sequence &+= 1 }
        return sequence
    }

    func sendRequest(_ message: UnsafeMutablePointer<nlmsghdr>) throws(NFTablesError) {
        let length = Int(message.pointee.nlmsg_len)
        guard mnl_socket_sendto(socket, message, length) == length else {
            throw .system("sendto nf_tables request", Errno(errno))
        }
    }

    /// Receives one datagram of replies (blocking; the kernel fills dumps as they are read).
    func receive() throws(NFTablesError) -> UnsafeRawBufferPointer {
        while true {
            let received = recv(descriptor, receiveBuffer.baseAddress, receiveBuffer.count, 0)
            if received >= 0 { return UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<received]) }
            let code = errno
            if code == EINTR { continue }
            if code == ENOBUFS { throw .listFailed("dump", Errno(code), message: "receive buffer overflowed") }
            throw .system("recv nf_tables dump", Errno(code))
        }
    }
}
