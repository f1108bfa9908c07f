import CMnl
import Glibc
import SystemError

extension RouteSocket {
    /// Applies operations in order, many per `sendmsg`, and returns the ones the kernel refused.
    ///
    /// Only the last message of each send asks for an ack: success is silent, every failure comes back as an
    /// error reply carrying the failed message's sequence number, and the barrier's ack says the send is fully
    /// processed. A failure does not stop the operations after it.
    ///
    /// Throws only when the outcome is unknown (the socket failed, or replies were dropped); then dump to learn
    /// the kernel's state.
    public func apply(_ operations: [NetlinkOperation]) throws(NetlinkError) -> [NetlinkOperationFailure] {
        var refused: [(index: Int, reply: KernelErrorReply)] = []
        var start = 0
        while start < operations.count {
            requests.reset()
            let base = reserveSequences(min(messagesPerSend, operations.count - start))
            var end = start
            while end < operations.count, end - start < messagesPerSend, !requests.isFull {
                operations[end].encode(into: requests, sequence: base &+ UInt32(end - start))
                end += 1
            }
            requests.addFlagsToLastMessage(HeaderFlag.ack)
            let description = "batch of \(end - start) operations from #\(start)"
            try socket.send(requests.bytes, operation: description)
            try collectFailures(base: base, count: end - start, description: description) { offset, reply in
                refused.append((start + offset, reply))
            }
            start = end
        }
        guard !refused.isEmpty else { return [] }
        let names = InterfaceNames(socket: self)
        return refused.map { index, reply in
            let operation = operations[index]
            let text = operation.describe { names.name(of: $0) }
            return NetlinkOperationFailure(index: index, operation: operation, error: reply.error(operation: text))
        }
    }

    /// Applies one operation; throws its `NetlinkError` when the kernel refuses it.
    public func perform(_ operation: NetlinkOperation) throws(NetlinkError) {
        if let failure = try apply([operation]).first { throw failure.error }
    }

    /// Reads replies to the messages `base ..< base + count` until the last one's ack.
    private func collectFailures(
        base: UInt32, count: Int, description: String, _ record: (Int, KernelErrorReply) -> Void
    ) throws(NetlinkError) {
        let barrier = UInt32(count - 1)
        while true {
            for message in try receive(operation: description)
            where message.portID == portID && message.type == MessageType.error {
                let offset = message.sequence &- base
                // Replies to earlier, abandoned requests carry other sequence numbers.
                guard offset < UInt32(count) else { continue }
                guard let reply = KernelErrorReply(errorPayload: message.payload, flags: message.flags) else {
                    throw NetlinkError(Errno(EBADMSG), message: "truncated error reply", operation: description)
                }
                if reply.errorCode != 0 { record(Int(offset), reply) }
                if offset == barrier { return }
            }
        }
    }
}

/// Interface names for error texts, looked up once each, only when an operation failed.
final class InterfaceNames {
    private let socket: RouteSocket
    private var cache: [Int32: String] = [:]

    init(socket: RouteSocket) { self.socket = socket }

    func name(of index: Int32) -> String {
        if let name = cache[index] { return name }
        let found = (try? socket.link(index: index))??.name
        let name = found ?? "if\(index)"
        cache[index] = name
        return name
    }
}
