import NetworkAddress

/// One step of a rule in nft's sense: a match, an action or a verdict, lowered to kernel expressions.
///
/// ```swift
/// Rule(in: input, comment: "tabby:allow-web", [
///     .meta(.iifname, .eq, "cali+"), .address(.saddr, .eq, try CIDR(parsing: "192.0.2.0/24")),
///     .tcp(.dport, .eq, 80), .counter, .accept,
/// ])
/// ```
public struct Statement: Hashable, Sendable {
    public var expressions: [Expression]

    public init(_ expressions: [Expression]) { self.expressions = expressions }
}

// MARK: - Matches

extension Statement {
    /// `iifname`/`oifname` compared with a name; a trailing `+` or `*` matches every name with that prefix.
    public static func meta(_ key: InterfaceKey, _ op: MatchOperator, _ name: String) -> Statement {
        var bytes: [UInt8]
        if let last = name.last, last == "+" || last == "*" {
            bytes = Array(name.dropLast().utf8)
        } else {
            bytes = InterfaceName.bytes(name)
        }
        return Statement([.meta(key.meta, into: .r1), .compare(.r1, op.compare, bytes)])
    }

    /// `meta nfproto ipv4|ipv6`.
    public static func nfproto(_ proto: NetworkProtocol) -> Statement {
        Statement([.meta(.nfproto, into: .r1), .compare(.r1, .eq, [proto.rawValue])])
    }

    /// `meta l4proto P` (or `!= P`).
    public static func l4proto(_ op: MatchOperator = .eq, _ proto: IPProtocol) -> Statement {
        Statement([.meta(.l4proto, into: .r1), .compare(.r1, op.compare, [proto.rawValue])])
    }

    /// `meta mark & mask ==/!= value`.
    public static func mark(_ op: MatchOperator, _ value: UInt32, mask: UInt32 = .max) -> Statement {
        var expressions: [Expression] = [.meta(.mark, into: .r1)]
        if mask != .max {
            expressions.append(.bitwise(source: .r1, destination: .r1, mask: mask.hostBytes, xor: [0, 0, 0, 0]))
        }
        expressions.append(.compare(.r1, op.compare, (value & mask).hostBytes))
        return Statement(expressions)
    }

    /// `ip saddr|daddr ==/!= PREFIX` for an IPv4 prefix, `ip6 saddr|daddr ==/!= PREFIX` for an IPv6 one; the
    /// prefix's host bits are ignored, and a full-length prefix compares the address itself. The match includes
    /// the `meta nfproto` check of its family, so it is safe in an `inet` table.
    public static func address(_ field: AddressField, _ op: MatchOperator, _ prefix: CIDR) -> Statement {
        let v4 = prefix.family == .v4
        var expressions =
            nfproto(v4 ? .ipv4 : .ipv6).expressions + [(v4 ? KeySource.ipv4(field) : .ipv6(field)).load(into: .r1)]
        if prefix.hostBitCount > 0 {
            let zero = [UInt8](repeating: 0, count: prefix.address.bitWidth / 8)
            expressions.append(.bitwise(source: .r1, destination: .r1, mask: prefix.netmask.bytes, xor: zero))
        }
        expressions.append(.compare(.r1, op.compare, prefix.networkAddress.bytes))
        return Statement(expressions)
    }

    /// `ip saddr|daddr ==/!= ADDRESS`.
    public static func ip(_ field: AddressField, _ op: MatchOperator, _ address: IPv4Address) -> Statement {
        Self.address(field, op, CIDR(host: .v4(address)))
    }

    /// `ip saddr|daddr ==/!= FIRST-LAST`.
    public static func ip(_ field: AddressField, _ op: MatchOperator, _ range: ClosedRange<IPv4Address>) -> Statement {
        Statement(
            nfproto(.ipv4).expressions + [
                KeySource.ipv4(field).load(into: .r1),
                .range(.r1, op.compare, from: range.lowerBound.bytes, to: range.upperBound.bytes),
            ])
    }

    /// `ip6 saddr|daddr ==/!= ADDRESS`.
    public static func ip6(_ field: AddressField, _ op: MatchOperator, _ address: IPv6Address) -> Statement {
        Self.address(field, op, CIDR(host: .v6(address)))
    }

    /// `ip6 saddr|daddr ==/!= FIRST-LAST`.
    public static func ip6(_ field: AddressField, _ op: MatchOperator, _ range: ClosedRange<IPv6Address>) -> Statement {
        Statement(
            nfproto(.ipv6).expressions + [
                KeySource.ipv6(field).load(into: .r1),
                .range(.r1, op.compare, from: range.lowerBound.bytes, to: range.upperBound.bytes),
            ])
    }

    /// A TCP, UDP or SCTP port or port range, with the `meta l4proto` match it needs.
    public static func port(
        _ proto: IPProtocol, _ field: PortField, _ op: MatchOperator, _ ports: ClosedRange<UInt16>
    ) -> Statement {
        var expressions = l4proto(.eq, proto).expressions
        expressions.append(KeySource.transportPort(field).load(into: .r1))
        if ports.lowerBound == ports.upperBound {
            expressions.append(.compare(.r1, op.compare, ports.lowerBound.networkBytes))
        } else {
            expressions.append(
                .range(.r1, op.compare, from: ports.lowerBound.networkBytes, to: ports.upperBound.networkBytes))
        }
        return Statement(expressions)
    }

    public static func tcp(_ field: PortField, _ op: MatchOperator, _ port: UInt16) -> Statement {
        Self.port(.tcp, field, op, port...port)
    }

    public static func tcp(_ field: PortField, _ op: MatchOperator, _ ports: ClosedRange<UInt16>) -> Statement {
        port(.tcp, field, op, ports)
    }

    public static func udp(_ field: PortField, _ op: MatchOperator, _ port: UInt16) -> Statement {
        Self.port(.udp, field, op, port...port)
    }

    public static func udp(_ field: PortField, _ op: MatchOperator, _ ports: ClosedRange<UInt16>) -> Statement {
        port(.udp, field, op, ports)
    }

    public static func sctp(_ field: PortField, _ op: MatchOperator, _ port: UInt16) -> Statement {
        Self.port(.sctp, field, op, port...port)
    }

    public static func sctp(_ field: PortField, _ op: MatchOperator, _ ports: ClosedRange<UInt16>) -> Statement {
        port(.sctp, field, op, ports)
    }

    /// `icmp type T [icmp code C]` (IPv4).
    public static func icmp(type: UInt8, code: UInt8? = nil) -> Statement {
        icmpMatch(.ipv4, .icmp, type: type, code: code)
    }

    /// `icmpv6 type T [icmpv6 code C]`.
    public static func icmpv6(type: UInt8, code: UInt8? = nil) -> Statement {
        icmpMatch(.ipv6, .icmpv6, type: type, code: code)
    }

    private static func icmpMatch(_ family: NetworkProtocol, _ proto: IPProtocol, type: UInt8, code: UInt8?)
        -> Statement
    {
        var expressions = nfproto(family).expressions + l4proto(.eq, proto).expressions
        expressions += [.payload(.transport, offset: 0, length: 1, into: .r1), .compare(.r1, .eq, [type])]
        if let code {
            expressions += [.payload(.transport, offset: 1, length: 1, into: .r1), .compare(.r1, .eq, [code])]
        }
        return Statement(expressions)
    }

    /// `ct state S1,S2` (any of the states), or with `.neq` none of them.
    public static func ctState(_ op: MatchOperator = .eq, _ states: ConntrackState) -> Statement {
        Statement([
            .ct(.state, into: .r1),
            .bitwise(source: .r1, destination: .r1, mask: states.rawValue.hostBytes, xor: [0, 0, 0, 0]),
            .compare(.r1, op == .eq ? .neq : .eq, [0, 0, 0, 0]),
        ])
    }

    /// `KEY @set` or `KEY != @set`; several sources make a concatenation (`ip saddr . meta l4proto . th dport`).
    public static func lookup(_ keys: [KeySource], _ op: MatchOperator = .eq, set: String) -> Statement {
        Statement(loadKey(keys) + [.lookup(.r1, set: set, destination: nil, inverted: op == .neq)])
    }

    /// `KEY vmap @map`: the verdict map decides.
    public static func verdictMap(_ keys: [KeySource], map: String) -> Statement {
        Statement(loadKey(keys) + [.lookup(.r1, set: map, destination: .verdict, inverted: false)])
    }

    /// Loads each key field into consecutive 32-bit registers, after the `meta nfproto` match an address needs.
    private static func loadKey(_ keys: [KeySource]) -> [Expression] {
        var expressions: [Expression] = []
        if let family = keys.lazy.compactMap(\.networkProtocol).first {
            expressions += nfproto(family).expressions
        }
        var register = 0
        for key in keys {
            expressions.append(key.load(into: .r32(register)))
            register += SetKeyType.registerAligned(key.length) / 4
        }
        return expressions
    }
}

// MARK: - Actions and verdicts

extension Statement {
    public static let counter = Statement([.counter])
    public static let accept = Statement([.verdict(.accept)])
    public static let drop = Statement([.verdict(.drop)])
    public static let `return` = Statement([.verdict(.return)])
    public static let masquerade = Statement([.masquerade(flags: 0)])

    public static func jump(_ chain: String) -> Statement { Statement([.verdict(.jump(chain))]) }
    public static func goto(_ chain: String) -> Statement { Statement([.verdict(.goto(chain))]) }
    public static func verdict(_ verdict: Verdict) -> Statement { Statement([.verdict(verdict)]) }

    /// `log prefix "..."` to the kernel log, or to an nflog group.
    public static func log(prefix: String, group: UInt16? = nil) -> Statement {
        Statement([.log(prefix: prefix, group: group)])
    }

    /// `meta mark set VALUE`.
    public static func setMark(_ value: UInt32) -> Statement {
        Statement([.immediate(value.hostBytes, into: .r1), .setMeta(.mark, from: .r1)])
    }

    /// Sets the bits of `mask` to those of `value` and keeps the others (`meta mark set mark | 0x10000` is
    /// `setMark(0x10000, mask: 0x10000)`).
    public static func setMark(_ value: UInt32, mask: UInt32) -> Statement {
        Statement([
            .meta(.mark, into: .r1),
            .bitwise(source: .r1, destination: .r1, mask: (~mask).hostBytes, xor: (value & mask).hostBytes),
            .setMeta(.mark, from: .r1),
        ])
    }

    /// `snat ip to ADDRESS` (base chain of type nat).
    public static func snat(to address: IPv4Address) -> Statement {
        Statement([
            .immediate(address.bytes, into: .r1),
            .nat(.snat, family: .ip, addressMin: .r1, addressMax: nil, flags: 0),
        ])
    }

    /// `snat ip6 to ADDRESS` (base chain of type nat).
    public static func snat(to address: IPv6Address) -> Statement {
        Statement([
            .immediate(address.bytes, into: .r1),
            .nat(.snat, family: .ip6, addressMin: .r1, addressMax: nil, flags: 0),
        ])
    }

    /// `reject`, by default with an ICMP(v6) port-unreachable chosen by the packet's family.
    public static func reject(_ reason: RejectReason = .icmpx(.portUnreachable)) -> Statement {
        let kernel = reason.kernel
        return Statement([.reject(type: kernel.type, code: kernel.code)])
    }
}
