import CalicoAPI
import NFTables
import NetworkAddress
import Policy

// CalicoAPI and NFTables both name a `Rule`; this alias says which is meant.
typealias KernelRule = NFTables.Rule

/// CIDRs and ports as nf_tables values: address matches, and the disjoint interval elements that interval sets
/// need (the kernel refuses overlapping intervals, so overlapping CIDRs are merged first).
enum KernelValues {
    /// The kernel table family of an IP family.
    static func family(_ family: IPFamily) -> Family { family == .v4 ? .ip : .ip6 }

    /// `ip saddr 192.0.2.0/24` or `ip6 daddr != 2001:db8::/32`, encoded as nft encodes it, so that a ruleset
    /// listed with `nft list` and loaded again with `nft -f` compares equal: a prefix that ends on a byte boundary
    /// loads and compares only its bytes; another one loads the whole address and masks it. A /0 matches
    /// everything and has no encoding; callers leave it out.
    static func addressMatch(_ field: AddressField, _ op: MatchOperator, _ cidr: CIDR) -> Statement {
        let v4 = cidr.family == .v4
        let offset: UInt32 = v4 ? (field == .saddr ? 12 : 16) : (field == .saddr ? 8 : 24)
        let compare: CompareOperator = op == .eq ? .eq : .neq
        let network = cidr.networkAddress.bytes
        if cidr.prefixLength % 8 == 0 {
            let length = max(cidr.prefixLength / 8, 1)
            return Statement([
                .payload(.network, offset: offset, length: UInt32(length), into: .r1),
                .compare(.r1, compare, Array(network.prefix(length))),
            ])
        }
        return Statement([
            .payload(.network, offset: offset, length: UInt32(network.count), into: .r1),
            .bitwise(
                source: .r1, destination: .r1, mask: cidr.netmask.bytes,
                xor: [UInt8](repeating: 0, count: network.count)),
            .compare(.r1, compare, network),
        ])
    }

    /// A port or port range at `offset` of the transport header, as nft encodes it: an equal range is two compares
    /// (`>=` and `<=`), a not-equal range one range expression.
    static func portMatch(offset: UInt32, _ op: MatchOperator, _ range: PortRange) -> Statement {
        let first = [UInt8(range.first >> 8), UInt8(range.first & 0xff)]
        let last = [UInt8(range.last >> 8), UInt8(range.last & 0xff)]
        let load = Expression.payload(.transport, offset: offset, length: 2, into: .r1)
        if range.first == range.last { return Statement([load, .compare(.r1, op == .eq ? .eq : .neq, first)]) }
        if op == .neq { return Statement([load, .range(.r1, .neq, from: first, to: last)]) }
        return Statement([load, .compare(.r1, .gte, first), .compare(.r1, .lte, last)])
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
        let addressValue: SetKeyValue =
            switch address {
            case .v4(let address): .ipv4(address)
            case .v6(let address): .ipv6(address)
            }
        return SetElement(addressValue, .inetProtocol(proto), .inetService(port))
    }
}
