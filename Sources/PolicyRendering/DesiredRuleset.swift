import NFTables

/// The nf_tables state Tabby wants on a node: one table per family (`ip tabby`, `ip6 tabby`), each with its
/// chains, rules, sets and maps. Values of the NFTables module only, so the Dataplane's `RulesetReconciler`
/// compares them with what it lists from the kernel.
public struct DesiredRuleset: Hashable, Sendable {
    /// The tables, at most one per family.
    public var tables: [DesiredTable]

    public init(tables: [DesiredTable] = []) { self.tables = tables }

    /// The table of one family, if desired.
    public func table(_ family: Family) -> DesiredTable? { tables.first { $0.table.family == family } }

    public var counts: RulesetCounts { tables.reduce(RulesetCounts()) { $0 + $1.counts } }
}

/// One table and everything in it.
public struct DesiredTable: Hashable, Sendable {
    public var table: Table
    /// Chains by name. Base chains carry their hook; regular chains are reached by jumps and verdict maps.
    public var chains: [String: DesiredChain]
    /// Named sets and verdict maps by name.
    public var sets: [String: DesiredSet]

    public init(table: Table, chains: [String: DesiredChain] = [:], sets: [String: DesiredSet] = [:]) {
        self.table = table
        self.chains = chains
        self.sets = sets
    }

    /// Adds a chain (replacing one of the same name).
    public mutating func add(_ chain: DesiredChain) { chains[chain.chain.name] = chain }

    /// Adds a set or map (replacing one of the same name).
    public mutating func add(_ set: DesiredSet) { sets[set.namedSet.name] = set }

    public var counts: RulesetCounts {
        RulesetCounts(
            chains: chains.count, rules: chains.values.reduce(0) { $0 + $1.rules.count }, sets: sets.count,
            elements: sets.values.reduce(0) { $0 + $1.elements.count })
    }
}

/// A chain with its rules in order. Rules are desired values: no handle, no counter values.
public struct DesiredChain: Hashable, Sendable {
    public var chain: Chain
    public var rules: [Rule]

    public init(chain: Chain, rules: [Rule] = []) {
        self.chain = chain
        self.rules = rules
    }

    public var name: String { chain.name }
}

/// A named set or verdict map with its elements.
public struct DesiredSet: Hashable, Sendable {
    public var namedSet: NamedSet
    public var elements: Set<SetElement>

    public init(set: NamedSet, elements: Set<SetElement> = []) {
        self.namedSet = set
        self.elements = elements
    }

    public var name: String { namedSet.name }
}

/// How big a ruleset is, for the status and the benchmark.
public struct RulesetCounts: Hashable, Sendable, Codable {
    public var chains: Int
    public var rules: Int
    public var sets: Int
    /// Elements of sets and maps (an interval counts once).
    public var elements: Int

    public init(chains: Int = 0, rules: Int = 0, sets: Int = 0, elements: Int = 0) {
        self.chains = chains
        self.rules = rules
        self.sets = sets
        self.elements = elements
    }

    public static func + (lhs: RulesetCounts, rhs: RulesetCounts) -> RulesetCounts {
        RulesetCounts(
            chains: lhs.chains + rhs.chains, rules: lhs.rules + rhs.rules, sets: lhs.sets + rhs.sets,
            elements: lhs.elements + rhs.elements)
    }
}
