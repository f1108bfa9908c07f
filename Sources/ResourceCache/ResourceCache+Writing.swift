import NetworkAddress
import CalicoAPI

// Writing, kind by kind. Each writer returns the delta, or nil when the stored content is already the same.

extension ResourceCache {
    private mutating func markUnusable(_ key: ResourceKey, _ reason: String, previous: AnyResource?)
        -> ResourceDelta?
    {
        let known = unusable.updateValue(reason, forKey: key) == reason
        if known && previous == nil { return nil }
        return ResourceDelta(key: key, change: .removed, previous: previous, current: nil)
    }

    private func delta(_ key: ResourceKey, previous: AnyResource?, current: AnyResource) -> ResourceDelta {
        ResourceDelta(key: key, change: previous == nil ? .added : .updated, previous: previous, current: current)
    }

    mutating func upsertPool(_ pool: IPPool) -> ResourceDelta? {
        let name = pool.metadata.name
        if pools[name]?.resource == pool { return nil }
        guard let record = PoolRecord(pool) else {
            let removed = removePool(name).map(AnyResource.init)
            return markUnusable(pool.key, "spec.cidr is missing", previous: removed)
        }
        unusable.removeValue(forKey: pool.key)
        let previous = pools.updateValue(record, forKey: name)
        rebuildPoolOrder()
        return delta(pool.key, previous: previous.map { AnyResource($0.resource) }, current: AnyResource(pool))
    }

    mutating func removePool(_ name: String) -> IPPool? {
        guard let old = pools.removeValue(forKey: name) else { return nil }
        rebuildPoolOrder()
        return old.resource
    }

    private mutating func rebuildPoolOrder() {
        poolsBySpecificity = pools.values.sorted {
            ($0.cidr.prefixLength, $0.name) > ($1.cidr.prefixLength, $1.name)
        }
    }

    mutating func upsertNode(_ node: Node) -> ResourceDelta? {
        let name = node.metadata.name
        if nodes[name]?.resource == node { return nil }
        let previous = nodes.updateValue(NodeRecord(node), forKey: name)
        return delta(node.key, previous: previous.map { AnyResource($0.resource) }, current: AnyResource(node))
    }

    mutating func upsertBlock(_ block: IPAMBlock) -> ResourceDelta? {
        let name = block.metadata.name
        // Readers ignore soft-deleted blocks (Calico's two-step delete).
        if block.spec.deleted == true { return remove(block.key) }
        if let cidr = blockCIDRByName[name], blocks[cidr]?.resource == block { return nil }
        guard let record = BlockRecord(block) else {
            let removed = removeBlock(name).map(AnyResource.init)
            return markUnusable(block.key, "spec.cidr is missing", previous: removed)
        }
        unusable.removeValue(forKey: block.key)
        let previous = removeBlock(name)
        blockCIDRByName[name] = record.cidr
        blocks[record.cidr] = record
        return delta(block.key, previous: previous.map(AnyResource.init), current: AnyResource(block))
    }

    mutating func removeBlock(_ name: String) -> IPAMBlock? {
        guard let cidr = blockCIDRByName.removeValue(forKey: name) else { return nil }
        // Another resource may have claimed the CIDR since; only drop the record this name put there.
        guard blocks[cidr]?.name == name else { return nil }
        return blocks.removeValue(forKey: cidr)?.resource
    }

    mutating func upsertWorkload(_ endpoint: WorkloadEndpoint) -> ResourceDelta? {
        let key = endpoint.key
        let node = endpoint.spec.node
        var previous: WorkloadEndpoint?
        if let oldNode = workloadNode[key] {
            previous = workloadsByNode[oldNode]?[key]?.resource
            if previous == endpoint { return nil }
            if oldNode != node { detachWorkload(key, from: oldNode) }
        }
        workloadNode[key] = node
        workloadsByNode[node, default: [:]][key] = WorkloadRecord(endpoint)
        return delta(key, previous: previous.map(AnyResource.init), current: AnyResource(endpoint))
    }

    mutating func removeWorkload(_ key: ResourceKey) -> WorkloadEndpoint? {
        guard let node = workloadNode.removeValue(forKey: key) else { return nil }
        return detachWorkload(key, from: node)
    }

    @discardableResult
    private mutating func detachWorkload(_ key: ResourceKey, from node: String) -> WorkloadEndpoint? {
        let old = workloadsByNode[node]?.removeValue(forKey: key)
        if workloadsByNode[node]?.isEmpty == true { workloadsByNode.removeValue(forKey: node) }
        return old?.resource
    }

    mutating func upsertHostEndpoint(_ endpoint: HostEndpoint) -> ResourceDelta? {
        let name = endpoint.metadata.name
        let old = hostEndpoints[name]
        if old?.resource == endpoint { return nil }
        if let old, old.node != endpoint.spec.node {
            Self.removeName(name, from: &hostEndpointNamesByNode, old.node)
        }
        hostEndpoints[name] = HostEndpointRecord(endpoint)
        hostEndpointNamesByNode[endpoint.spec.node, default: []].insert(name)
        return delta(endpoint.key, previous: old.map { AnyResource($0.resource) }, current: AnyResource(endpoint))
    }

    mutating func removeHostEndpoint(_ name: String) -> HostEndpoint? {
        guard let old = hostEndpoints.removeValue(forKey: name) else { return nil }
        Self.removeName(name, from: &hostEndpointNamesByNode, old.node)
        return old.resource
    }

    mutating func upsertFelixConfiguration(_ configuration: FelixConfiguration) -> ResourceDelta? {
        let previous = felixConfigurations.updateValue(configuration, forKey: configuration.metadata.name)
        if previous == configuration { return nil }
        return delta(configuration.key, previous: previous.map(AnyResource.init), current: AnyResource(configuration))
    }

    mutating func upsertPlain(_ resource: AnyResource) -> ResourceDelta? {
        let previous = plain[resource.kind, default: [:]].updateValue(resource, forKey: resource.key)
        if previous == resource { return nil }
        return delta(resource.key, previous: previous, current: resource)
    }

    private static func removeName(_ name: String, from index: inout [String: Set<String>], _ node: String) {
        index[node]?.remove(name)
        if index[node]?.isEmpty == true { index.removeValue(forKey: node) }
    }
}
