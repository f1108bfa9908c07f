import CNftnl
import SystemError

/// Netlink framing read in Swift: cheaper than a C call per attribute, and macros do not import.
enum Netlink {
    static let headerSize = 16
    static let errorType: UInt16 = 2  // NLMSG_ERROR
    static let doneType: UInt16 = 3  // NLMSG_DONE
    static let flagDumpInterrupted: UInt16 = 0x10  // NLM_F_DUMP_INTR
    static let flagCapped: UInt16 = 0x100  // NLM_F_CAPPED
    static let flagAckTLVs: UInt16 = 0x200  // NLM_F_ACK_TLVS
    static let nftablesSubsystem: UInt16 = 10  // NFNL_SUBSYS_NFTABLES, the high byte of the message type

    static func align(_ length: Int) -> Int { (length + 3) & ~3 }

    /// Calls `body` with each complete message in a received datagram.
    static func forEachMessage(
        in buffer: UnsafeRawBufferPointer, _ body: (UnsafePointer<nlmsghdr>) throws(NFTablesError) -> Void
    ) throws(NFTablesError) {
        var offset = 0
        while offset + headerSize <= buffer.count {
            let header = (buffer.baseAddress! + offset).assumingMemoryBound(to: nlmsghdr.self)
            let length = Int(header.pointee.nlmsg_len)
            guard length >= headerSize, offset + length <= buffer.count else {
                throw .malformedReply("netlink message of \(length) bytes at offset \(offset) of \(buffer.count)")
            }
            try body(header)
            offset += align(length)
        }
    }

    /// Calls `body` with (type, payload) for each attribute in `bytes`.
    static func forEachAttribute(in bytes: UnsafeRawBufferPointer, _ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let type = bytes.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3fff
            guard length >= 4, offset + length <= bytes.count else { return }
            body(type, UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<(offset + length)]))
            offset += align(length)
        }
    }
}

/// An NLMSG_ERROR reply: an ACK when `errno` is nil.
struct NetlinkAcknowledgement {
    let sequence: UInt32
    let errno: Errno?
    let message: String?
    let attributeOffset: UInt32?

    init(_ header: UnsafePointer<nlmsghdr>) throws(NFTablesError) {
        let total = Int(header.pointee.nlmsg_len)
        let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(header), count: total)
        // struct nlmsgerr: int error; struct nlmsghdr msg; then the request payload unless capped, then TLVs.
        guard total >= Netlink.headerSize + 4 + Netlink.headerSize else {
            throw .malformedReply("NLMSG_ERROR of \(total) bytes")
        }
        let code = raw.loadUnaligned(fromByteOffset: Netlink.headerSize, as: Int32.self)
        let request = Netlink.headerSize + 4
        sequence = raw.loadUnaligned(fromByteOffset: request + 8, as: UInt32.self)
        // A negative errno; wrapping keeps a malformed Int32.min from trapping (it prints as "errno -2147483648").
        errno = code == 0 ? nil : Errno(0 &- code)
        var message: String?
        var offset: UInt32?
        let flags = header.pointee.nlmsg_flags
        if flags & Netlink.flagAckTLVs != 0 {
            var tlvStart = request + Netlink.headerSize
            if flags & Netlink.flagCapped == 0 {
                let requestLength = Int(raw.loadUnaligned(fromByteOffset: request, as: UInt32.self))
                tlvStart = request + Netlink.align(requestLength)
            }
            if tlvStart < total {
                Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: raw[tlvStart..<total])) { type, value in
                    switch type {
                    case 1:  // NLMSGERR_ATTR_MSG
                        message = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
                    case 2:  // NLMSGERR_ATTR_OFFS
                        if value.count >= 4 { offset = value.loadUnaligned(as: UInt32.self) }
                    default: break
                    }
                }
            }
        }
        self.message = message
        attributeOffset = offset
    }
}
