import CalicoAPI
import NetworkAddress

/// The cluster's resources that the calculation reads, indexed so that one change costs work proportional to
/// that change and a node's desired dataplane costs work proportional to that node's endpoints plus the number
/// of nodes and blocks, never to the number of endpoints in the cluster.
///
/// The agent feeds it datastore watch events through `upsert(_:)` and `remove(_:)`. Kinds the calculation does
/// not read (policies, profiles, handles...) are ignored after one comparison.
public struct ClusterState: Sendable {
    var poolResources: [String: IPPool] = [:]
    var poolRecords: [String: PoolRecord] = [:]
    /// Pools from the most specific CIDR to the least, to find a block's pool; rebuilt when a pool changes
    /// (pools are few).
    var poolsBySpecificity: [PoolRecord] = []
    var nodeResources: [String: Node] = [:]
    var nodeRecords: [String: NodeRecord] = [:]
    var blockResources: [CIDR: IPAMBlock] = [:]
    var blockRecords: [CIDR: BlockRecord] = [:]
    /// Block resource name -> CIDR, since a removal names the resource, not the CIDR.
    var blockCIDRByName: [String: CIDR] = [:]
    var affinities: [String: BlockAffinity] = [:]
    var affinityNamesByNode: [String: Set<String>] = [:]
    var workloadsByNode: [String: [ResourceKey: WorkloadEndpoint]] = [:]
    /// The same endpoints, parsed: what the calculation walks.
    var workloadRecordsByNode: [String: [ResourceKey: WorkloadRecord]] = [:]
    var workloadNode: [ResourceKey: String] = [:]
    var hostEndpointRecords: [String: HostEndpoint] = [:]
    var hostEndpointNamesByNode: [String: Set<String>] = [:]
    var felixConfigurationRecords: [String: FelixConfiguration] = [:]
    /// Resources of the kinds above that could not be indexed (an unparseable CIDR), with the reason.
    public private(set) var unusable: [ResourceKey: String] = [:]

    /// Bumped by every upsert or removal that changed something: lets the agent skip a recalculation.
    public private(set) var generation: UInt64 = 0

    public init() {}

    /// Adds or replaces a resource. Returns true when the state changed (false for an identical resource or a
    /// kind the calculation does not read).
    @discardableResult
    public mutating func upsert(_ resource: AnyResource) -> Bool {
        let changed: Bool
        switch resource.kind {
        case .ipPool: changed = resource.as(IPPool.self).map { upsertPool($0) } ?? false
        case .node: changed = resource.as(Node.self).map { upsertNode($0) } ?? false
        case .ipamBlock: changed = resource.as(IPAMBlock.self).map { upsertBlock($0) } ?? false
        case .blockAffinity: changed = resource.as(BlockAffinity.self).map { upsertAffinity($0) } ?? false
        case .workloadEndpoint: changed = resource.as(WorkloadEndpoint.self).map { upsertWorkload($0) } ?? false
        case .hostEndpoint: changed = resource.as(HostEndpoint.self).map { upsertHostEndpoint($0) } ?? false
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
        case .ipPool: changed = removePool(key.name)
        case .node: changed = removeNode(key.name)
        case .ipamBlock: changed = removeBlock(key.name)
        case .blockAffinity: changed = removeAffinity(key.name)
        case .workloadEndpoint: changed = removeWorkload(key)
        case .hostEndpoint: changed = removeHostEndpoint(key.name)
        case .felixConfiguration: changed = felixConfigurationRecords.removeValue(forKey: key.name) != nil
        default: return false
        }
        let wasUnusable = unusable.removeValue(forKey: key) != nil
        if changed || wasUnusable { generation &+= 1 }
        return changed || wasUnusable
    }

    // MARK: Reading

    /// IPPools by name.
    public var ipPools: [String: IPPool] { poolResources }

    /// Nodes by name.
    public var nodes: [String: Node] { nodeResources }

    public func node(named name: String) -> Node? { nodeResources[name] }

    /// IPAM blocks by CIDR (blocks marked deleted are not kept).
    public var ipamBlocks: [CIDR: IPAMBlock] { blockResources }

    public func ipamBlock(_ cidr: CIDR) -> IPAMBlock? { blockResources[cidr.masked] }

    /// The blocks whose affinity is `host:<node>`.
    public func ipamBlocks(affineTo node: String) -> [IPAMBlock] {
        blockRecords.values.filter { $0.affineNode == node }.sorted { $0.name < $1.name }.compactMap {
            blockResources[$0.cidr]
        }
    }

    public var blockAffinities: [String: BlockAffinity] { affinities }

    /// A node's block affinities (any state), by name order.
    public func blockAffinities(of node: String) -> [BlockAffinity] {
        (affinityNamesByNode[node] ?? []).sorted().compactMap { affinities[$0] }
    }

    /// The WorkloadEndpoints on one node; costs the number of that node's endpoints.
    public func workloadEndpoints(on node: String) -> [WorkloadEndpoint] {
        guard let endpoints = workloadsByNode[node] else { return [] }
        return endpoints.keys.sorted().map { endpoints[$0]! }
    }

    /// How many WorkloadEndpoints the whole cluster has.
    public var workloadEndpointCount: Int { workloadNode.count }

    public var hostEndpoints: [String: HostEndpoint] { hostEndpointRecords }

    public func hostEndpoints(of node: String) -> [HostEndpoint] {
        (hostEndpointNamesByNode[node] ?? []).sorted().compactMap { hostEndpointRecords[$0] }
    }

    public var felixConfigurations: [String: FelixConfiguration] { felixConfigurationRecords }

    public func felixConfiguration(named name: String) -> FelixConfiguration? { felixConfigurationRecords[name] }

    /// The pool a CIDR (a block or an address) belongs to: the most specific pool containing it.
    func pool(containing cidr: CIDR) -> PoolRecord? {
        poolsBySpecificity.first { $0.cidr.contains(cidr) }
    }
}

// MARK: - Writing, kind by kind

extension ClusterState {
    private mutating func markUnusable(_ key: ResourceKey, _ reason: String) -> Bool {
        if unusable[key] == reason { return false }
        unusable[key] = reason
        return true
    }

    private mutating func upsertPool(_ pool: IPPool) -> Bool {
        let name = pool.metadata.name
        if poolResources[name] == pool { return false }
        guard let record = PoolRecord(pool) else {
            let removed = removePool(name)
            return markUnusable(pool.key, "spec.cidr is missing") || removed
        }
        unusable.removeValue(forKey: pool.key)
        poolResources[name] = pool
        poolRecords[name] = record
        rebuildPoolOrder()
        return true
    }

    private mutating func removePool(_ name: String) -> Bool {
        guard poolResources.removeValue(forKey: name) != nil else { return false }
        poolRecords.removeValue(forKey: name)
        rebuildPoolOrder()
        return true
    }

    private mutating func rebuildPoolOrder() {
        poolsBySpecificity = poolRecords.values.sorted {
            ($0.cidr.prefixLength, $0.name) > ($1.cidr.prefixLength, $1.name)
        }
    }

    private mutating func upsertNode(_ node: Node) -> Bool {
        let name = node.metadata.name
        if nodeResources[name] == node { return false }
        nodeResources[name] = node
        nodeRecords[name] = NodeRecord(node)
        return true
    }

    private mutating func removeNode(_ name: String) -> Bool {
        guard nodeResources.removeValue(forKey: name) != nil else { return false }
        nodeRecords.removeValue(forKey: name)
        return true
    }

    private mutating func upsertBlock(_ block: IPAMBlock) -> Bool {
        let name = block.metadata.name
        // Readers ignore soft-deleted blocks (Calico's two-step delete).
        if block.spec.deleted == true { return removeBlock(name) }
        if let cidr = blockCIDRByName[name], blockResources[cidr] == block { return false }
        guard let record = BlockRecord(block) else {
            let removed = removeBlock(name)
            return markUnusable(block.key, "spec.cidr is missing") || removed
        }
        unusable.removeValue(forKey: block.key)
        if let old = blockCIDRByName[name], old != record.cidr {
            blockRecords.removeValue(forKey: old)
            blockResources.removeValue(forKey: old)
        }
        blockCIDRByName[name] = record.cidr
        blockRecords[record.cidr] = record
        blockResources[record.cidr] = block
        return true
    }

    private mutating func removeBlock(_ name: String) -> Bool {
        guard let cidr = blockCIDRByName.removeValue(forKey: name) else { return false }
        // Another resource may have claimed the CIDR since; only drop the record this name put there.
        if blockRecords[cidr]?.name == name {
            blockRecords.removeValue(forKey: cidr)
            blockResources.removeValue(forKey: cidr)
        }
        return true
    }

    private mutating func upsertAffinity(_ affinity: BlockAffinity) -> Bool {
        let name = affinity.metadata.name
        if affinity.spec.deleted == true { return removeAffinity(name) }
        let old = affinities[name]
        if old == affinity { return false }
        if let old, old.spec.node != affinity.spec.node {
            Self.removeName(name, from: &affinityNamesByNode, old.spec.node)
        }
        affinities[name] = affinity
        affinityNamesByNode[affinity.spec.node, default: []].insert(name)
        return true
    }

    private mutating func removeAffinity(_ name: String) -> Bool {
        guard let old = affinities.removeValue(forKey: name) else { return false }
        Self.removeName(name, from: &affinityNamesByNode, old.spec.node)
        return true
    }

    private mutating func upsertWorkload(_ endpoint: WorkloadEndpoint) -> Bool {
        let key = endpoint.key
        let node = endpoint.spec.node
        if let oldNode = workloadNode[key] {
            if oldNode == node, workloadsByNode[node]?[key] == endpoint { return false }
            if oldNode != node { detachWorkload(key, from: oldNode) }
        }
        workloadNode[key] = node
        workloadsByNode[node, default: [:]][key] = endpoint
        workloadRecordsByNode[node, default: [:]][key] = WorkloadRecord(endpoint)
        return true
    }

    private mutating func removeWorkload(_ key: ResourceKey) -> Bool {
        guard let node = workloadNode.removeValue(forKey: key) else { return false }
        detachWorkload(key, from: node)
        return true
    }

    private mutating func detachWorkload(_ key: ResourceKey, from node: String) {
        workloadsByNode[node]?.removeValue(forKey: key)
        workloadRecordsByNode[node]?.removeValue(forKey: key)
        if workloadsByNode[node]?.isEmpty == true {
            workloadsByNode.removeValue(forKey: node)
            workloadRecordsByNode.removeValue(forKey: node)
        }
    }

    private mutating func upsertHostEndpoint(_ endpoint: HostEndpoint) -> Bool {
        let name = endpoint.metadata.name
        let old = hostEndpointRecords[name]
        if old == endpoint { return false }
        if let old, old.spec.node != endpoint.spec.node {
            Self.removeName(name, from: &hostEndpointNamesByNode, old.spec.node)
        }
        hostEndpointRecords[name] = endpoint
        hostEndpointNamesByNode[endpoint.spec.node, default: []].insert(name)
        return true
    }

    private mutating func removeHostEndpoint(_ name: String) -> Bool {
        guard let old = hostEndpointRecords.removeValue(forKey: name) else { return false }
        Self.removeName(name, from: &hostEndpointNamesByNode, old.spec.node)
        return true
    }

    private mutating func upsertFelixConfiguration(_ configuration: FelixConfiguration) -> Bool {
        let name = configuration.metadata.name
        if felixConfigurationRecords[name] == configuration { return false }
        felixConfigurationRecords[name] = configuration
        return true
    }

    private static func removeName(_ name: String, from index: inout [String: Set<String>], _ node: String) {
        index[node]?.remove(name)
        if index[node]?.isEmpty == true { index.removeValue(forKey: node) }
    }
}
