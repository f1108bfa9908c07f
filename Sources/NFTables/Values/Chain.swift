/// A chain in a table. A chain with a `base` is attached to a netfilter hook; one without is a regular
/// chain that rules reach with `jump` or `goto`.
public struct Chain: Hashable, Sendable, CustomStringConvertible {
    public var table: Table
    public var name: String
    public var base: BaseChain?

    public init(table: Table, name: String, base: BaseChain? = nil) {
        self.table = table
        self.name = name
        self.base = base
    }

    /// "chain inet tabby input".
    public var description: String { "chain \(table) \(name)" }
}

/// The hook attachment of a base chain.
public struct BaseChain: Hashable, Sendable {
    public var type: ChainType
    public var hook: Hook
    /// Lower runs first; `filter` is 0, `srcnat` 100, `dstnat` -100.
    public var priority: Int32
    public var policy: ChainPolicy

    public init(type: ChainType, hook: Hook, priority: Int32, policy: ChainPolicy = .accept) {
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
    }
}

/// The kind of base chain: what the kernel lets its rules do.
public enum ChainType: String, Hashable, Sendable, CaseIterable {
    case filter
    case nat
    case route
}

/// A netfilter hook of the ip, ip6 and inet families (`NF_INET_*`).
public enum Hook: UInt32, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case prerouting = 0
    case input = 1
    case forward = 2
    case output = 3
    case postrouting = 4

    public var description: String {
        switch self {
        case .prerouting: "prerouting"
        case .input: "input"
        case .forward: "forward"
        case .output: "output"
        case .postrouting: "postrouting"
        }
    }
}

/// What a base chain does with a packet that no rule decided on.
public enum ChainPolicy: UInt32, Hashable, Sendable {
    case drop = 0
    case accept = 1
}
