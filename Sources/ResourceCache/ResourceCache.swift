import NetworkAddress
import CalicoAPI

/// The one place tabbyd keeps the cluster's resources: fed by the datastore watch, each resource interpreted
/// once (a record per kind the calculations read) and indexed by what the calculations look up (a node's
/// endpoints, the pool containing a block). Route calculation and policy calculation both read it.
///
/// Every write returns the change as a `ResourceDelta` (nil when nothing changed), which the agent hands to the
/// calculations that subscribe to the kind. Kinds outside `cachedKinds` are ignored.
public struct ResourceCache: Sendable {
    /// The kinds the cache keeps: every kind a calculation reads.
    public static let cachedKinds: Set<ResourceKind> = [
        .ipPool, .node, .ipamBlock, .workloadEndpoint, .hostEndpoint, .felixConfiguration, .globalNetworkPolicy,
        .networkPolicy, .tier, .profile, .namespace, .globalNetworkSet, .networkSet, .bgpConfiguration, .bgpPeer,
        .bgpFilter,
    ]

    public internal(set) var pools: [String: PoolRecord] = [:]
    /// Pools from the most specific CIDR to the least, to find a block's pool; rebuilt when a pool changes
    /// (pools are few).
    public internal(set) var poolsBySpecificity: [PoolRecord] = []
    public internal(set) var nodes: [String: NodeRecord] = [:]
    /// IPAM blocks by CIDR (blocks marked deleted are not kept).
    public internal(set) var blocks: [CIDR: BlockRecord] = [:]
    /// Block resource name -> CIDR, since a removal names the resource, not the CIDR.
    var blockCIDRByName: [String: CIDR] = [:]
    /// WorkloadEndpoints by node, then key: a node's endpoints cost that node's count to walk.
    public internal(set) var workloadsByNode: [String: [ResourceKey: WorkloadRecord]] = [:]
    var workloadNode: [ResourceKey: String] = [:]
    public internal(set) var hostEndpoints: [String: HostEndpointRecord] = [:]
    var hostEndpointNamesByNode: [String: Set<String>] = [:]
    public internal(set) var felixConfigurations: [String: FelixConfiguration] = [:]
    /// The kinds kept as stored (policies, tiers, profiles, namespaces, network sets, the BGP kinds).
    var plain: [ResourceKind: [ResourceKey: AnyResource]] = [:]
    /// Resources of the kinds above that could not be interpreted (an unparseable CIDR), with the reason.
    public internal(set) var unusable: [ResourceKey: String] = [:]

    public init() {}

    /// Adds or replaces a resource and returns the change; nil for an identical resource or a kind the cache
    /// does not keep.
    @discardableResult
    public mutating func upsert(_ resource: AnyResource) -> ResourceDelta? {
        switch resource.kind {
        case .ipPool: resource.as(IPPool.self).flatMap { upsertPool($0) }
        case .node: resource.as(Node.self).flatMap { upsertNode($0) }
        case .ipamBlock: resource.as(IPAMBlock.self).flatMap { upsertBlock($0) }
        case .workloadEndpoint: resource.as(WorkloadEndpoint.self).flatMap { upsertWorkload($0) }
        case .hostEndpoint: resource.as(HostEndpoint.self).flatMap { upsertHostEndpoint($0) }
        case .felixConfiguration: resource.as(FelixConfiguration.self).flatMap { upsertFelixConfiguration($0) }
        case let kind where Self.cachedKinds.contains(kind): upsertPlain(resource)
        default: nil
        }
    }

    /// Removes a resource by key and returns the change; nil when the cache did not hold it.
    @discardableResult
    public mutating func remove(_ key: ResourceKey) -> ResourceDelta? {
        let wasUnusable = unusable.removeValue(forKey: key) != nil
        let previous: AnyResource?
        switch key.kind {
        case .ipPool: previous = removePool(key.name).map(AnyResource.init)
        case .node: previous = nodes.removeValue(forKey: key.name).map { AnyResource($0.resource) }
        case .ipamBlock: previous = removeBlock(key.name).map(AnyResource.init)
        case .workloadEndpoint: previous = removeWorkload(key).map(AnyResource.init)
        case .hostEndpoint: previous = removeHostEndpoint(key.name).map(AnyResource.init)
        case .felixConfiguration: previous = felixConfigurations.removeValue(forKey: key.name).map(AnyResource.init)
        default: previous = plain[key.kind]?.removeValue(forKey: key)
        }
        guard previous != nil || wasUnusable else { return nil }
        return ResourceDelta(key: key, change: .removed, previous: previous, current: nil)
    }

    // MARK: Reading

    public func node(named name: String) -> NodeRecord? { nodes[name] }

    public func block(_ cidr: CIDR) -> BlockRecord? { blocks[cidr.masked] }

    /// The blocks whose affinity is `host:<node>`, by name.
    public func blocks(affineTo node: String) -> [BlockRecord] {
        blocks.values.filter { $0.affineNode == node }.sorted { $0.name < $1.name }
    }

    /// The pool a CIDR (a block or an address) belongs to: the most specific pool containing it.
    public func pool(containing cidr: CIDR) -> PoolRecord? {
        poolsBySpecificity.first { $0.cidr.contains(cidr) }
    }

    /// The WorkloadEndpoints on one node, by key; costs the number of that node's endpoints.
    public func workloadEndpoints(on node: String) -> [WorkloadRecord] {
        guard let endpoints = workloadsByNode[node] else { return [] }
        return endpoints.keys.sorted().map { endpoints[$0]! }
    }

    /// The keys of one node's WorkloadEndpoints, sorted.
    public func workloadEndpointKeys(on node: String) -> [ResourceKey] {
        (workloadsByNode[node]?.keys).map { $0.sorted() } ?? []
    }

    public func workloadEndpoint(_ key: ResourceKey) -> WorkloadRecord? {
        guard let node = workloadNode[key] else { return nil }
        return workloadsByNode[node]?[key]
    }

    /// Every WorkloadEndpoint's key, unsorted.
    public var workloadEndpointKeys: Dictionary<ResourceKey, String>.Keys { workloadNode.keys }

    /// How many WorkloadEndpoints the whole cluster has.
    public var workloadEndpointCount: Int { workloadNode.count }

    /// The WorkloadEndpoints of a pod (`spec.pod`) in a namespace, by key; walks every endpoint (for tools).
    public func workloadEndpointKeys(pod: String, namespace: String) -> [ResourceKey] {
        workloadNode.keys.filter { $0.namespace == namespace && workloadEndpoint($0)?.resource.spec.pod == pod }
            .sorted()
    }

    /// The node a WorkloadEndpoint or HostEndpoint belongs to; nil when the cache has no such endpoint.
    public func node(of key: ResourceKey) -> String? {
        switch key.kind {
        case .workloadEndpoint: workloadNode[key]
        case .hostEndpoint: hostEndpoints[key.name]?.node
        default: nil
        }
    }

    /// The HostEndpoints of one node, by name.
    public func hostEndpoints(on node: String) -> [HostEndpointRecord] {
        (hostEndpointNamesByNode[node] ?? []).sorted().compactMap { hostEndpoints[$0] }
    }

    public func felixConfiguration(named name: String) -> FelixConfiguration? { felixConfigurations[name] }

    /// A stored resource of the kinds only policy reads.
    public func resource<R: CalicoResource>(_ key: ResourceKey, as type: R.Type) -> R? {
        plain[key.kind]?[key]?.as(type)
    }

    /// Every stored resource of one of the kinds only policy reads, by key.
    public func resources(of kind: ResourceKind) -> [AnyResource] {
        guard let table = plain[kind] else { return [] }
        return table.keys.sorted().map { table[$0]! }
    }

    /// The resource stored under `key`, of any cached kind.
    public func resource(_ key: ResourceKey) -> AnyResource? {
        switch key.kind {
        case .ipPool: pools[key.name].map { AnyResource($0.resource) }
        case .node: nodes[key.name].map { AnyResource($0.resource) }
        case .ipamBlock: blockCIDRByName[key.name].flatMap { blocks[$0] }.map { AnyResource($0.resource) }
        case .workloadEndpoint: workloadEndpoint(key).map { AnyResource($0.resource) }
        case .hostEndpoint: hostEndpoints[key.name].map { AnyResource($0.resource) }
        case .felixConfiguration: felixConfigurations[key.name].map(AnyResource.init)
        default: plain[key.kind]?[key]
        }
    }
}
