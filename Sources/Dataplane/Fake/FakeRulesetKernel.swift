import NFTables
import PolicyRendering
import SystemError

/// An in-memory nf_tables for unit tests of the `RulesetReconciler` (and of the agent): tables with chains,
/// rules and sets, transactions applied atomically with the kernel's failure shapes, and a ruleset generation.
///
/// Like the kernel, a transaction applies all of its operations or none: every operation is tried in order on a
/// copy, each refused one becomes a `RejectedOperation` with the errno nf_tables gives (`ENOENT` for a missing
/// table, chain, set, element or rule handle, or for a rule or map element that names a missing chain or set;
/// `EBUSY` for deleting a chain that still has rules or is jumped to, or a set a rule looks up; `EEXIST` for
/// re-adding a chain with another hook or a set with another type), and the copy replaces the state only when
/// nothing was refused. Every committed transaction moves the generation by one, anyone's. Tests can act as
/// another program (`foreignCommit`, `edit`, `commitElsewhere`), fail chosen operations, and count listings.
///
/// Not thread-safe, like the socket it replaces.
public final class FakeRulesetKernel: RulesetKernel {
    /// The tables as the kernel holds them; listed rules carry handles.
    public internal(set) var tables: [Table: DesiredTable] = [:]
    /// The ruleset generation: one more after each committed transaction.
    public internal(set) var currentGeneration: UInt32 = 1
    /// The transactions committed through `commit` (the reconciler's), in order; rejected ones are not here.
    public private(set) var commits: [Transaction] = []
    /// How many times `listTable` (a full listing) and `listStructure` were called.
    public private(set) var fullListings = 0
    public private(set) var structureListings = 0
    /// How many chains' rules a listing with digests took from the caller instead of listing them.
    public private(set) var reusedChains = 0

    /// Refuses an operation of the reconciler's commits with the errno returned (nil lets it through).
    public var injectFailure: ((Operation) -> Errno?)?
    /// Makes every listing (and generation read) fail with this error.
    public var listingFailure: NFTablesError?
    /// Makes the full listing of one table fail with the error given for it.
    public var tableListingFailures: [Table: NFTablesError] = [:]
    /// Applies the next commit and then throws `acknowledgementsLost`: the outcome is unknown to the caller.
    public var loseAcknowledgementsOfNextCommit = false

    var nextHandle: [Table: UInt64] = [:]

    public init() {}

    // MARK: Another program

    /// Commits a transaction as another program would (`nft -f`): the same semantics, and the generation moves.
    public func foreignCommit(_ transaction: Transaction) throws(NFTablesError) {
        try apply(transaction, failing: nil)
    }

    /// Changes a table by hand in one commit (set it to nil to delete it); the generation moves.
    public func edit(_ table: Table, _ change: (inout DesiredTable?) -> Void) {
        var edited = tables[table]
        change(&edited)
        if var edited {
            edited.table = table
            tables[table] = numbered(edited)
        } else {
            tables[table] = nil
        }
        currentGeneration &+= 1
    }

    /// A commit to a table that is not Tabby's (kube-proxy's, say): only the generation moves.
    public func commitElsewhere() { currentGeneration &+= 1 }

    // MARK: RulesetKernel

    public func listTable(_ table: Table) throws(NFTablesError) -> DesiredTable? {
        if let failure = listingFailure ?? tableListingFailures[table] { throw failure }
        fullListings += 1
        guard var listed = tables[table] else { return nil }
        listed.chains = listed.chains.mapValues { chain in
            DesiredChain(chain: chain.chain, rules: chain.rules.map(\.withoutHandle))
        }
        return listed
    }

    /// Digests are hashes of the chains' rules: equal rules, equal digest, as with the kernel's encoding.
    public func listTable(
        _ table: Table, reusing known: [String: KnownChainRules]
    ) throws(NFTablesError)
        -> ListedTable?
    {
        guard var listed = try listTable(table) else { return nil }
        var digests: [String: Int] = [:]
        for (name, chain) in listed.chains where !chain.rules.isEmpty {
            let digest = chain.rules.hashValue
            digests[name] = digest
            if let reused = known[name], reused.digest == digest {
                listed.chains[name]?.rules = reused.rules
                reusedChains += 1
            }
        }
        return ListedTable(table: listed, ruleDigests: digests)
    }

    public func listStructure(_ table: Table) throws(NFTablesError) -> DesiredTable? {
        if let listingFailure { throw listingFailure }
        structureListings += 1
        guard let stored = tables[table] else { return nil }
        var structure = DesiredTable(table: table)
        for chain in stored.chains.values { structure.add(DesiredChain(chain: chain.chain)) }
        for set in stored.sets.values { structure.add(DesiredSet(set: set.namedSet)) }
        return structure
    }

    public func commit(_ transaction: Transaction) throws(NFTablesError) {
        guard !transaction.isEmpty else { return }
        try apply(transaction, failing: injectFailure)
        commits.append(transaction)
        if loseAcknowledgementsOfNextCommit {
            loseAcknowledgementsOfNextCommit = false
            throw .acknowledgementsLost("replies dropped by FakeRulesetKernel")
        }
    }

    public func generation() throws(NFTablesError) -> UInt32 {
        if let listingFailure { throw listingFailure }
        return currentGeneration
    }

    // MARK: Helpers

    /// Gives every rule of a table edited by hand a handle, as the kernel would.
    private func numbered(_ table: DesiredTable) -> DesiredTable {
        var numbered = table
        for name in numbered.chains.keys.sorted() {
            guard let rules = numbered.chains[name]?.rules else { continue }
            numbered.chains[name]?.rules = rules.map { rule in
                var stored = rule
                if stored.handle == nil { stored.handle = takeHandle(in: table.table) }
                return stored
            }
        }
        return numbered
    }

    func takeHandle(in table: Table) -> UInt64 {
        let handle = nextHandle[table, default: 1]
        nextHandle[table] = handle + 1
        return handle
    }
}
