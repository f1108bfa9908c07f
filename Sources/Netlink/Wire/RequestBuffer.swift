import CMnl
import NetworkAddress

/// A run of netlink request messages, written with libmnl into one buffer that goes to the kernel in one
/// `sendmsg`. The buffer keeps `headroom` bytes past `limit`, so a message begun below the limit always fits.
final class RequestBuffer {
    /// Bytes after which no new message is begun.
    let limit: Int
    /// Room kept past `limit` for the last message; no request this module builds comes near it.
    static let headroom = 64 * 1024

    private let base: UnsafeMutableRawPointer
    private(set) var byteCount = 0
    private(set) var messageCount = 0
    private var lastMessageOffset = 0

    init(limit: Int) {
        self.limit = limit
        base = .allocate(byteCount: limit + Self.headroom, alignment: 8)
    }

    deinit { base.deallocate() }

    var isFull: Bool { byteCount >= limit }
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: byteCount) }

    func reset() {
        byteCount = 0
        messageCount = 0
        lastMessageOffset = 0
    }

    /// Appends one message; `body` adds the family header and attributes.
    func append(
        type: UInt16, flags: UInt16, sequence: UInt32, _ body: (inout MessageBuilder) -> Void
    ) {
        precondition(byteCount < limit + Self.headroom / 2, "request buffer overrun")
        let header = mnl_nlmsg_put_header(base + byteCount)!
        header.pointee.nlmsg_type = type
        header.pointee.nlmsg_flags = HeaderFlag.request | flags
        header.pointee.nlmsg_seq = sequence
        var builder = MessageBuilder(header: header)
        body(&builder)
        lastMessageOffset = byteCount
        byteCount += Int(header.pointee.nlmsg_len)
        messageCount += 1
    }

    /// Adds header flags to the last message (the ACK barrier of a batch).
    func addFlagsToLastMessage(_ flags: UInt16) {
        guard messageCount > 0 else { return }
        let header = (base + lastMessageOffset).assumingMemoryBound(to: nlmsghdr.self)
        header.pointee.nlmsg_flags |= flags
    }
}

/// Writes one message's family header and attributes through libmnl.
struct MessageBuilder {
    let header: UnsafeMutablePointer<nlmsghdr>

    /// The family header (`ifinfomsg`, `rtmsg`, ...), which must directly follow `nlmsghdr`.
    func putFamilyHeader<T>(_ value: T) {
        let room = mnl_nlmsg_put_extra_header(header, MemoryLayout<T>.size)!
        room.storeBytes(of: value, as: T.self)
    }

    func put(_ type: UInt16, u8 value: UInt8) { mnl_attr_put_u8(header, type, value) }
    func put(_ type: UInt16, u16 value: UInt16) { mnl_attr_put_u16(header, type, value) }
    func put(_ type: UInt16, u32 value: UInt32) { mnl_attr_put_u32(header, type, value) }
    func put(_ type: UInt16, string value: String) { mnl_attr_put_strz(header, type, value) }

    /// A 16-bit value in network byte order (ports).
    func put(_ type: UInt16, bigEndian value: UInt16) { mnl_attr_put_u16(header, type, value.bigEndian) }

    /// An address in network byte order: 4 or 16 bytes.
    func put(_ type: UInt16, address: IPAddress) {
        switch address {
        case .v4(let a):
            var raw = a.value.bigEndian
            mnl_attr_put(header, type, 4, &raw)
        case .v6(let a):
            var raw = (a.high.bigEndian, a.low.bigEndian)
            mnl_attr_put(header, type, 16, &raw)
        }
    }

    func put(_ type: UInt16, mac: MACAddress) {
        let bytes = mac.bytes
        bytes.withUnsafeBytes { mnl_attr_put(header, type, 6, $0.baseAddress) }
    }

    /// A nested attribute whose contents `body` writes.
    func nest(_ type: UInt16, _ body: () -> Void) {
        let start = mnl_attr_nest_start(header, type)
        body()
        mnl_attr_nest_end(header, start)
    }

    /// A nested attribute that begins with a family header (`VETH_INFO_PEER` carries an `ifinfomsg`).
    func nest<T>(_ type: UInt16, familyHeader: T, _ body: () -> Void) {
        let start = mnl_attr_nest_start(header, type)!
        let size = MemoryLayout<T>.size
        let room = UnsafeMutableRawPointer(header) + Int(header.pointee.nlmsg_len)
        room.initializeMemory(as: UInt8.self, repeating: 0, count: (size + 3) & ~3)
        room.storeBytes(of: familyHeader, as: T.self)
        header.pointee.nlmsg_len += UInt32((size + 3) & ~3)
        body()
        mnl_attr_nest_end(header, start)
    }
}
