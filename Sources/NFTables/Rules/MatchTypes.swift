/// Match operators of the rule DSL.
public enum MatchOperator: Hashable, Sendable {
    case eq
    case neq

    var compare: CompareOperator { self == .eq ? .eq : .neq }
}

/// `meta iifname` or `meta oifname`.
public enum InterfaceKey: Hashable, Sendable {
    case iifname
    case oifname

    var meta: MetaKey { self == .iifname ? .iifname : .oifname }
}

/// The network protocol of a packet (`meta nfproto`).
public enum NetworkProtocol: UInt8, Hashable, Sendable {
    case ipv4 = 2
    case ipv6 = 10
}

/// An IP protocol number (`meta l4proto`).
public struct IPProtocol: Hashable, Sendable, RawRepresentable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = IPProtocol(rawValue: 1)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    public static let icmpv6 = IPProtocol(rawValue: 58)
    public static let sctp = IPProtocol(rawValue: 132)
}

/// Source or destination address.
public enum AddressField: Hashable, Sendable {
    case saddr
    case daddr
}

/// Source or destination port.
public enum PortField: Hashable, Sendable {
    case sport
    case dport

    /// Offset of the port in TCP, UDP and SCTP headers alike.
    var offset: UInt32 { self == .sport ? 0 : 2 }
}

/// Conntrack states (`ct state`), matched as "any of".
public struct ConntrackState: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let invalid = ConntrackState(rawValue: 1)
    public static let established = ConntrackState(rawValue: 2)
    public static let related = ConntrackState(rawValue: 4)
    public static let new = ConntrackState(rawValue: 8)
    public static let untracked = ConntrackState(rawValue: 64)
}

/// The ICMPx codes of `reject with icmpx` (`NFT_REJECT_ICMPX_*`), valid in the inet family.
public enum ICMPxCode: UInt8, Hashable, Sendable {
    case noRoute = 0
    case portUnreachable = 1
    case hostUnreachable = 2
    case adminProhibited = 3
}

/// How `reject` answers.
public enum RejectReason: Hashable, Sendable {
    /// An ICMP or ICMPv6 error chosen by the packet's family (inet tables).
    case icmpx(ICMPxCode)
    /// An ICMP destination-unreachable code (ip tables).
    case icmp(code: UInt8)
    /// An ICMPv6 destination-unreachable code (ip6 tables).
    case icmpv6(code: UInt8)
    /// A TCP reset.
    case tcpReset

    var kernel: (type: UInt32, code: UInt8) {
        switch self {
        case .icmp(let code), .icmpv6(let code): (0, code)
        case .tcpReset: (1, 0)
        case .icmpx(let code): (2, code.rawValue)
        }
    }
}

/// A packet field that feeds a set lookup; several make a concatenated key.
public enum KeySource: Hashable, Sendable {
    case ipv4(AddressField)
    case ipv6(AddressField)
    case l4proto
    /// The port of any transport header with ports (`th sport`/`th dport`).
    case transportPort(PortField)
    case iifname
    case oifname
    case mark

    var length: Int {
        switch self {
        case .ipv4, .mark: 4
        case .ipv6, .iifname, .oifname: 16
        case .l4proto: 1
        case .transportPort: 2
        }
    }

    var networkProtocol: NetworkProtocol? {
        switch self {
        case .ipv4: .ipv4
        case .ipv6: .ipv6
        default: nil
        }
    }

    func load(into register: Register) -> Expression {
        switch self {
        case .ipv4(let field): .payload(.network, offset: field == .saddr ? 12 : 16, length: 4, into: register)
        case .ipv6(let field): .payload(.network, offset: field == .saddr ? 8 : 24, length: 16, into: register)
        case .l4proto: .meta(.l4proto, into: register)
        case .transportPort(let field): .payload(.transport, offset: field.offset, length: 2, into: register)
        case .iifname: .meta(.iifname, into: register)
        case .oifname: .meta(.oifname, into: register)
        case .mark: .meta(.mark, into: register)
        }
    }
}
