import Glibc

/// An IPv4 address, as nf_tables compares it (network byte order on the wire).
///
/// The module defines its own small address types so that it depends on nothing above the kernel layer.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a host-order integer: 192.0.2.1 is 0xC000_0201.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad notation ("192.0.2.1").
    public init?(_ text: String) {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        value = UInt32(bigEndian: address.s_addr)
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public var description: String { "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)" }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address (network byte order on the wire).
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The upper and lower 64 bits in host order.
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses any textual form inet_pton accepts ("2001:db8::1").
    public init?(_ text: String) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: address) { Array($0) }
        self.init(bytes: bytes)!
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(high >> (56 - 8 * $0) & 0xff) } + (0..<8).map { UInt8(low >> (56 - 8 * $0) & 0xff) }
    }

    init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let array = Array(bytes)
        high = array[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        low = array[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    public var description: String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// An IPv4 prefix (CIDR). Host bits are cleared on creation, so 192.0.2.7/24 becomes 192.0.2.0/24.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv4Address
    public let length: Int

    public init?(_ address: IPv4Address, length: Int) {
        guard (0...32).contains(length) else { return nil }
        self.length = length
        network = IPv4Address(address.value & Self.mask(length))
    }

    /// Parses "192.0.2.0/24"; a bare address is a /32.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPv4Address(String(parts[0])) else { return nil }
        guard let length = parts.count == 2 ? Int(parts[1]) : 32 else { return nil }
        self.init(address, length: length)
    }

    /// The netmask as a host-order integer (/24 is 0xFFFF_FF00).
    public var mask: UInt32 { Self.mask(length) }
    /// The first and the last address of the prefix.
    public var first: IPv4Address { network }
    public var last: IPv4Address { IPv4Address(network.value | ~mask) }

    public var description: String { "\(network)/\(length)" }

    static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << (32 - length) }
}

/// An IPv6 prefix (CIDR); host bits are cleared on creation.
public struct IPv6Prefix: Hashable, Sendable, CustomStringConvertible {
    public let network: IPv6Address
    public let length: Int

    public init?(_ address: IPv6Address, length: Int) {
        guard (0...128).contains(length) else { return nil }
        self.length = length
        let (maskHigh, maskLow) = Self.mask(length)
        network = IPv6Address(high: address.high & maskHigh, low: address.low & maskLow)
    }

    /// Parses "2001:db8::/32"; a bare address is a /128.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPv6Address(String(parts[0])) else { return nil }
        guard let length = parts.count == 2 ? Int(parts[1]) : 128 else { return nil }
        self.init(address, length: length)
    }

    public var first: IPv6Address { network }
    public var last: IPv6Address {
        let (maskHigh, maskLow) = Self.mask(length)
        return IPv6Address(high: network.high | ~maskHigh, low: network.low | ~maskLow)
    }
    /// The netmask bytes in network order.
    public var maskBytes: [UInt8] {
        let (maskHigh, maskLow) = Self.mask(length)
        return IPv6Address(high: maskHigh, low: maskLow).bytes
    }

    public var description: String { "\(network)/\(length)" }

    static func mask(_ length: Int) -> (UInt64, UInt64) {
        func word(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : UInt64.max << (64 - bits) }
        return (word(length), word(length - 64))
    }
}
