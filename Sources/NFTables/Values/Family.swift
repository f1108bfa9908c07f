/// An nf_tables address family (the `NFPROTO_*` value a table belongs to).
public enum Family: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case inet = 1
    case ip = 2
    case arp = 3
    case netdev = 5
    case bridge = 7
    case ip6 = 10

    /// The name `nft` uses for the family.
    public var description: String {
        switch self {
        case .inet: "inet"
        case .ip: "ip"
        case .arp: "arp"
        case .netdev: "netdev"
        case .bridge: "bridge"
        case .ip6: "ip6"
        }
    }
}
