import Glibc

/// An IPv4 address. `value` is the address as a number: 192.0.2.1 is 0xC000_0201.
public struct IPv4Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text ("192.0.2.1"); nil when the text is not an IPv4 address.
    public init?(_ text: String) {
        var raw = in_addr()
        guard inet_pton(AF_INET, text, &raw) == 1 else { return nil }
        value = UInt32(bigEndian: raw.s_addr)
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address as two 64-bit halves in network order: 2001:db8::1 is (0x2001_0db8_0000_0000, 1).
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses RFC 5952 text ("2001:db8::1"); nil when the text is not an IPv6 address.
    public init?(_ text: String) {
        var raw = in6_addr()
        guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
        self = withUnsafeBytes(of: &raw) { IPv6Address(networkBytes: $0) }
    }

    /// Reads 16 bytes in network order.
    init(networkBytes bytes: UnsafeRawBufferPointer) {
        high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// The 16 bytes in network order.
    var networkBytes: (UInt64, UInt64) { (high.bigEndian, low.bigEndian) }

    public var description: String {
        var raw = networkBytes
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

/// An IPv4 or IPv6 address, as the kernel carries it in `RTA_DST`, `IFA_LOCAL`, `NDA_DST` and the like.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses IPv4 or IPv6 text; nil when the text is neither.
    public init?(_ text: String) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var family: AddressFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    /// The address length in bits (32 or 128).
    public var bitWidth: UInt8 {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The address with every bit after the first `length` cleared.
    public func masked(to length: UInt8) -> IPAddress {
        switch self {
        case .v4(let a):
            let mask: UInt32 = length == 0 ? 0 : length >= 32 ? .max : ~(UInt32.max >> UInt32(length))
            return .v4(IPv4Address(a.value & mask))
        case .v6(let a):
            func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits)) }
            let bits = Int(length)
            return .v6(IPv6Address(high: a.high & mask(bits), low: a.low & mask(bits - 64)))
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

/// The address families this module speaks (`AF_INET`, `AF_INET6`).
public enum AddressFamily: UInt8, Hashable, Sendable, CustomStringConvertible {
    case ipv4 = 2
    case ipv6 = 10

    public var description: String {
        switch self {
        case .ipv4: "inet"
        case .ipv6: "inet6"
        }
    }
}
