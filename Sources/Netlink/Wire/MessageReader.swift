import CMnl
import NetworkAddress

/// One received netlink message, viewed in place in the receive buffer.
struct ReceivedMessage {
    let type: UInt16
    let flags: UInt16
    let sequence: UInt32
    let portID: UInt32
    /// The bytes after `nlmsghdr`.
    let payload: UnsafeRawBufferPointer
}

/// The messages in one datagram. Parsing is pure Swift: one pass over the bytes, no C call per message.
struct MessageSequence: Sequence, IteratorProtocol {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func next() -> ReceivedMessage? {
        let headerSize = HeaderSize.netlink
        guard bytes.count - offset >= headerSize, let base = bytes.baseAddress else { return nil }
        let start = base + offset
        let length = Int(start.loadUnaligned(as: UInt32.self))
        guard length >= headerSize, length <= bytes.count - offset else { return nil }
        let message = ReceivedMessage(
            type: start.loadUnaligned(fromByteOffset: 4, as: UInt16.self),
            flags: start.loadUnaligned(fromByteOffset: 6, as: UInt16.self),
            sequence: start.loadUnaligned(fromByteOffset: 8, as: UInt32.self),
            portID: start.loadUnaligned(fromByteOffset: 12, as: UInt32.self),
            payload: UnsafeRawBufferPointer(start: start + headerSize, count: length - headerSize))
        offset += (length + 3) & ~3
        return message
    }
}

/// One netlink attribute (type without the nested/byte-order bits, and its payload).
struct Attribute {
    let type: UInt16
    let payload: UnsafeRawBufferPointer

    var u8: UInt8 { payload.count >= 1 ? payload[0] : 0 }
    var u16: UInt16 { payload.count >= 2 ? payload.loadUnaligned(as: UInt16.self) : 0 }
    var u32: UInt32 { payload.count >= 4 ? payload.loadUnaligned(as: UInt32.self) : 0 }
    var int32: Int32 { Int32(bitPattern: u32) }
    var bigEndianU16: UInt16 { UInt16(bigEndian: u16) }

    /// A NUL-terminated string attribute.
    var string: String {
        let end = payload.firstIndex(of: 0) ?? payload.count
        return String(decoding: UnsafeRawBufferPointer(rebasing: payload[..<end]), as: UTF8.self)
    }

    /// An address attribute: 4 bytes for IPv4, 16 for IPv6; nil for anything else.
    var address: IPAddress? {
        switch payload.count {
        case 4: .v4(IPv4Address(UInt32(bigEndian: payload.loadUnaligned(as: UInt32.self))))
        case 16:
            .v6(
                IPv6Address(
                    high: UInt64(bigEndian: payload.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                    low: UInt64(bigEndian: payload.loadUnaligned(fromByteOffset: 8, as: UInt64.self))))
        default: nil
        }
    }

    /// A 6-byte link-layer address; nil for other lengths (tunnels carry 4-byte ones).
    var mac: MACAddress? { payload.count == 6 ? MACAddress(bytes: payload) : nil }

    /// The attributes nested inside this one.
    var nested: AttributeSequence { AttributeSequence(payload) }
}

/// The attributes in a run of bytes (after a family header, or inside a nest).
struct AttributeSequence: Sequence, IteratorProtocol {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The attributes after a family header of `headerSize` bytes at the start of `payload`.
    init(_ payload: UnsafeRawBufferPointer, after headerSize: Int) {
        let skip = Swift.min(payload.count, (headerSize + 3) & ~3)
        bytes = UnsafeRawBufferPointer(rebasing: payload[skip...])
    }

    mutating func next() -> Attribute? {
        guard bytes.count - offset >= 4, let base = bytes.baseAddress else { return nil }
        let start = base + offset
        let length = Int(start.loadUnaligned(as: UInt16.self))
        guard length >= 4, length <= bytes.count - offset else { return nil }
        // 0x3fff is NLA_TYPE_MASK: it drops the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits.
        let type = start.loadUnaligned(fromByteOffset: 2, as: UInt16.self) & 0x3fff
        offset += (length + 3) & ~3
        return Attribute(type: type, payload: UnsafeRawBufferPointer(start: start + 4, count: length - 4))
    }
}

extension UnsafeRawBufferPointer {
    /// Loads a family header (`rtmsg`, `ifinfomsg`, ...) from the start of a payload; nil when too short.
    func familyHeader<T>(as type: T.Type) -> T? {
        guard count >= MemoryLayout<T>.size else { return nil }
        return loadUnaligned(as: T.self)
    }
}
