import CalicoAPI
import NetworkAddress
import ResourceCache

/// What network policy derives from the resource cache, kept current one delta at a time: policies with their
/// rules normalized, tiers, profiles, namespace labels, and the selector index over every endpoint and network
/// set of the cluster (with the labels each inherits), so that one change costs work proportional to that change.
///
/// Endpoints, pools, nodes and FelixConfigurations themselves are read from the `ResourceCache`, which the agent
/// feeds first; `apply(_:cache:)` is then given each delta the cache returned.
public struct PolicyState: Sendable {
    /// What makes an item's labels: its own (with the labels Calico adds) and the profiles it inherits from.
    struct ItemSource: Sendable, Equatable {
        var ownLabels: Labels
        var parents: [String]
        var addresses: [CIDR]
        var ports: [ItemPort]
    }

    var policies: [PolicyID: PolicyRecord] = [:]
    /// Which policies an endpoint's labels can match (policies that apply to no endpoint are left out).
    var policyFilter = SelectorPrefilter<PolicyID>()
    /// How many policies name each tier, so that ordering tiers never walks the policies.
    var policyCountByTier: [String: Int] = [:]
    var tierResources: [String: TierRecord] = [:]
    var profileResources: [String: ProfileRecord] = [:]
    var namespaceLabels: [String: Labels] = [:]
    var itemSources: [ResourceKey: ItemSource] = [:]
    var itemsByParent: [String: Set<ResourceKey>] = [:]
    var index = SelectorIndex()

    /// Resources that could not be used (a selector that does not parse), with the reason. A policy or profile
    /// that was usable before keeps its last usable content.
    public private(set) var unusable: [ResourceKey: String] = [:]

    /// The kinds whose deltas change this state.
    public static let kinds: Set<ResourceKind> = [
        .globalNetworkPolicy, .networkPolicy, .tier, .profile, .namespace, .workloadEndpoint, .hostEndpoint,
        .globalNetworkSet, .networkSet,
    ]

    public init() {}

    /// Sets whose members changed, appeared or went away since the last `clearChangedSets()`: what a renderer
    /// needs to look at after a batch of events.
    public var changedSets: Set<SetID> { index.changedSets }

    public mutating func clearChangedSets() { index.clearChangedSets() }

    /// Applies one delta of `cache` (the cache as it is after the change). Returns what changed here; nothing
    /// for kinds policy does not derive anything from.
    @discardableResult
    public mutating func apply(_ delta: ResourceDelta, cache: ResourceCache) -> PolicyStateChange {
        let key = delta.key
        switch key.kind {
        case .globalNetworkPolicy:
            guard let policy = delta.current?.as(GlobalNetworkPolicy.self) else {
                return Self.rules(removePolicy(.globalNetworkPolicy(key.name)) || clearUnusable(key))
            }
            do throws(RuleNormalizer.Failure) {
                return Self.rules(upsertPolicy(try PolicyRecord(policy), key: key))
            } catch {
                return Self.rules(markUnusable(key, error.description))
            }
        case .networkPolicy:
            guard let policy = delta.current?.as(NetworkPolicy.self) else {
                let removed = removePolicy(.networkPolicy(key.namespace ?? "default", key.name))
                return Self.rules(removed || clearUnusable(key))
            }
            do throws(RuleNormalizer.Failure) {
                return Self.rules(upsertPolicy(try PolicyRecord(policy), key: key))
            } catch {
                return Self.rules(markUnusable(key, error.description))
            }
        case .tier:
            guard let tier = delta.current?.as(Tier.self) else {
                return Self.rules(tierResources.removeValue(forKey: key.name) != nil)
            }
            let record = TierRecord(tier)
            return Self.rules(tierResources.updateValue(record, forKey: record.name) != record)
        case .profile:
            guard let profile = delta.current?.as(Profile.self) else {
                return relabeling(rulesChanged: removeProfile(key.name) || clearUnusable(key), parent: key.name)
            }
            return upsertProfile(profile)
        case .namespace:
            let labels = delta.current.map { $0.metadata.labels ?? [:] }
            let changed =
                labels == nil
                ? namespaceLabels.removeValue(forKey: key.name) != nil
                : namespaceLabels.updateValue(labels!, forKey: key.name) != labels
            guard changed else { return PolicyStateChange() }
            return relabeling(rulesChanged: false, parent: ProfileRecord.namespacePrefix + key.name)
        case .workloadEndpoint:
            guard let record = cache.workloadEndpoint(key) else { return Self.items(removeItem(key), key) }
            return Self.items(setItem(key, Self.source(record)), key)
        case .hostEndpoint:
            guard let record = cache.hostEndpoints[key.name] else { return Self.items(removeItem(key), key) }
            return Self.items(setItem(key, Self.source(record)), key)
        case .globalNetworkSet:
            guard let set = delta.current?.as(GlobalNetworkSet.self) else { return Self.items(removeItem(key), key) }
            return Self.items(
                setItem(key, Self.source(labels: set.metadata.labels, nets: set.spec.nets, namespace: nil)), key)
        case .networkSet:
            guard let set = delta.current?.as(NetworkSet.self) else { return Self.items(removeItem(key), key) }
            let source = Self.source(
                labels: set.metadata.labels, nets: set.spec.nets, namespace: set.metadata.namespace)
            return Self.items(setItem(key, source), key)
        default:
            return PolicyStateChange()
        }
    }

    // MARK: Reading

    /// The labels selectors see for an endpoint or network set: its profiles' `labelsToApply` overlaid with its
    /// own labels (and, for namespaced ones, `projectcalico.org/namespace`). nil when the state has no such item.
    public func effectiveLabels(of key: ResourceKey) -> Labels? { index.items[key]?.labels }

    /// The members of a selector set, as endpoint and network-set keys (for debugging output and tests).
    public func members(of set: SetID) -> Set<ResourceKey>? { index.members(of: set) }

    /// The profile of that name: the resource, else the one Tabby synthesizes (`kns.*`, `ksa.*`,
    /// `projectcalico-default-allow`); nil when neither exists.
    func profile(named name: String) -> ProfileRecord? {
        if let profile = profileResources[name] { return profile }
        let namespace = ProfileRecord.namespace(of: name)
        return ProfileRecord.synthesized(name, namespaceLabels: namespace.flatMap { namespaceLabels[$0] })
    }

    /// The tier of that name: the resource, Calico's built-in one, or a missing tier.
    func tier(named name: String) -> TierRecord {
        tierResources[name] ?? TierRecord.builtIn(name) ?? TierRecord.missing(name)
    }
}

/// What one delta changed in a `PolicyState`.
public struct PolicyStateChange: Sendable, Equatable {
    /// Policies, tiers or profile rules changed: which policies apply where, or what they say.
    public var rules = false
    /// Endpoints and network sets whose labels, addresses or ports changed (their set memberships may have).
    public var items: Set<ResourceKey> = []

    public init(rules: Bool = false, items: Set<ResourceKey> = []) {
        self.rules = rules
        self.items = items
    }

    public var isEmpty: Bool { !rules && items.isEmpty }
}

// MARK: - Writing, kind by kind

extension PolicyState {
    // Static on purpose: `rules(upsertPolicy(...))` as an instance method would take a copy of `self` before its
    // argument mutates it, and every dictionary of the state would then be copied on write, once per delta.
    private static func rules(_ changed: Bool) -> PolicyStateChange { PolicyStateChange(rules: changed) }

    private static func items(_ changed: Bool, _ key: ResourceKey) -> PolicyStateChange {
        PolicyStateChange(items: changed ? [key] : [])
    }

    /// A profile or namespace changed: every item inheriting from it gets its labels again.
    private mutating func relabeling(rulesChanged: Bool, parent: String) -> PolicyStateChange {
        PolicyStateChange(rules: rulesChanged, items: relabel(parent: parent))
    }

    mutating func markUnusable(_ key: ResourceKey, _ reason: String) -> Bool {
        if unusable[key] == reason { return false }
        unusable[key] = reason
        return true
    }

    private mutating func clearUnusable(_ key: ResourceKey) -> Bool {
        unusable.removeValue(forKey: key) != nil
    }

    private mutating func upsertPolicy(_ record: PolicyRecord, key: ResourceKey) -> Bool {
        let wasUnusable = clearUnusable(key)
        if policies[record.id] == record { return wasUnusable }
        let old = policies.updateValue(record, forKey: record.id)
        if let old { forget(old) }
        if !record.untrackedOrPreDNAT { policyFilter.insert(record.id, record.selector) }
        policyCountByTier[record.tier, default: 0] += 1
        swapSets(old: old?.sets, new: record.sets)
        return true
    }

    private mutating func removePolicy(_ id: PolicyID) -> Bool {
        guard let old = policies.removeValue(forKey: id) else { return false }
        forget(old)
        swapSets(old: old.sets, new: nil)
        return true
    }

    private mutating func forget(_ policy: PolicyRecord) {
        if !policy.untrackedOrPreDNAT { policyFilter.remove(policy.id, policy.selector) }
        policyCountByTier[policy.tier, default: 1] -= 1
        if policyCountByTier[policy.tier] == 0 { policyCountByTier[policy.tier] = nil }
    }

    /// Retains the new sets before releasing the old ones, so a set both use keeps its members.
    private mutating func swapSets(old: [SetID: SetRequirement]?, new: [SetID: SetRequirement]?) {
        for requirement in (new ?? [:]).values { index.retain(requirement) }
        for requirement in (old ?? [:]).values { index.release(requirement) }
    }

    private mutating func upsertProfile(_ profile: Profile) -> PolicyStateChange {
        let record: ProfileRecord
        do {
            record = try ProfileRecord(profile)
        } catch {
            return Self.rules(markUnusable(profile.key, error.description))
        }
        let wasUnusable = clearUnusable(profile.key)
        if profileResources[record.name] == record { return Self.rules(wasUnusable) }
        let old = profileResources.updateValue(record, forKey: record.name)
        swapSets(old: old?.sets, new: record.sets)
        return relabeling(rulesChanged: true, parent: record.name)
    }

    private mutating func removeProfile(_ name: String) -> Bool {
        guard let old = profileResources.removeValue(forKey: name) else { return false }
        swapSets(old: old.sets, new: nil)
        return true
    }

    /// The labels Calico's Kubernetes conversion adds to a workload's own; the namespace (and service account)
    /// label is forced so that no pod can claim another namespace's identity with a label of its own.
    static func source(_ record: WorkloadRecord) -> ItemSource {
        let endpoint = record.resource
        let spec = endpoint.spec
        var labels = endpoint.metadata.labels ?? [:]
        labels[SelectorRewriting.namespaceLabel] = endpoint.metadata.namespace ?? "default"
        if let account = spec.serviceAccountName, !account.isEmpty {
            labels[SelectorRewriting.serviceAccountLabel] = account
        }
        if let orchestrator = spec.orchestrator, labels[SelectorRewriting.orchestratorLabel] == nil {
            labels[SelectorRewriting.orchestratorLabel] = orchestrator
        }
        return ItemSource(
            ownLabels: labels, parents: record.profiles, addresses: record.addresses, ports: ports(spec.ports))
    }

    static func source(_ record: HostEndpointRecord) -> ItemSource {
        ItemSource(
            ownLabels: record.resource.metadata.labels ?? [:], parents: record.profiles, addresses: record.addresses,
            ports: ports(record.resource.spec.ports))
    }

    /// A NetworkSet inherits its namespace's labels (as Calico gives it the `kns.<namespace>` profile) and carries
    /// `projectcalico.org/namespace`; a GlobalNetworkSet has only its own labels.
    static func source(labels: Labels?, nets: [IPNetwork]?, namespace: String?) -> ItemSource {
        var own = labels ?? [:]
        var parents: [String] = []
        if let namespace {
            own[SelectorRewriting.namespaceLabel] = namespace
            parents = [ProfileRecord.namespacePrefix + namespace]
        }
        let addresses = (nets ?? []).map(\.cidr.masked)
        return ItemSource(ownLabels: own, parents: parents, addresses: addresses, ports: [])
    }

    // MARK: Items and label inheritance

    /// Stores an item's source and gives the index its effective labels. Returns true when anything changed.
    @discardableResult
    private mutating func setItem(_ key: ResourceKey, _ source: ItemSource) -> Bool {
        let old = itemSources.updateValue(source, forKey: key)
        if old == source { return false }
        if let old, old.parents != source.parents {
            for parent in old.parents { Self.removeKey(key, from: &itemsByParent, parent) }
        }
        for parent in source.parents { itemsByParent[parent, default: []].insert(key) }
        index.upsert(key, item(from: source))
        return true
    }

    @discardableResult
    private mutating func removeItem(_ key: ResourceKey) -> Bool {
        guard let old = itemSources.removeValue(forKey: key) else { return false }
        for parent in old.parents { Self.removeKey(key, from: &itemsByParent, parent) }
        index.remove(key)
        return true
    }

    /// Recomputes the labels of every item that inherits from `parent`, after the profile or namespace changed;
    /// returns the items whose labels changed.
    private mutating func relabel(parent: String) -> Set<ResourceKey> {
        var changed: Set<ResourceKey> = []
        for key in itemsByParent[parent] ?? [] {
            guard let source = itemSources[key] else { continue }
            let item = item(from: source)
            if index.items[key] != item {
                index.upsert(key, item)
                changed.insert(key)
            }
        }
        return changed
    }

    private func item(from source: ItemSource) -> IndexedItem {
        IndexedItem(labels: effectiveLabels(source), addresses: source.addresses, ports: source.ports)
    }

    /// Own labels win; among profiles, the first that sets a key wins (Felix looks labels up in that order).
    func effectiveLabels(_ source: ItemSource) -> Labels {
        var labels = source.ownLabels
        for parent in source.parents {
            guard let inherited = profile(named: parent)?.labelsToApply else { continue }
            for (key, value) in inherited where labels[key] == nil { labels[key] = value }
        }
        return labels
    }

    private static func ports(_ ports: [EndpointPort]?) -> [ItemPort] {
        (ports ?? []).compactMap { port in
            port.protocol.number.map { ItemPort(name: port.name, protocol: $0, port: port.port) }
        }
    }

    private static func removeKey<Key: Hashable>(
        _ key: ResourceKey, from index: inout [Key: Set<ResourceKey>], _ group: Key
    ) {
        index[group]?.remove(key)
        if index[group]?.isEmpty == true { index.removeValue(forKey: group) }
    }
}
