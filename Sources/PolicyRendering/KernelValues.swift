import CalicoAPI
import NFTables

// CalicoAPI and NFTables both name a `Rule` and the address types; these aliases say which is meant.
typealias KernelRule = NFTables.Rule
typealias KernelIPv4Address = NFTables.IPv4Address
typealias KernelIPv6Address = NFTables.IPv6Address

/// CIDRs and ports as nf_tables values: address matches, and the disjoint interval elements that interval sets
/// need (the kernel refuses overlapping intervals, so overlapping CIDRs are merged first).
enum KernelValues {
    /// The kernel table family of an IP family.
    static func family(_ family: IPFamily) -> Family { family == .v4 ? .ip : .ip6 }

    /// `ip saddr 192.0.2.0/24` or `ip6 daddr != 2001:db8::/32`.
    static func addressMatch(_ field: AddressField, _ op: MatchOperator, _ cidr: CIDR) -> Statement {
        switch cidr.address {
        case .v4:
            let value = cidr.networkAddress.bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return .ip(field, op, IPv4Prefix(KernelIPv4Address(value), length: cidr.prefixLength)!)
        case .v6:
            let bytes = cidr.networkAddress.bytes
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return .ip6(field, op, IPv6Prefix(KernelIPv6Address(high: high, low: low), length: cidr.prefixLength)!)
        }
    }

    /// The key source of an address of the family.
    static func addressKey(_ family: IPFamily, _ field: AddressField) -> KeySource {
        family == .v4 ? .ipv4(field) : .ipv6(field)
    }

    /// The key type of an address set of the family.
    static func addressKeyType(_ family: IPFamily) -> SetKeyType { family == .v4 ? .ipv4Address : .ipv6Address }

    /// Interval elements covering the CIDRs: overlapping and nested CIDRs merge into one range; adjacent ones
    /// stay apart, so that one endpoint coming or going changes one element.
    static func intervals(_ cidrs: some Sequence<CIDR>) -> Set<SetElement> {
        mergedRanges(cidrs.map { ($0.networkAddress.bytes, $0.lastAddress.bytes) })
    }

    /// Interval elements of port ranges (network byte order), merged the same way.
    static func portIntervals(_ ranges: [(UInt16, UInt16)]) -> Set<SetElement> {
        mergedRanges(ranges.map { (bigEndian($0.0), bigEndian($0.1)) })
    }

    private static func bigEndian(_ port: UInt16) -> [UInt8] { [UInt8(port >> 8), UInt8(port & 0xff)] }

    private static func mergedRanges(_ ranges: [([UInt8], [UInt8])]) -> Set<SetElement> {
        let sorted = ranges.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        var merged: [([UInt8], [UInt8])] = []
        for range in sorted {
            if let last = merged.last, last.0.count == range.0.count, !last.1.lexicographicallyPrecedes(range.0) {
                if last.1.lexicographicallyPrecedes(range.1) { merged[merged.count - 1].1 = range.1 }
            } else {
                merged.append(range)
            }
        }
        return Set(merged.map { SetElement(key: $0.0, keyEnd: $0.1) })
    }

    /// A `(address, protocol, port)` element of a named-port set.
    static func namedPortElement(_ address: IPAddress, protocol proto: UInt8, port: UInt16) -> SetElement {
        let addressValue: SetKeyValue
        switch address {
        case .v4:
            addressValue = .ipv4(KernelIPv4Address(address.bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        case .v6:
            let bytes = address.bytes
            addressValue = .ipv6(
                KernelIPv6Address(
                    high: bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) },
                    low: bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        }
        return SetElement(addressValue, .inetProtocol(proto), .inetService(port))
    }
}
