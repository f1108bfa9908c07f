import NFTables
import PolicyRendering

/// The I/O seam of the `RulesetReconciler`: read one table, commit a transaction, read the ruleset generation.
/// `NFTablesSocket` is the real one.
public protocol RulesetKernel: AnyObject {
    /// Everything in `table` as desired-state values (rules without handles or counters); nil when it does
    /// not exist.
    func listTable(_ table: Table) throws(NFTablesError) -> DesiredTable?
    /// `listTable`, with a digest of each chain's rules; the rules of a chain whose digest is the one in `known`
    /// are taken from there instead of being decoded again.
    func listTable(_ table: Table, reusing known: [String: KnownChainRules]) throws(NFTablesError) -> ListedTable?
    /// The table's chains and sets without rules or elements (a cheap listing); nil when it does not exist.
    func listStructure(_ table: Table) throws(NFTablesError) -> DesiredTable?
    /// Applies the transaction atomically.
    func commit(_ transaction: Transaction) throws(NFTablesError)
    /// The ruleset generation, which every committed transaction (anyone's) changes.
    func generation() throws(NFTablesError) -> UInt32
}

/// The rules of a chain as the reconciler last saw them in the kernel, with the digest of that listing.
public struct KnownChainRules: Sendable {
    public var digest: Int
    public var rules: [Rule]

    public init(digest: Int, rules: [Rule]) {
        self.digest = digest
        self.rules = rules
    }
}

/// A listed table in desired-state form, with the digest of each chain's rules (none from kernels that give
/// none).
public struct ListedTable: Sendable {
    public var table: DesiredTable
    public var ruleDigests: [String: Int]

    public init(table: DesiredTable, ruleDigests: [String: Int] = [:]) {
        self.table = table
        self.ruleDigests = ruleDigests
    }
}

extension RulesetKernel {
    /// A full listing without digests: nothing is reused.
    public func listTable(
        _ table: Table, reusing known: [String: KnownChainRules]
    ) throws(NFTablesError)
        -> ListedTable?
    {
        try listTable(table).map { ListedTable(table: $0) }
    }
}

extension NFTablesSocket: RulesetKernel {
    public func listTable(
        _ table: Table, reusing known: [String: KnownChainRules]
    ) throws(NFTablesError)
        -> ListedTable?
    {
        guard let listing = try listing(of: table, knownRuleDigests: known.mapValues(\.digest)) else { return nil }
        var result = DesiredTable(table: table)
        var digests: [String: Int] = [:]
        for chain in listing.chains {
            var rules: [Rule] = []
            if let listed = listing.rules[chain.name] {
                digests[chain.name] = listed.digest
                rules = listed.rules?.map(\.withoutHandle) ?? known[chain.name]?.rules ?? []
            }
            result.add(DesiredChain(chain: chain, rules: rules))
        }
        for set in listing.sets {
            result.add(DesiredSet(set: set, elements: Set(listing.elements[set.name] ?? [])))
        }
        return ListedTable(table: result, ruleDigests: digests)
    }

    public func listTable(_ table: Table) throws(NFTablesError) -> DesiredTable? {
        guard let contents = try contents(of: table) else { return nil }
        return DesiredTable(listed: contents)
    }

    public func listStructure(_ table: Table) throws(NFTablesError) -> DesiredTable? {
        guard try tables(family: table.family).contains(table) else { return nil }
        var structure = DesiredTable(table: table)
        for chain in try chains(in: table) { structure.add(DesiredChain(chain: chain)) }
        for set in try sets(in: table) { structure.add(DesiredSet(set: set)) }
        return structure
    }
}

extension DesiredTable {
    /// A listed table in the form of desired state, so that the two compare with `==`.
    public init(listed contents: TableContents) {
        self.init(table: contents.table)
        for chain in contents.chains { add(DesiredChain(chain: chain)) }
        for rule in contents.rules {
            var bare = rule
            bare.handle = nil
            bare.counterValues = nil
            // A rule always belongs to a listed chain; the fallback keeps a rule listed mid-change visible.
            chains[rule.chain, default: DesiredChain(chain: Chain(table: contents.table, name: rule.chain))]
                .rules.append(bare)
        }
        for set in contents.sets {
            add(DesiredSet(set: set, elements: Set(contents.elements[set.name] ?? [])))
        }
    }
}

extension Rule {
    /// The rule as desired state: without the handle and counter values only listed rules have.
    var withoutHandle: Rule {
        var bare = self
        bare.handle = nil
        bare.counterValues = nil
        return bare
    }
}
