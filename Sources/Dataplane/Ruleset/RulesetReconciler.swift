import NFTables
import PolicyRendering

/// Makes Tabby's nf_tables tables match a `DesiredRuleset`, committing only the difference in one transaction.
///
/// The reconciler keeps a view of its tables: what it listed, updated with every transaction the kernel
/// accepted. The first apply lists the tables and builds (or repairs) them; later applies compare the desired
/// ruleset with the view, so a label change costs the set elements, chains and map entries it touches. Someone
/// else's change is found by `checkForChanges()` (the ruleset generation moved: list again and compare) or by a
/// periodic `requestResync()`; the next apply then repairs it. Since any commit moves the generation (kube-proxy
/// commits often), a full listing after one is made at most every `fullCheckInterval`; a missing or added table,
/// chain or set of Tabby's shows in a cheap listing of names and is repaired at once.
///
/// nf_tables changes only by committed transactions, and every commit moves the generation by exactly one. So
/// when a requested resync finds the generation where the reconciler's own last commit (or listing) left it,
/// nobody has changed anything since and the kernel holds exactly the view: the resync costs one GETGEN and lists
/// nothing. Any other generation means a full listing and comparison.
///
/// It only ever names its own tables (`ownedTables`): other tables are never listed, written or deleted.
/// Non-Sendable: the agent's actor owns it together with the socket (DESIGN.md rule 6).
public final class RulesetReconciler {
    /// The tables this reconciler owns: desired ones are kept in shape, the others deleted if present.
    public let ownedTables: [Table]
    private let kernel: any RulesetKernel
    private var view: [Table: DesiredTable] = [:]
    /// The digest of each chain's rules from the last listing, for chains the reconciler has not changed since:
    /// the next listing takes their rules from the view instead of decoding them.
    private var ruleDigests: [Table: [String: Int]] = [:]
    private var needsListing = true
    private var resyncRequested = false
    private var rebuildNext = false
    private var failureStreak = 0
    /// The generation at which the kernel is known to hold exactly the view; nil when that is not known (someone
    /// may have committed between the reconciler's last look and its own commit).
    private var knownGeneration: UInt32?
    private var lastMessages = 0
    private var lastListing: ContinuousClock.Instant?
    private let fullCheckInterval: Duration
    private let clock: () -> ContinuousClock.Instant

    /// - Parameters:
    ///   - ownedTables: by default `ip tabby` and `ip6 tabby`.
    ///   - fullCheckInterval: the least time between two full listings caused by other programs' commits.
    ///   - clock: the time (tests pass their own).
    public init(
        kernel: any RulesetKernel, ownedTables: [Table] = RulesetReconciler.defaultTables,
        fullCheckInterval: Duration = .seconds(5), clock: @escaping () -> ContinuousClock.Instant = { .now }
    ) {
        self.kernel = kernel
        self.ownedTables = ownedTables
        self.fullCheckInterval = fullCheckInterval
        self.clock = clock
    }

    public static let defaultTables = [Table(family: .ip, name: "tabby"), Table(family: .ip6, name: "tabby")]

    /// Counts of what is programmed, for the status.
    public var summary: RulesetSummary {
        let tables = ownedTables.compactMap { view[$0] }
        return RulesetSummary(
            counts: tables.reduce(RulesetCounts()) { $0 + $1.counts }, tables: tables.map { $0.table.description },
            lastTransactionMessages: lastMessages)
    }

    /// The next apply makes sure the tables are as the view says, and repairs whatever differs: it lists them
    /// from the kernel, unless the ruleset generation shows that nobody committed since the reconciler's last
    /// commit or listing.
    public func requestResync() { resyncRequested = true }

    /// Whether the next apply should list the tables and repair them; the caller should then apply soon.
    ///
    /// One GETGEN round trip when nobody committed since the reconciler's last look. After someone's commit,
    /// a listing of table, chain and set names: when one of Tabby's is missing or added, or when the last full
    /// listing is `fullCheckInterval` old, the answer is yes; otherwise the commit is looked at again on the next
    /// call.
    public func checkForChanges() -> Bool {
        guard !needsListing else { return true }
        guard let generation = try? kernel.generation() else {
            needsListing = true
            return true
        }
        if generation == knownGeneration { return false }
        if !structureMatchesView() || lastListing.map({ clock() - $0 >= fullCheckInterval }) ?? true {
            needsListing = true
        }
        return needsListing
    }

    /// Whether the kernel has exactly the tables, chains (with their hooks) and sets (with their types) of the view.
    private func structureMatchesView() -> Bool {
        for table in ownedTables {
            guard let listed = try? kernel.listStructure(table) else {
                if view[table] != nil { return false }
                continue
            }
            guard let known = view[table],
                listed.chains.mapValues(\.chain) == known.chains.mapValues(\.chain),
                listed.sets.mapValues(\.namedSet) == known.sets.mapValues(\.namedSet)
            else { return false }
        }
        return true
    }

    /// Applies the desired ruleset. Never throws: a failure is in the report, the view stays what the kernel
    /// has (a rejected transaction changes nothing), and the next apply lists the tables again; a second
    /// failure in a row rebuilds the tables from scratch.
    public func apply(_ desired: DesiredRuleset) -> RulesetApplyReport {
        let started = ContinuousClock.now
        var report = RulesetApplyReport()
        defer { report.duration = ContinuousClock.now - started }
        let desiredTables = Dictionary(desired.tables.map { ($0.table, $0) }, uniquingKeysWith: { first, _ in first })
        if let foreign = desiredTables.keys.first(where: { !ownedTables.contains($0) }) {
            report.failure = RulesetFailure(
                step: .checkingDesired, error: .invalid("table \(foreign) is not one of the reconciler's own tables"))
            return report
        }
        if resyncRequested, !needsListing {
            resyncRequested = false
            switch Result(catching: { () throws(NFTablesError) in try kernel.generation() }) {
            case .success(let generation) where generation == knownGeneration: report.verifiedByGeneration = true
            case .success, .failure: needsListing = true
            }
        }
        resyncRequested = false
        if needsListing {
            report.listed = true
            do throws(NFTablesError) {
                let generation = try kernel.generation()
                var listed: [Table: DesiredTable] = [:]
                var digests: [Table: [String: Int]] = [:]
                for table in ownedTables {
                    let found = try kernel.listTable(table, reusing: knownRules(of: table))
                    listed[table] = found?.table
                    digests[table] = found?.ruleDigests
                }
                report.repaired = ownedTables.filter { view[$0] != nil && listed[$0] != view[$0] }.map(\.description)
                // Digests and view change together: a digest is only ever paired with the rules it was taken of.
                view = listed
                ruleDigests = digests
                knownGeneration = generation
                needsListing = false
                lastListing = clock()
            } catch {
                report.failure = RulesetFailure(step: .listing, error: error)
                return report
            }
        }

        var transaction = Transaction()
        for table in ownedTables {
            var rebuild = false
            if let current = view[table], let wanted = desiredTables[table] {
                rebuild = rebuildNext || !RulesetPlanner.canChangeInPlace(current, wanted)
            }
            if rebuild { report.rebuilt.append(table.description) }
            for operation in RulesetPlanner.plan(current: view[table], desired: desiredTables[table], rebuild: rebuild)
            {
                transaction.append(operation)
            }
        }
        guard !transaction.isEmpty else {
            rebuildNext = false
            failureStreak = 0
            // Equal values, but the desired ones share storage with what the renderer gives next time, so the
            // next comparison is a pointer check per chain and set instead of a walk through every rule.
            for table in ownedTables { view[table] = desiredTables[table] }
            return report
        }
        report.operations = transaction.operations.count
        report.messages = TransactionSize.messages(transaction)
        do throws(NFTablesError) {
            try kernel.commit(transaction)
        } catch {
            report.failure = RulesetFailure(step: .commit, error: error)
            failureStreak += 1
            // The kernel applied nothing, but the view may be wrong (someone changed the table): list again,
            // and if the same goes wrong once more, start the tables over.
            needsListing = true
            rebuildNext = failureStreak >= 2
            return report
        }
        lastMessages = report.messages
        forgetDigests(changedBy: transaction)
        failureStreak = 0
        rebuildNext = false
        for table in ownedTables { view[table] = desiredTables[table] }
        // The view is exact at the generation of this commit only if it was exact just before it.
        let generation = try? kernel.generation()
        if let generation, let known = knownGeneration, generation == Self.generation(after: known) {
            knownGeneration = generation
        } else {
            knownGeneration = nil
            if generation == nil { needsListing = true }
        }
        return report
    }

    /// The view's rules of the chains whose digest is known, to be reused by the next listing.
    private func knownRules(of table: Table) -> [String: KnownChainRules] {
        guard let digests = ruleDigests[table], let chains = view[table]?.chains else { return [:] }
        var known: [String: KnownChainRules] = [:]
        for (name, digest) in digests {
            if let rules = chains[name]?.rules { known[name] = KnownChainRules(digest: digest, rules: rules) }
        }
        return known
    }

    /// Forgets the digests of the chains whose rules a committed transaction changed.
    private func forgetDigests(changedBy transaction: Transaction) {
        for operation in transaction.operations {
            switch operation {
            case .deleteTable(let table), .flushTable(let table): ruleDigests[table] = nil
            case .addChain(let chain), .deleteChain(let chain), .flushChain(let chain):
                ruleDigests[chain.table]?[chain.name] = nil
            case .addRule(let rule), .deleteRule(let rule): ruleDigests[rule.table]?[rule.chain] = nil
            case .addTable, .addSet, .deleteSet, .flushSet, .addElements, .deleteElements: break
            }
        }
    }

    /// The generation the kernel moves to with the next commit (it skips 0 when it wraps).
    static func generation(after generation: UInt32) -> UInt32 {
        generation == UInt32.max ? 1 : generation + 1
    }
}
