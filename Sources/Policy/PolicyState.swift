import CalicoAPI
import NetworkAddress

/// The cluster's resources that network policy reads, kept as parsed records with the selector index up to
/// date, so that one change costs work proportional to that change.
///
/// Feed it datastore watch events through `upsert(_:)` and `remove(_:)`; kinds policy does not read are ignored.
/// It is separate from the Calculation module's `ClusterState` (which computes routes) because policy needs
/// every endpoint of the cluster (for selector sets), namespaces, profiles and policies, and keeps its own index
/// over them; both are fed the same events.
public struct PolicyState: Sendable {
    struct WorkloadInfo: Sendable, Equatable {
        var node: String
        var interfaceName: String
        var addresses: [CIDR]
        var profiles: [String]
    }

    struct HostEndpointInfo: Sendable, Equatable {
        var node: String
        var interfaceName: String
        var addresses: [CIDR]
        var profiles: [String]
    }

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
    var workloads: [ResourceKey: WorkloadInfo] = [:]
    var workloadKeysByNode: [String: Set<ResourceKey>] = [:]
    /// `spec.pod` of the WorkloadEndpoints that have one, so tools can find an endpoint by its pod's name.
    var workloadPods: [ResourceKey: String] = [:]
    var hostEndpoints: [String: HostEndpointInfo] = [:]
    var hostEndpointNamesByNode: [String: Set<String>] = [:]
    var itemSources: [ResourceKey: ItemSource] = [:]
    var itemsByParent: [String: Set<ResourceKey>] = [:]
    var pools: [String: (cidr: CIDR, natOutgoing: Bool)] = [:]
    var nodeAddresses: [String: [CIDR]] = [:]
    var felixConfigurations: [String: FelixConfigurationSpec] = [:]
    var index = SelectorIndex()

    /// Resources that could not be used (a selector that does not parse), with the reason. A policy or profile
    /// that was usable before keeps its last usable content.
    public private(set) var unusable: [ResourceKey: String] = [:]

    /// Bumped by every upsert or removal that changed something.
    public private(set) var generation: UInt64 = 0

    public init() {}

    /// Sets whose members changed, appeared or went away since the last `clearChangedSets()`: what a renderer
    /// needs to look at after a batch of events.
    public var changedSets: Set<SetID> { index.changedSets }

    public mutating func clearChangedSets() { index.clearChangedSets() }

    /// Adds or replaces a resource. Returns true when the state changed (false for an identical resource or a
    /// kind policy does not read).
    @discardableResult
    public mutating func upsert(_ resource: AnyResource) -> Bool {
        let changed: Bool
        switch resource.kind {
        case .globalNetworkPolicy:
            guard let policy = resource.as(GlobalNetworkPolicy.self) else { return false }
            do throws(RuleNormalizer.Failure) {
                changed = upsertPolicy(try PolicyRecord(policy), key: policy.key)
            } catch {
                changed = markUnusable(policy.key, error.description)
            }
        case .networkPolicy:
            guard let policy = resource.as(NetworkPolicy.self) else { return false }
            do throws(RuleNormalizer.Failure) {
                changed = upsertPolicy(try PolicyRecord(policy), key: policy.key)
            } catch {
                changed = markUnusable(policy.key, error.description)
            }
        case .tier: changed = resource.as(Tier.self).map { upsertTier($0) } ?? false
        case .profile: changed = resource.as(Profile.self).map { upsertProfile($0) } ?? false
        case .namespace: changed = resource.as(Namespace.self).map { upsertNamespace($0) } ?? false
        case .workloadEndpoint: changed = resource.as(WorkloadEndpoint.self).map { upsertWorkload($0) } ?? false
        case .hostEndpoint: changed = resource.as(HostEndpoint.self).map { upsertHostEndpoint($0) } ?? false
        case .globalNetworkSet:
            changed =
                resource.as(GlobalNetworkSet.self).map {
                    upsertNetworkSet($0.key, labels: $0.metadata.labels, nets: $0.spec.nets, namespace: nil)
                } ?? false
        case .networkSet:
            changed =
                resource.as(NetworkSet.self).map {
                    upsertNetworkSet(
                        $0.key, labels: $0.metadata.labels, nets: $0.spec.nets, namespace: $0.metadata.namespace)
                } ?? false
        case .ipPool: changed = resource.as(IPPool.self).map { upsertPool($0) } ?? false
        case .node: changed = resource.as(Node.self).map { upsertNode($0) } ?? false
        case .felixConfiguration:
            changed = resource.as(FelixConfiguration.self).map { upsertFelixConfiguration($0) } ?? false
        default: return false
        }
        if changed { generation &+= 1 }
        return changed
    }

    /// Removes a resource by key. Returns true when the state changed.
    @discardableResult
    public mutating func remove(_ key: ResourceKey) -> Bool {
        let changed: Bool
        switch key.kind {
        case .globalNetworkPolicy: changed = removePolicy(.globalNetworkPolicy(key.name))
        case .networkPolicy: changed = removePolicy(.networkPolicy(key.namespace ?? "default", key.name))
        case .tier: changed = tierResources.removeValue(forKey: key.name) != nil
        case .profile: changed = removeProfile(key.name)
        case .namespace: changed = removeNamespace(key.name)
        case .workloadEndpoint: changed = removeWorkload(key)
        case .hostEndpoint: changed = removeHostEndpoint(key.name)
        case .globalNetworkSet, .networkSet: changed = removeItem(key)
        case .ipPool: changed = pools.removeValue(forKey: key.name) != nil
        case .node: changed = nodeAddresses.removeValue(forKey: key.name) != nil
        case .felixConfiguration: changed = felixConfigurations.removeValue(forKey: key.name) != nil
        default: return false
        }
        let wasUnusable = unusable.removeValue(forKey: key) != nil
        if changed || wasUnusable { generation &+= 1 }
        return changed || wasUnusable
    }

    // MARK: Reading

    /// The labels selectors see for an endpoint or network set: its profiles' `labelsToApply` overlaid with its
    /// own labels (and, for namespaced ones, `projectcalico.org/namespace`). nil when the state has no such item.
    public func effectiveLabels(of key: ResourceKey) -> Labels? { index.items[key]?.labels }

    /// The WorkloadEndpoints of a node.
    public func workloadEndpointKeys(on node: String) -> [ResourceKey] {
        (workloadKeysByNode[node] ?? []).sorted()
    }

    /// The WorkloadEndpoints of a pod (`spec.pod`) in a namespace.
    public func workloadEndpointKeys(pod: String, namespace: String) -> [ResourceKey] {
        workloads.keys.filter { $0.namespace == namespace && workloadPods[$0] == pod }.sorted()
    }

    /// The node a WorkloadEndpoint or HostEndpoint belongs to.
    public func node(of key: ResourceKey) -> String? {
        switch key.kind {
        case .workloadEndpoint: workloads[key]?.node
        case .hostEndpoint: hostEndpoints[key.name]?.node
        default: nil
        }
    }

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

// MARK: - Writing, kind by kind

extension PolicyState {
    mutating func markUnusable(_ key: ResourceKey, _ reason: String) -> Bool {
        if unusable[key] == reason { return false }
        unusable[key] = reason
        return true
    }

    private mutating func upsertPolicy(_ record: PolicyRecord, key: ResourceKey) -> Bool {
        let wasUnusable = unusable.removeValue(forKey: key) != nil
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

    private mutating func upsertTier(_ tier: Tier) -> Bool {
        let record = TierRecord(tier)
        return tierResources.updateValue(record, forKey: record.name) != record
    }

    private mutating func upsertProfile(_ profile: Profile) -> Bool {
        let record: ProfileRecord
        do {
            record = try ProfileRecord(profile)
        } catch {
            return markUnusable(profile.key, error.description)
        }
        let wasUnusable = unusable.removeValue(forKey: profile.key) != nil
        if profileResources[record.name] == record { return wasUnusable }
        let old = profileResources.updateValue(record, forKey: record.name)
        swapSets(old: old?.sets, new: record.sets)
        relabel(parent: record.name)
        return true
    }

    private mutating func removeProfile(_ name: String) -> Bool {
        guard let old = profileResources.removeValue(forKey: name) else { return false }
        swapSets(old: old.sets, new: nil)
        relabel(parent: name)
        return true
    }

    private mutating func upsertNamespace(_ namespace: Namespace) -> Bool {
        let name = namespace.metadata.name
        let labels = namespace.metadata.labels ?? [:]
        if namespaceLabels[name] == labels { return false }
        namespaceLabels[name] = labels
        relabel(parent: ProfileRecord.namespacePrefix + name)
        return true
    }

    private mutating func removeNamespace(_ name: String) -> Bool {
        guard namespaceLabels.removeValue(forKey: name) != nil else { return false }
        relabel(parent: ProfileRecord.namespacePrefix + name)
        return true
    }

    private mutating func upsertWorkload(_ endpoint: WorkloadEndpoint) -> Bool {
        let key = endpoint.key
        let spec = endpoint.spec
        let namespace = endpoint.metadata.namespace ?? "default"
        var labels = endpoint.metadata.labels ?? [:]
        // The labels Calico's Kubernetes conversion adds; the namespace (and service account) label is forced
        // so that no pod can claim another namespace's identity with a label of its own.
        labels[SelectorRewriting.namespaceLabel] = namespace
        if let account = spec.serviceAccountName, !account.isEmpty {
            labels[SelectorRewriting.serviceAccountLabel] = account
        }
        if let orchestrator = spec.orchestrator, labels[SelectorRewriting.orchestratorLabel] == nil {
            labels[SelectorRewriting.orchestratorLabel] = orchestrator
        }
        let addresses = (spec.ipNetworks ?? []).map { CIDR(host: $0.address) }
        let info = WorkloadInfo(
            node: spec.node, interfaceName: spec.interfaceName, addresses: addresses, profiles: spec.profiles ?? [])
        let source = ItemSource(
            ownLabels: labels, parents: info.profiles, addresses: addresses, ports: Self.ports(spec.ports))
        let old = workloads.updateValue(info, forKey: key)
        workloadPods[key] = spec.pod
        if let old, old.node != info.node { Self.removeKey(key, from: &workloadKeysByNode, old.node) }
        workloadKeysByNode[info.node, default: []].insert(key)
        let itemChanged = setItem(key, source)
        return old != info || itemChanged
    }

    private mutating func removeWorkload(_ key: ResourceKey) -> Bool {
        guard let old = workloads.removeValue(forKey: key) else { return false }
        workloadPods.removeValue(forKey: key)
        Self.removeKey(key, from: &workloadKeysByNode, old.node)
        removeItem(key)
        return true
    }

    private mutating func upsertHostEndpoint(_ endpoint: HostEndpoint) -> Bool {
        let name = endpoint.metadata.name
        let spec = endpoint.spec
        let addresses = (spec.expectedIPs ?? []).map { CIDR(host: $0) }
        let info = HostEndpointInfo(
            node: spec.node, interfaceName: spec.interfaceName ?? "", addresses: addresses,
            profiles: spec.profiles ?? [])
        let source = ItemSource(
            ownLabels: endpoint.metadata.labels ?? [:], parents: info.profiles, addresses: addresses,
            ports: Self.ports(spec.ports))
        let old = hostEndpoints.updateValue(info, forKey: name)
        if let old, old.node != info.node {
            hostEndpointNamesByNode[old.node]?.remove(name)
            if hostEndpointNamesByNode[old.node]?.isEmpty == true { hostEndpointNamesByNode[old.node] = nil }
        }
        hostEndpointNamesByNode[info.node, default: []].insert(name)
        let itemChanged = setItem(endpoint.key, source)
        return old != info || itemChanged
    }

    private mutating func removeHostEndpoint(_ name: String) -> Bool {
        guard let old = hostEndpoints.removeValue(forKey: name) else { return false }
        hostEndpointNamesByNode[old.node]?.remove(name)
        if hostEndpointNamesByNode[old.node]?.isEmpty == true { hostEndpointNamesByNode[old.node] = nil }
        removeItem(ResourceKey(kind: .hostEndpoint, name: name))
        return true
    }

    /// A NetworkSet inherits its namespace's labels (as Calico gives it the `kns.<namespace>` profile) and carries
    /// `projectcalico.org/namespace`; a GlobalNetworkSet has only its own labels.
    private mutating func upsertNetworkSet(
        _ key: ResourceKey, labels: Labels?, nets: [IPNetwork]?, namespace: String?
    ) -> Bool {
        var own = labels ?? [:]
        var parents: [String] = []
        if let namespace {
            own[SelectorRewriting.namespaceLabel] = namespace
            parents = [ProfileRecord.namespacePrefix + namespace]
        }
        let addresses = (nets ?? []).map(\.cidr.masked)
        return setItem(key, ItemSource(ownLabels: own, parents: parents, addresses: addresses, ports: []))
    }

    private mutating func upsertPool(_ pool: IPPool) -> Bool {
        guard let cidr = pool.spec.cidr?.masked else {
            let removed = pools.removeValue(forKey: pool.metadata.name) != nil
            return markUnusable(pool.key, "spec.cidr is missing") || removed
        }
        unusable.removeValue(forKey: pool.key)
        let natOutgoing = pool.spec.natOutgoing ?? false
        let old = pools.updateValue((cidr, natOutgoing), forKey: pool.metadata.name)
        return old?.cidr != cidr || old?.natOutgoing != natOutgoing
    }

    private mutating func upsertNode(_ node: Node) -> Bool {
        let addresses = [node.spec.bgp?.ipv4Address, node.spec.bgp?.ipv6Address].compactMap { cidr in
            cidr.map { CIDR(host: $0.address) }
        }
        return nodeAddresses.updateValue(addresses, forKey: node.metadata.name) != addresses
    }

    private mutating func upsertFelixConfiguration(_ configuration: FelixConfiguration) -> Bool {
        felixConfigurations.updateValue(configuration.spec, forKey: configuration.metadata.name) != configuration.spec
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

    /// Recomputes the labels of every item that inherits from `parent`, after the profile or namespace changed.
    private mutating func relabel(parent: String) {
        for key in itemsByParent[parent] ?? [] {
            guard let source = itemSources[key] else { continue }
            index.upsert(key, item(from: source))
        }
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
