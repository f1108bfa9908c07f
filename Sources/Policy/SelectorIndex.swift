import CalicoAPI
import NetworkAddress

/// A named port of an endpoint, as the index keeps it.
struct ItemPort: Hashable, Sendable {
    var name: String
    var `protocol`: UInt8
    var port: UInt16
}

/// What the index knows of an endpoint or network set: the labels selectors see and what it adds to a set.
struct IndexedItem: Equatable, Sendable {
    var labels: Labels
    /// Masked CIDRs: host CIDRs for endpoints, the nets of a network set.
    var addresses: [CIDR]
    var ports: [ItemPort]
}

/// Selector -> matching endpoints and network sets, kept current one change at a time.
///
/// Every selector that some rule uses has an entry with its members and the union of their addresses (counted,
/// since two members may share a network). Selectors are indexed by the label keys they read, so when an item's
/// labels change only the selectors reading a changed key are evaluated again; a new item is evaluated against
/// the selectors its labels can satisfy (see `SelectorPrefilter`). Named-port sets hang off the entry of their
/// selector.
struct SelectorIndex: Sendable {
    private struct SelectorEntry: Sendable {
        let selector: Selector
        var references = 0
        var members: Set<ResourceKey> = []
        var counts: [CIDR: Int] = [:]
        var addresses: Set<CIDR> = []
        var namedPortSets: Set<SetID> = []
    }

    private struct NamedPortEntry: Sendable {
        let selectorID: SetID
        let port: NamedPortReference
        var references = 0
        var counts: [NamedPortMember: Int] = [:]
        var members: Set<NamedPortMember> = []
    }

    private(set) var items: [ResourceKey: IndexedItem] = [:]
    private var selectors: [SetID: SelectorEntry] = [:]
    private var namedPorts: [SetID: NamedPortEntry] = [:]
    private var selectorsByLabelKey: [String: Set<SetID>] = [:]
    /// Which selectors a new item can match at all.
    private var prefilter = SelectorPrefilter<SetID>()
    /// The selector sets each item is a member of.
    private var membership: [ResourceKey: Set<SetID>] = [:]

    /// Sets whose members changed (or that appeared or went away) since the last `clearChangedSets()`.
    private(set) var changedSets: Set<SetID> = []
    /// How many times a selector was evaluated against an item: tests use it to check that a change costs
    /// work proportional to the selectors it concerns.
    private(set) var evaluations = 0

    mutating func clearChangedSets() { changedSets.removeAll(keepingCapacity: true) }

    // MARK: Reading

    func addresses(of id: SetID) -> Set<CIDR>? { selectors[id]?.addresses }

    func namedPortMembers(of id: SetID) -> Set<NamedPortMember>? { namedPorts[id]?.members }

    func members(of id: SetID) -> Set<ResourceKey>? { selectors[id]?.members }

    /// Every selector and named-port set in use.
    var setIDs: Set<SetID> { Set(selectors.keys).union(namedPorts.keys) }

    // MARK: Sets in use

    /// Starts (or counts one more use of) a set.
    mutating func retain(_ requirement: SetRequirement) {
        switch requirement {
        case .selector(let selector):
            retainSelector(selector)
        case .namedPort(let selector, let proto, let name):
            let id = requirement.id
            if namedPorts[id] != nil {
                namedPorts[id]!.references += 1
                return
            }
            let selectorID = retainSelector(selector)
            var entry = NamedPortEntry(
                selectorID: selectorID, port: NamedPortReference(protocol: proto, name: name), references: 1)
            for key in selectors[selectorID]!.members {
                guard let item = items[key] else { continue }
                Self.add(item, port: entry.port, to: &entry.counts, &entry.members)
            }
            namedPorts[id] = entry
            selectors[selectorID]!.namedPortSets.insert(id)
            changedSets.insert(id)
        }
    }

    /// Counts one use less of a set, and drops it after its last use.
    mutating func release(_ requirement: SetRequirement) {
        switch requirement {
        case .selector(let selector):
            releaseSelector(.selector(selector))
        case .namedPort:
            let id = requirement.id
            guard var entry = namedPorts[id] else { return }
            entry.references -= 1
            if entry.references > 0 {
                namedPorts[id] = entry
                return
            }
            namedPorts.removeValue(forKey: id)
            selectors[entry.selectorID]?.namedPortSets.remove(id)
            changedSets.insert(id)
            releaseSelector(entry.selectorID)
        }
    }

    @discardableResult
    private mutating func retainSelector(_ selector: Selector) -> SetID {
        let id = SetID.selector(selector)
        if selectors[id] != nil {
            selectors[id]!.references += 1
            return id
        }
        var entry = SelectorEntry(selector: selector, references: 1)
        for (key, item) in items {
            evaluations += 1
            guard selector.matches(item.labels) else { continue }
            entry.members.insert(key)
            membership[key, default: []].insert(id)
            Self.add(item.addresses, to: &entry.counts, &entry.addresses)
        }
        selectors[id] = entry
        for key in selector.referencedLabelKeys { selectorsByLabelKey[key, default: []].insert(id) }
        prefilter.insert(id, selector)
        changedSets.insert(id)
        return id
    }

    private mutating func releaseSelector(_ id: SetID) {
        guard var entry = selectors[id] else { return }
        entry.references -= 1
        if entry.references > 0 {
            selectors[id] = entry
            return
        }
        selectors.removeValue(forKey: id)
        for key in entry.members {
            membership[key]?.remove(id)
            if membership[key]?.isEmpty == true { membership.removeValue(forKey: key) }
        }
        for key in entry.selector.referencedLabelKeys {
            selectorsByLabelKey[key]?.remove(id)
            if selectorsByLabelKey[key]?.isEmpty == true { selectorsByLabelKey.removeValue(forKey: key) }
        }
        prefilter.remove(id, entry.selector)
        changedSets.insert(id)
    }

    // MARK: Items

    /// Adds or replaces an endpoint or network set. A new item is evaluated against every selector; a changed
    /// one only against the selectors that read a label whose value changed.
    mutating func upsert(_ key: ResourceKey, _ item: IndexedItem) {
        guard let old = items[key] else {
            items[key] = item
            var matched: [SetID] = []
            prefilter.forEachCandidate(item.labels) { id in
                guard let selector = selectors[id]?.selector else { return }
                evaluations += 1
                if selector.matches(item.labels) { matched.append(id) }
            }
            for id in matched { join(key, item, id) }
            return
        }
        if old == item { return }
        items[key] = item
        var candidates: Set<SetID> = []
        if old.labels != item.labels {
            for labelKey in Self.changedKeys(old.labels, item.labels) {
                if let ids = selectorsByLabelKey[labelKey] { candidates.formUnion(ids) }
            }
        }
        let contributionChanged = old.addresses != item.addresses || old.ports != item.ports
        let current = membership[key] ?? []
        let affected = contributionChanged ? current.union(candidates) : candidates
        for id in affected {
            guard let entry = selectors[id] else { continue }
            let was = current.contains(id)
            let now: Bool
            if candidates.contains(id) {
                evaluations += 1
                now = entry.selector.matches(item.labels)
            } else {
                now = was
            }
            switch (was, now) {
            case (true, true): rejoin(key, old, item, id)
            case (true, false): leave(key, old, id)
            case (false, true): join(key, item, id)
            case (false, false): break
            }
        }
    }

    mutating func remove(_ key: ResourceKey) {
        guard let old = items.removeValue(forKey: key) else { return }
        for id in membership[key] ?? [] { leave(key, old, id) }
        membership.removeValue(forKey: key)
    }

    private mutating func join(_ key: ResourceKey, _ item: IndexedItem, _ id: SetID) {
        guard var entry = selectors[id] else { return }
        selectors[id] = nil  // keep the entry uniquely referenced while it changes
        entry.members.insert(key)
        membership[key, default: []].insert(id)
        if Self.add(item.addresses, to: &entry.counts, &entry.addresses) { changedSets.insert(id) }
        for portSetID in entry.namedPortSets {
            guard var portEntry = namedPorts.removeValue(forKey: portSetID) else { continue }
            if Self.add(item, port: portEntry.port, to: &portEntry.counts, &portEntry.members) {
                changedSets.insert(portSetID)
            }
            namedPorts[portSetID] = portEntry
        }
        selectors[id] = entry
    }

    /// The item stays a member with other addresses or ports: the new ones are counted before the old ones are
    /// dropped, so what both have never leaves the set (and the set is not reported as changed for it).
    private mutating func rejoin(_ key: ResourceKey, _ old: IndexedItem, _ new: IndexedItem, _ id: SetID) {
        guard var entry = selectors[id] else { return }
        selectors[id] = nil
        var changed = Self.add(new.addresses, to: &entry.counts, &entry.addresses)
        changed = Self.subtract(old.addresses, from: &entry.counts, &entry.addresses) || changed
        if changed { changedSets.insert(id) }
        for portSetID in entry.namedPortSets {
            guard var portEntry = namedPorts.removeValue(forKey: portSetID) else { continue }
            var portsChanged = Self.add(new, port: portEntry.port, to: &portEntry.counts, &portEntry.members)
            portsChanged =
                Self.subtract(old, port: portEntry.port, from: &portEntry.counts, &portEntry.members) || portsChanged
            if portsChanged { changedSets.insert(portSetID) }
            namedPorts[portSetID] = portEntry
        }
        selectors[id] = entry
    }

    private mutating func leave(_ key: ResourceKey, _ item: IndexedItem, _ id: SetID) {
        guard var entry = selectors[id] else { return }
        selectors[id] = nil
        entry.members.remove(key)
        membership[key]?.remove(id)
        if membership[key]?.isEmpty == true { membership.removeValue(forKey: key) }
        if Self.subtract(item.addresses, from: &entry.counts, &entry.addresses) { changedSets.insert(id) }
        for portSetID in entry.namedPortSets {
            guard var portEntry = namedPorts.removeValue(forKey: portSetID) else { continue }
            if Self.subtract(item, port: portEntry.port, from: &portEntry.counts, &portEntry.members) {
                changedSets.insert(portSetID)
            }
            namedPorts[portSetID] = portEntry
        }
        selectors[id] = entry
    }

    // MARK: Counting members

    /// Returns true when the set changed.
    @discardableResult
    private static func add<Member: Hashable>(
        _ members: [Member], to counts: inout [Member: Int], _ set: inout Set<Member>
    )
        -> Bool
    {
        var changed = false
        for member in members {
            counts[member, default: 0] += 1
            if counts[member] == 1 {
                set.insert(member)
                changed = true
            }
        }
        return changed
    }

    private static func subtract<Member: Hashable>(
        _ members: [Member], from counts: inout [Member: Int], _ set: inout Set<Member>
    ) -> Bool {
        var changed = false
        for member in members {
            guard let count = counts[member] else { continue }
            if count <= 1 {
                counts.removeValue(forKey: member)
                set.remove(member)
                changed = true
            } else {
                counts[member] = count - 1
            }
        }
        return changed
    }

    @discardableResult
    private static func add(
        _ item: IndexedItem, port: NamedPortReference, to counts: inout [NamedPortMember: Int],
        _ set: inout Set<NamedPortMember>
    ) -> Bool {
        add(portMembers(item, port), to: &counts, &set)
    }

    private static func subtract(
        _ item: IndexedItem, port: NamedPortReference, from counts: inout [NamedPortMember: Int],
        _ set: inout Set<NamedPortMember>
    ) -> Bool {
        subtract(portMembers(item, port), from: &counts, &set)
    }

    /// The item's addresses with the number of its named port, when it has one of that name and protocol.
    private static func portMembers(_ item: IndexedItem, _ reference: NamedPortReference) -> [NamedPortMember] {
        var result: [NamedPortMember] = []
        for port in item.ports where port.name == reference.name && port.protocol == reference.protocol {
            for cidr in item.addresses {
                result.append(NamedPortMember(address: cidr.address, protocol: port.protocol, port: port.port))
            }
        }
        return result
    }

    /// Keys whose value differs between the two maps (present in one only, or with different values).
    static func changedKeys(_ old: Labels, _ new: Labels) -> [String] {
        var keys: [String] = []
        for (key, value) in old where new[key] != value { keys.append(key) }
        for key in new.keys where old[key] == nil { keys.append(key) }
        return keys
    }
}
