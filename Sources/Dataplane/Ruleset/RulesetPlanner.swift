import NFTables
import PolicyRendering

/// Computes the operations that turn one table as it is (`current`) into the table as desired, for one
/// transaction. Pure: the `RulesetReconciler` does the I/O.
///
/// Order inside the transaction, so that every reference exists when it is made and is gone before what it
/// refers to is deleted:
/// 1. the table, new chains, new sets;
/// 2. element deletions, then additions (an interval or map entry that changes is deleted before it is re-added);
/// 3. chains whose rules differ: flush, then their rules in order (new chains get their rules here too);
/// 4. chains no longer desired: all flushed first, then deleted (jumps between them are gone by then);
/// 5. sets no longer desired.
///
/// A chain whose hook differs from the desired one, or a set whose type or flags differ, cannot be changed in
/// place; the table is then deleted and built again in the same transaction, so traffic sees the old ruleset
/// and then the new one, never none.
public enum RulesetPlanner {
    /// The operations for one table; empty when `current` already equals `desired`.
    public static func plan(current: DesiredTable?, desired: DesiredTable?, rebuild: Bool = false) -> [Operation] {
        switch (current, desired) {
        case (nil, nil):
            return []
        case (let current?, nil):
            return [.deleteTable(current.table)]
        case (nil, let desired?):
            return build(desired)
        case (let current?, let desired?):
            if rebuild || !canChangeInPlace(current, desired) {
                return [.deleteTable(current.table)] + build(desired)
            }
            return change(current, to: desired)
        }
    }

    /// Everything in the table, from nothing.
    public static func build(_ desired: DesiredTable) -> [Operation] {
        var operations: [Operation] = [.addTable(desired.table)]
        let chains = desired.chains.values.sorted { $0.name < $1.name }
        let sets = desired.sets.values.sorted { $0.name < $1.name }
        operations += chains.map { .addChain($0.chain) }
        for set in sets {
            operations.append(.addSet(set.namedSet))
            if !set.elements.isEmpty { operations.append(.addElements(sortedElements(set.elements), to: set.namedSet)) }
        }
        for chain in chains { operations += chain.rules.map { .addRule($0) } }
        return operations
    }

    /// False when a chain's hook or a set's type or flags differ: the kernel cannot change those in place.
    public static func canChangeInPlace(_ current: DesiredTable, _ desired: DesiredTable) -> Bool {
        for (name, chain) in desired.chains {
            if let existing = current.chains[name], existing.chain != chain.chain { return false }
        }
        for (name, set) in desired.sets {
            if let existing = current.sets[name], existing.namedSet != set.namedSet { return false }
        }
        return true
    }

    private static func change(_ current: DesiredTable, to desired: DesiredTable) -> [Operation] {
        var operations: [Operation] = []
        let newChains = desired.chains.values.filter { current.chains[$0.name] == nil }.sorted { $0.name < $1.name }
        operations += newChains.map { .addChain($0.chain) }
        let newSets = desired.sets.values.filter { current.sets[$0.name] == nil }.sorted { $0.name < $1.name }
        for set in newSets {
            operations.append(.addSet(set.namedSet))
            if !set.elements.isEmpty { operations.append(.addElements(sortedElements(set.elements), to: set.namedSet)) }
        }

        var additions: [Operation] = []
        for name in desired.sets.keys.sorted() {
            guard let existing = current.sets[name], let wanted = desired.sets[name],
                existing.elements != wanted.elements
            else { continue }
            let stale = existing.elements.subtracting(wanted.elements)
            let missing = wanted.elements.subtracting(existing.elements)
            if !stale.isEmpty { operations.append(.deleteElements(sortedElements(stale), from: existing.namedSet)) }
            if !missing.isEmpty { additions.append(.addElements(sortedElements(missing), to: wanted.namedSet)) }
        }
        operations += additions

        for name in desired.chains.keys.sorted() {
            guard let wanted = desired.chains[name] else { continue }
            if let existing = current.chains[name] {
                guard existing.rules != wanted.rules else { continue }
                if !existing.rules.isEmpty { operations.append(.flushChain(existing.chain)) }
            }
            operations += wanted.rules.map { .addRule($0) }
        }

        let staleChains = current.chains.values.filter { desired.chains[$0.name] == nil }.sorted { $0.name < $1.name }
        operations += staleChains.filter { !$0.rules.isEmpty }.map { .flushChain($0.chain) }
        operations += staleChains.map { .deleteChain($0.chain) }
        let staleSets = current.sets.values.filter { desired.sets[$0.name] == nil }.sorted { $0.name < $1.name }
        operations += staleSets.map { .deleteSet($0.namedSet) }
        return operations
    }

    /// Elements in key order, so transactions are reproducible.
    static func sortedElements(_ elements: Set<SetElement>) -> [SetElement] {
        elements.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }
}
