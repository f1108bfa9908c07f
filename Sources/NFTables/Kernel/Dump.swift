import CNftnl
import Glibc
import SystemError

extension NFTablesSocket {
    static let dumpAttempts = 8

    /// Runs one NLM_F_DUMP request and hands every reply message to `parse`, starting over when the kernel
    /// flags the dump as interrupted by a concurrent change (NLM_F_DUMP_INTR).
    func dump<T>(
        _ type: nf_tables_msg_types, family: Family?, what: String,
        request: (UnsafeMutablePointer<nlmsghdr>) throws(NFTablesError) -> Void,
        parse: (UnsafePointer<nlmsghdr>, inout [T]) throws(NFTablesError) -> Void
    ) throws(NFTablesError) -> [T] {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        for _ in 0..<Self.dumpAttempts {
            let sequence = takeSequence()
            let message = nftnl_nlmsg_build_hdr(
                buffer.assumingMemoryBound(to: CChar.self), UInt16(type.rawValue), UInt16(family?.rawValue ?? 0),
                UInt16(NLM_F_DUMP), sequence)!
            try request(message)
            try sendRequest(message)
            var results: [T] = []
            var interrupted = false
            var done = false
            while !done {
                let datagram = try receive()
                try Netlink.forEachMessage(in: datagram) { reply throws(NFTablesError) in
                    guard reply.pointee.nlmsg_seq == sequence, !done else { return }
                    if reply.pointee.nlmsg_flags & Netlink.flagDumpInterrupted != 0 { interrupted = true }
                    switch reply.pointee.nlmsg_type {
                    case Netlink.doneType:
                        done = true
                    case Netlink.errorType:
                        let acknowledgement = try NetlinkAcknowledgement(reply)
                        if let code = acknowledgement.errno {
                            throw .listFailed(what, code, message: acknowledgement.message)
                        }
                        done = true
                    default:
                        try parse(reply, &results)
                    }
                }
            }
            if !interrupted { return results }
        }
        throw .listFailed(what, Errno(EINTR), message: "interrupted by concurrent changes \(Self.dumpAttempts) times")
    }

    /// The ruleset generation: it changes with every committed transaction.
    public func generation() throws(NFTablesError) -> UInt32 {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        let sequence = takeSequence()
        let message = nftnl_nlmsg_build_hdr(
            buffer.assumingMemoryBound(to: CChar.self), UInt16(NFT_MSG_GETGEN.rawValue), 0, 0, sequence)!
        try sendRequest(message)
        while true {
            var generation: UInt32?
            try Netlink.forEachMessage(in: try receive()) { reply throws(NFTablesError) in
                guard reply.pointee.nlmsg_seq == sequence, generation == nil else { return }
                if reply.pointee.nlmsg_type == Netlink.errorType {
                    let acknowledgement = try NetlinkAcknowledgement(reply)
                    throw .listFailed(
                        "generation", acknowledgement.errno ?? Errno(EPROTO), message: acknowledgement.message)
                }
                generation = try Self.decodeGeneration(reply)
            }
            if let generation { return generation }
        }
    }

    /// The generation in a NEWGEN reply.
    static func decodeGeneration(_ message: UnsafePointer<nlmsghdr>) throws(NFTablesError) -> UInt32 {
        try checkReply(message, NFT_MSG_NEWGEN, "NFT_MSG_NEWGEN")
        let object = NftnlGeneration()
        defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
        guard nftnl_gen_nlmsg_parse(message, object.pointer) >= 0 else { throw .malformedReply("NFT_MSG_NEWGEN") }
        return nftnl_gen_get_u32(object.pointer, attribute(NFTNL_GEN_ID))
    }
}
