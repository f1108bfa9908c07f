/// An IPv4 or IPv6 address. Every IPv4 address sorts before every IPv6 address.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses a dotted quad or any RFC 4291 IPv6 text; nil for anything else.
    public init?(_ text: String) {
        guard let address = try? Self.parse(Array(text.utf8)[...]) else { return nil }
        self = address
    }

    /// An address from 4 or 16 bytes in network order.
    public init?(bytes: some Collection<UInt8>) {
        if let v4 = IPv4Address(bytes: bytes) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(bytes: bytes) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var family: IPFamily {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    /// 32 or 128.
    public var bitWidth: Int { family.bitWidth }

    /// The address bytes in network order: 4 or 16 of them.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let address): address.bytes
        case .v6(let address): address.bytes
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let l), .v4(let r)): l < r
        case (.v6(let l), .v6(let r)): l < r
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }

    /// The address as an unsigned integer (IPv4 in the low 32 bits).
    var bits: Bits128 {
        switch self {
        case .v4(let address): Bits128(UInt64(address.value))
        case .v6(let address): Bits128(high: address.high, low: address.low)
        }
    }

    /// The address of `family` with the given integer value (truncated to the family's width).
    init(family: IPFamily, bits: Bits128) {
        switch family {
        case .v4: self = .v4(IPv4Address(UInt32(truncatingIfNeeded: bits.low)))
        case .v6: self = .v6(IPv6Address(high: bits.high, low: bits.low))
        }
    }

    /// Parses either family from UTF-8 bytes: text with a ":" is IPv6, anything else IPv4.
    static func parse(_ text: ArraySlice<UInt8>) throws(AddressSyntaxError) -> IPAddress {
        if text.contains(UInt8(ascii: ":")) {
            return .v6(try IPv6Address.parse(text))
        }
        return .v4(try IPv4Address.parse(text))
    }

    /// Decodes the text form; a bad address is reported as `invalid IP address "..."`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let address = try? Self.parse(Array(text.utf8)[...]) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid IP address \"\(text)\"")
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
