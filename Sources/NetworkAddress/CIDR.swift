/// An address with a prefix length, as Calico writes it: `10.0.0.0/16`, `2001:db8::/32`.
///
/// The address is kept as written, host bits included, because some fields carry an interface address
/// with its subnet (a Node's `spec.bgp.ipv4Address: 10.0.0.5/24`). Use `masked` or `networkAddress` for the
/// network, and `isMasked` to check that a pool or block CIDR has no host bits.
/// Two CIDRs are equal only when both the address as written and the prefix length are equal.
public struct CIDR: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let address: IPAddress
    public let prefixLength: Int

    /// A CIDR from an address and a prefix length in 0...32 (IPv4) or 0...128 (IPv6).
    public init(address: IPAddress, prefixLength: Int) throws(CIDRParseError) {
        guard (0...address.bitWidth).contains(prefixLength) else {
            throw CIDRParseError(
                text: "\(address)/\(prefixLength)",
                reason: "prefix length \(prefixLength) is out of range 0-\(address.bitWidth) for \(address.family)")
        }
        self.init(checked: address, prefixLength)
    }

    /// Parses `address/prefix`, such as `192.0.2.0/24` or `2001:db8::/32`. A bare address is rejected: a
    /// field that takes a CIDR wants the prefix length written out.
    public init(parsing text: String) throws(CIDRParseError) {
        let bytes = Array(text.utf8)
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else {
            throw CIDRParseError(
                text: text,
                reason: "a prefix length is missing (write it as in 192.0.2.0/24 or 2001:db8::/32)")
        }
        let address: IPAddress
        do {
            address = try IPAddress.parse(bytes[..<slash])
        } catch {
            let addressText = String(decoding: bytes[..<slash], as: UTF8.self)
            throw CIDRParseError(text: text, reason: "address \"\(addressText)\" is not valid: \(error.reason)")
        }
        let prefixText = bytes[(slash + 1)...]
        guard !prefixText.isEmpty else {
            throw CIDRParseError(text: text, reason: "the prefix length after \"/\" is empty")
        }
        let prefixString = String(decoding: prefixText, as: UTF8.self)
        guard prefixText.allSatisfy(\.isASCIIDigit) else {
            throw CIDRParseError(text: text, reason: "prefix length \"\(prefixString)\" is not a decimal number")
        }
        guard prefixText.count == 1 || prefixText.first != UInt8(ascii: "0") else {
            throw CIDRParseError(text: text, reason: "prefix length \"\(prefixString)\" has a leading zero")
        }
        guard prefixText.count <= 3, let prefixLength = Int(prefixString), prefixLength <= address.bitWidth else {
            throw CIDRParseError(
                text: text,
                reason: "prefix length \(prefixString) is out of range 0-\(address.bitWidth) for \(address.family)")
        }
        self.init(checked: address, prefixLength)
    }

    /// Parses `address/prefix` as `init(parsing:)` does; nil for anything else.
    public init?(_ text: String) {
        guard let cidr = try? CIDR(parsing: text) else { return nil }
        self = cidr
    }

    /// The single-address CIDR: `/32` for IPv4, `/128` for IPv6.
    public init(host: IPAddress) {
        self.init(checked: host, host.bitWidth)
    }

    /// For callers that have already checked the prefix length.
    init(checked address: IPAddress, _ prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    public var family: IPFamily { address.family }

    public var description: String { "\(address)/\(prefixLength)" }

    /// True when no host bits are set, as a pool or block CIDR must be.
    public var isMasked: Bool { address.bits & hostMaskBits == .zero }

    /// The same prefix with the host bits cleared.
    public var masked: CIDR { CIDR(checked: networkAddress, prefixLength) }

    /// The first address of the prefix (host bits cleared).
    public var networkAddress: IPAddress { IPAddress(family: family, bits: networkBits) }

    /// The last address of the prefix (host bits set).
    public var lastAddress: IPAddress { IPAddress(family: family, bits: networkBits | hostMaskBits) }

    /// The netmask as an address: `255.255.255.0` for a /24.
    public var netmask: IPAddress { IPAddress(family: family, bits: netmaskBits) }

    /// The number of host bits: 32 or 128 minus the prefix length.
    public var hostBitCount: Int { address.bitWidth - prefixLength }

    /// True when the address is inside this prefix (same family, same network bits).
    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && address.bits & netmaskBits == networkBits
    }

    /// True when every address of `other` is inside this prefix.
    public func contains(_ other: CIDR) -> Bool {
        other.family == family && other.prefixLength >= prefixLength && other.address.bits & netmaskBits == networkBits
    }

    /// True when the two prefixes share at least one address (for prefixes, that means one contains the other).
    public func overlaps(_ other: CIDR) -> Bool {
        guard other.family == family else { return false }
        let shorter = prefixLength <= other.prefixLength ? self : other
        return (self.address.bits ^ other.address.bits) & shorter.netmaskBits == .zero
    }

    /// The number of addresses in the prefix; nil when it does not fit in a `UInt64` (IPv6 prefixes shorter
    /// than /65).
    public var addressCount: UInt64? {
        hostBitCount < 64 ? 1 << UInt64(hostBitCount) : nil
    }

    /// How many subnets of the given prefix length this prefix holds: 2^(prefixLength - self.prefixLength).
    /// nil when `prefixLength` is shorter than this prefix, longer than the address, or the count does not fit
    /// in a `UInt64`.
    public func subnetCount(prefixLength: Int) -> UInt64? {
        guard (self.prefixLength...address.bitWidth).contains(prefixLength) else { return nil }
        let bits = prefixLength - self.prefixLength
        return bits < 64 ? 1 << UInt64(bits) : nil
    }

    /// The `index`-th subnet of the given prefix length, counting from the network address (index 0 is the
    /// first block). nil when the prefix length is invalid or the index is past the last subnet.
    public func subnet(at index: UInt64, prefixLength: Int) -> CIDR? {
        guard (self.prefixLength...address.bitWidth).contains(prefixLength) else { return nil }
        if let count = subnetCount(prefixLength: prefixLength), index >= count { return nil }
        let offset = Bits128.shifted(index, by: address.bitWidth - prefixLength)
        return CIDR(checked: IPAddress(family: family, bits: networkBits &+ offset), prefixLength)
    }

    /// Every subnet of the given prefix length in address order, produced lazily (an IPv6 /64 holds 2^16 /80s
    /// and a /48 holds 2^80 /128s, so never collect these without a bound). Empty when the prefix length is
    /// shorter than this prefix or longer than the address.
    public func subnets(prefixLength: Int) -> some Sequence<CIDR> {
        CIDRSubnetSequence(parent: self, prefixLength: prefixLength)
    }

    /// The address `ordinal` steps after the network address (IPAM's ordinal within a block); nil when that
    /// is outside the prefix.
    public func address(at ordinal: UInt64) -> IPAddress? {
        if let count = addressCount, ordinal >= count { return nil }
        return IPAddress(family: family, bits: networkBits &+ Bits128(ordinal))
    }

    /// The inverse of `address(at:)`: how many steps `address` is after the network address; nil when the
    /// address is outside the prefix or the distance does not fit in a `UInt64`.
    public func ordinal(of address: IPAddress) -> UInt64? {
        guard contains(address) else { return nil }
        return (address.bits &- networkBits).uint64
    }

    /// Orders by network address (IPv4 first), then prefix length, then the address as written.
    public static func < (lhs: CIDR, rhs: CIDR) -> Bool {
        let left = lhs.networkAddress
        let right = rhs.networkAddress
        if left != right { return left < right }
        if lhs.prefixLength != rhs.prefixLength { return lhs.prefixLength < rhs.prefixLength }
        return lhs.address < rhs.address
    }

    var netmaskBits: Bits128 { Bits128.lowOnes(address.bitWidth) & ~hostMaskBits }
    var hostMaskBits: Bits128 { Bits128.lowOnes(hostBitCount) }
    var networkBits: Bits128 { address.bits & netmaskBits }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The lazy sequence behind `CIDR.subnets(prefixLength:)`.
struct CIDRSubnetSequence: Sequence, IteratorProtocol {
    private let family: IPFamily
    private let prefixLength: Int
    private let step: Bits128
    private let blockHostMask: Bits128
    private let lastBits: Bits128
    private var upcoming: Bits128?

    init(parent: CIDR, prefixLength: Int) {
        family = parent.family
        self.prefixLength = prefixLength
        lastBits = parent.networkBits | parent.hostMaskBits
        let valid = (parent.prefixLength...parent.address.bitWidth).contains(prefixLength)
        let hostBits = valid ? parent.address.bitWidth - prefixLength : 0
        step = Bits128.shifted(1, by: hostBits)
        blockHostMask = Bits128.lowOnes(hostBits)
        upcoming = valid ? parent.networkBits : nil
    }

    mutating func next() -> CIDR? {
        guard let current = upcoming else { return nil }
        // The block that ends where the parent ends is the last one; stopping there avoids overflowing
        // past the top of the address space.
        upcoming = current | blockHostMask == lastBits ? nil : current &+ step
        return CIDR(checked: IPAddress(family: family, bits: current), prefixLength)
    }
}
