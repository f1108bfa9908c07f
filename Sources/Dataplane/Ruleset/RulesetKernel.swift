import NFTables
import PolicyRendering

/// The I/O seam of the `RulesetReconciler`: read one table, commit a transaction, read the ruleset generation.
/// `NFTablesSocket` is the real one.
public protocol RulesetKernel: AnyObject {
    /// Everything in `table` as desired-state values (rules without handles or counters); nil when it does
    /// not exist.
    func listTable(_ table: Table) throws(NFTablesError) -> DesiredTable?
    /// The table's chains and sets without rules or elements (a cheap listing); nil when it does not exist.
    func listStructure(_ table: Table) throws(NFTablesError) -> DesiredTable?
    /// Applies the transaction atomically.
    func commit(_ transaction: Transaction) throws(NFTablesError)
    /// The ruleset generation, which every committed transaction (anyone's) changes.
    func generation() throws(NFTablesError) -> UInt32
}

extension NFTablesSocket: RulesetKernel {
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
