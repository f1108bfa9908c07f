import CalicoAPI
import Datastore
import NetworkAddress

/// Calico-compatible address management over a ``Datastore``: nodes claim blocks of their pools and hand out
/// addresses from them. Every write is a compare-and-swap, retried on conflict, so any number of processes may
/// assign and release against one datastore at once without ever handing an address out twice.
///
/// Write order (what a crash can leave behind, and `check --repair` mends):
/// - claiming a block: affinity `pending`, then the block, then the affinity `confirmed`;
/// - assigning: the handle's count first, then the block; a lost block write takes the count back;
/// - releasing: the block first, then the handle's count.
public struct IPAMClient: Sendable {
    public let datastore: any Datastore
    /// How often a compare-and-swap is retried before giving up (Calico uses 100).
    public var retries = 100

    public init(datastore: any Datastore) {
        self.datastore = datastore
    }

    // MARK: Assigning

    /// Assigns `count` addresses of `family` to `handle` on `node`: from the node's blocks, then from newly
    /// claimed blocks, then (without strict affinity) borrowed from other nodes' blocks. All or nothing: when
    /// the pools cannot supply every address, none stays allocated and ``IPAMError/exhausted`` says so.
    public func assign(
        count: Int, handle: String, attributes: AllocationAttributes = [:], node: String, family: IPFamily = .v4,
        use: IPPoolAllowedUse = .workload, pools names: [String]? = nil
    ) async throws(IPAMError) -> [IPAddress] {
        guard count > 0 else { return [] }
        let context = try await loadContext(node: node, family: family, use: use, pools: names)
        guard !context.pools.isEmpty else { throw .noPools(node: node, family: family, use: use) }
        var secondary = attributes
        if secondary["node"] == nil { secondary["node"] = node }
        var assigned: [IPAddress] = []
        do {
            try await assignFromAffineBlocks(context, count: count, handle: handle, attributes: secondary, into: &assigned)
            if assigned.count < count && context.config.effectiveAutoAllocateBlocks {
                try await assignFromNewBlocks(context, count: count, handle: handle, attributes: secondary, into: &assigned)
            }
            if assigned.count < count && !context.config.effectiveStrictAffinity {
                try await borrow(context, count: count, handle: handle, attributes: secondary, into: &assigned)
            }
        } catch {
            await rollBack(assigned, handle: handle)
            throw error
        }
        if assigned.count < count {
            await rollBack(assigned, handle: handle)
            throw .exhausted(pools: context.pools.map(\.metadata.name), node: node, requested: count)
        }
        return assigned
    }

    /// Assigns one specific address to `handle`.
    public func assign(
        address: IPAddress, handle: String, attributes: AllocationAttributes = [:], node: String
    ) async throws(IPAMError) {
        let pools = try await listPools()
        guard let pool = pools.first(where: { $0.spec.cidr?.contains(address) ?? false }) else {
            throw .notInPool(address)
        }
        let blockCIDR = try! CIDR(address: address, prefixLength: pool.spec.effectiveBlockSize).masked
        var secondary = attributes
        if secondary["node"] == nil { secondary["node"] = node }
        if try await getBlock(blockCIDR) == nil {
            // Nobody holds this block yet: claim it for the node (it may be claimed by another node meanwhile,
            // in which case the address is borrowed from that node's block).
            _ = try await claim(blockCIDR, node: node)
        }
        for _ in 0..<retries {
            guard var stored = try await getBlock(blockCIDR) else { throw .contention(IPAMNames.block(blockCIDR)) }
            guard let ordinal = blockCIDR.ordinal(of: address).map(Int.init) else { throw .notInPool(address) }
            if stored.spec.allocations.indices.contains(ordinal), stored.spec.allocations[ordinal] != nil {
                throw .inUse(address, handle: stored.spec.handle(of: ordinal))
            }
            guard stored.spec.allocate(ordinal: ordinal, handle: handle, attributes: secondary) else {
                throw .inUse(address, handle: nil)
            }
            try await changeHandle(handle, block: blockCIDR, by: 1)
            do {
                _ = try await datastore.update(AnyResource(stored))
                return
            } catch {
                try await changeHandle(handle, block: blockCIDR, by: -1)
                if case .conflict = error { continue }
                throw .datastore(error)
            }
        }
        throw .contention(IPAMNames.block(blockCIDR))
    }

    private func assignFromAffineBlocks(
        _ context: Context, count: Int, handle: String, attributes: AllocationAttributes,
        into assigned: inout [IPAddress]
    ) async throws(IPAMError) {
        for block in context.affineBlocks where assigned.count < count {
            assigned += try await allocate(
                from: block, count: count - assigned.count, handle: handle, attributes: attributes,
                affinity: "host:\(context.node)")
        }
    }

    private func assignFromNewBlocks(
        _ context: Context, count: Int, handle: String, attributes: AllocationAttributes,
        into assigned: inout [IPAddress]
    ) async throws(IPAMError) {
        var held = context.allAffinitiesOfNode
        var taken = Set(try await listBlocks().compactMap(\.spec.cidr))
        for pool in context.pools where assigned.count < count {
            while assigned.count < count {
                if held >= context.config.effectiveMaxBlocksPerHost { return }
                guard let cidr = PoolSelection.freeBlock(in: pool, node: context.node, taken: taken) else { break }
                taken.insert(cidr)
                guard try await claim(cidr, node: context.node) else { continue }
                held += 1
                assigned += try await allocate(
                    from: cidr, count: count - assigned.count, handle: handle, attributes: attributes,
                    affinity: "host:\(context.node)")
            }
        }
    }

    private func borrow(
        _ context: Context, count: Int, handle: String, attributes: AllocationAttributes,
        into assigned: inout [IPAddress]
    ) async throws(IPAMError) {
        let blocks = try await listBlocks().filter { block in
            guard let network = block.spec.cidr, block.spec.freeCount > 0, block.spec.deleted != true else {
                return false
            }
            return block.spec.affinity != "host:\(context.node)"
                && context.pools.contains { $0.spec.cidr?.contains(network) ?? false }
        }
        for block in blocks where assigned.count < count {
            guard let network = block.spec.cidr else { continue }
            assigned += try await allocate(
                from: network, count: count - assigned.count, handle: handle, attributes: attributes, affinity: nil)
        }
    }

    /// Allocates up to `count` addresses from one block (compare-and-swap, retried). With `affinity` set, only
    /// while the block still has that affinity.
    private func allocate(
        from cidr: CIDR, count: Int, handle: String, attributes: AllocationAttributes, affinity: String?
    ) async throws(IPAMError) -> [IPAddress] {
        for _ in 0..<retries {
            guard var stored = try await getBlock(cidr), stored.spec.deleted != true else { return [] }
            if let affinity, stored.spec.affinity != affinity { return [] }
            let ordinals = stored.spec.allocate(count: count, handle: handle, attributes: attributes)
            guard !ordinals.isEmpty else { return [] }
            try await changeHandle(handle, block: cidr, by: ordinals.count)
            do {
                _ = try await datastore.update(AnyResource(stored))
                return ordinals.compactMap { cidr.address(at: UInt64($0)) }
            } catch {
                try await changeHandle(handle, block: cidr, by: -ordinals.count)
                switch error {
                case .conflict: continue
                case .notFound: return []
                default: throw .datastore(error)
                }
            }
        }
        throw .contention(IPAMNames.block(cidr))
    }

    /// Claims `cidr` for `node`: affinity pending, block, affinity confirmed. False when another node got the
    /// block first.
    @discardableResult
    func claim(_ cidr: CIDR, node: String) async throws(IPAMError) -> Bool {
        let affinityName = IPAMNames.affinity(node: node, block: cidr)
        var affinity = BlockAffinity(
            name: affinityName, spec: BlockAffinitySpec(state: .pending, node: node, cidr: cidr))
        affinity.spec.type = "host"
        affinity.spec.deleted = false
        do {
            affinity = try await createOrAdopt(affinity)
        } catch {
            throw .datastore(error)
        }
        let block = IPAMBlock(
            name: IPAMNames.block(cidr),
            spec: .empty(
                cidr: cidr, affinity: "host:\(node)", claimTime: Timestamp.now(), sequenceNumber: 0))
        do {
            _ = try await datastore.create(AnyResource(block))
        } catch .alreadyExists {
            // Someone else's block (or ours from a crashed claim): adopt only if it is affine to us.
            if try await getBlock(cidr)?.spec.affinity != "host:\(node)" {
                _ = try? await datastore.delete(affinity.key, resourceVersion: affinity.metadata.resourceVersion)
                return false
            }
        } catch {
            throw .datastore(error)
        }
        return try await setAffinity(affinity.key, to: .confirmed, node: node)
    }

    /// Moves a node's affinity to `state`, re-reading it on conflict. Another process of the same node may
    /// have got there first (true); the affinity may be gone or being given back (false).
    private func setAffinity(_ key: ResourceKey, to state: BlockAffinityState, node: String) async throws(IPAMError)
        -> Bool
    {
        for _ in 0..<retries {
            do {
                guard var affinity = try await datastore.get(key).as(BlockAffinity.self), affinity.spec.node == node
                else { return false }
                if affinity.spec.state == state { return true }
                if affinity.spec.state == .pendingDeletion && state == .confirmed { return false }
                affinity.spec.state = state
                _ = try await datastore.update(AnyResource(affinity))
                return true
            } catch {
                switch error {
                case .conflict: continue
                case .notFound: return false
                default: throw .datastore(error)
                }
            }
        }
        throw .contention("affinity \(key.name)")
    }

    /// Creates a pending affinity, or takes over our own one left by an interrupted claim.
    private func createOrAdopt(_ affinity: BlockAffinity) async throws(DatastoreError) -> BlockAffinity {
        do {
            return try await datastore.create(AnyResource(affinity)).as(BlockAffinity.self)!
        } catch .alreadyExists {
            let existing = try await datastore.get(affinity.key).as(BlockAffinity.self)!
            guard existing.spec.node == affinity.spec.node else { throw .alreadyExists(affinity.key) }
            return existing
        }
    }

    // MARK: Releasing

    /// Releases every address of `handle` and forgets the handle; returns the addresses released.
    @discardableResult
    public func release(handle: String) async throws(IPAMError) -> [IPAddress] {
        let key = ResourceKey(kind: .ipamHandle, name: IPAMNames.handle(handle))
        let stored: IPAMHandle
        do {
            stored = try await datastore.get(key).as(IPAMHandle.self)!
        } catch .notFound {
            throw .handleNotFound(handle)
        } catch {
            throw .datastore(error)
        }
        var released: [IPAddress] = []
        for text in stored.spec.block.keys.sorted() {
            guard let cidr = try? CIDR(parsing: text) else { continue }
            let freed = try await releaseInBlock(cidr) { block in block.ordinals(of: handle) }
            released += freed.addresses
            if !freed.addresses.isEmpty { try await changeHandle(handle, block: cidr, by: -freed.addresses.count) }
            if freed.emptied { try await releaseIfEmpty(cidr) }
        }
        // Whatever the counts say now, the handle has no allocations left.
        do {
            _ = try await datastore.delete(key, resourceVersion: nil)
        } catch .notFound {
        } catch {
            throw .datastore(error)
        }
        return released
    }

    /// Releases one address. With `sequenceNumber`, only if it is still the allocation made then (a stale
    /// release never frees an address that was handed out again). Returns the handle it was allocated to.
    @discardableResult
    public func release(address: IPAddress, sequenceNumber: UInt64? = nil) async throws(IPAMError) -> String? {
        guard let block = try await listBlocks().first(where: { $0.spec.cidr?.contains(address) ?? false }),
            let cidr = block.spec.cidr, let ordinal = cidr.ordinal(of: address).map(Int.init)
        else { throw .notAllocated(address) }
        var handle: String?
        var failure: IPAMError?
        let freed = try await releaseInBlock(cidr) { spec in
            guard spec.allocations.indices.contains(ordinal), spec.allocations[ordinal] != nil else {
                failure = .notAllocated(address)
                return []
            }
            if let sequenceNumber, spec.sequenceNumber(of: ordinal) != sequenceNumber {
                failure = .staleSequenceNumber(address, given: sequenceNumber, current: spec.sequenceNumber(of: ordinal))
                return []
            }
            handle = spec.handle(of: ordinal)
            return [ordinal]
        }
        if let failure { throw failure }
        if let handle { try await changeHandle(handle, block: cidr, by: -1) }
        if freed.emptied { try await releaseIfEmpty(cidr) }
        return handle
    }

    /// Frees the ordinals `select` picks in a block, with compare-and-swap.
    private func releaseInBlock(_ cidr: CIDR, select: (IPAMBlockSpec) -> [Int]) async throws(IPAMError)
        -> (addresses: [IPAddress], emptied: Bool)
    {
        for _ in 0..<retries {
            guard var stored = try await getBlock(cidr) else { return ([], false) }
            let ordinals = select(stored.spec)
            let freed = stored.spec.release(ordinals: ordinals)
            guard !freed.isEmpty else { return ([], false) }
            do {
                _ = try await datastore.update(AnyResource(stored))
                return (freed.compactMap { cidr.address(at: UInt64($0)) }, stored.spec.isEmpty)
            } catch .conflict {
                continue
            } catch .notFound {
                return ([], false)
            } catch {
                throw .datastore(error)
            }
        }
        throw .contention(IPAMNames.block(cidr))
    }

    /// Gives up a node's claim on an empty block, unless it is the node's last block. The block is deleted
    /// only if nothing was allocated from it since it was seen empty (compare-and-swap on the block).
    func releaseIfEmpty(_ cidr: CIDR) async throws(IPAMError) {
        guard let block = try await getBlock(cidr), block.spec.isEmpty, let node = block.spec.affineNode else { return }
        let affinities = try await listAffinities().filter { $0.spec.node == node && $0.spec.state == .confirmed }
        guard affinities.count > 1,
            var affinity = affinities.first(where: { $0.spec.cidr == cidr })
        else { return }
        do {
            affinity.spec.state = .pendingDeletion
            affinity = try await datastore.update(AnyResource(affinity)).as(BlockAffinity.self)!
            do {
                _ = try await datastore.delete(block.key, resourceVersion: block.metadata.resourceVersion)
            } catch .conflict {
                // Someone allocated from it meanwhile: keep the claim.
                try await restoreAffinity(affinity.key, node: node)
                return
            }
            _ = try await datastore.delete(affinity.key, resourceVersion: affinity.metadata.resourceVersion)
        } catch .conflict {
            return
        } catch .notFound {
            return
        } catch {
            throw .datastore(error)
        }
    }

    /// Puts back an affinity that was marked for deletion, whatever else changed it meanwhile.
    private func restoreAffinity(_ key: ResourceKey, node: String) async throws(DatastoreError) {
        for _ in 0..<retries {
            do {
                guard var affinity = try await datastore.get(key).as(BlockAffinity.self) else { return }
                guard affinity.spec.state == .pendingDeletion else { return }
                affinity.spec.state = .confirmed
                _ = try await datastore.update(AnyResource(affinity))
                return
            } catch .conflict {
                continue
            }
        }
    }

    private func rollBack(_ addresses: [IPAddress], handle: String) async {
        for address in addresses {
            _ = try? await release(address: address)
        }
    }

    // MARK: Handles

    /// Adds `delta` to the handle's count for `block`, creating or deleting the handle as needed.
    func changeHandle(_ handle: String, block: CIDR, by delta: Int) async throws(IPAMError) {
        let key = ResourceKey(kind: .ipamHandle, name: IPAMNames.handle(handle))
        for _ in 0..<retries {
            do {
                var stored: IPAMHandle
                do {
                    stored = try await datastore.get(key).as(IPAMHandle.self)!
                } catch .notFound {
                    guard delta > 0 else { return }
                    var created = IPAMHandle(name: key.name, spec: IPAMHandleSpec(handleID: handle))
                    created.spec.block = [block.description: delta]
                    created.spec.deleted = false
                    _ = try await datastore.create(AnyResource(created))
                    return
                }
                let count = (stored.spec.block[block.description] ?? 0) + delta
                stored.spec.block[block.description] = count > 0 ? count : nil
                if stored.spec.block.isEmpty {
                    _ = try await datastore.delete(key, resourceVersion: stored.metadata.resourceVersion)
                } else {
                    _ = try await datastore.update(AnyResource(stored))
                }
                return
            } catch .conflict {
                continue
            } catch .alreadyExists {
                continue
            } catch .notFound {
                continue
            } catch {
                throw .datastore(error)
            }
        }
        throw .contention("handle \(handle)")
    }

    // MARK: Reading

    struct Context {
        var node: String
        var pools: [IPPool]
        var config: IPAMConfigurationSpec
        /// The node's confirmed blocks in the candidate pools, in order.
        var affineBlocks: [CIDR]
        /// How many blocks the node holds in any pool (for maxBlocksPerHost).
        var allAffinitiesOfNode: Int
    }

    func loadContext(node: String, family: IPFamily, use: IPPoolAllowedUse, pools names: [String]?)
        async throws(IPAMError) -> Context
    {
        let labels = try await nodeLabels(node)
        let pools = PoolSelection.candidates(
            try await listPools(), family: family, use: use, nodeLabels: labels, names: names)
        let affinities = try await listAffinities().filter { $0.spec.node == node && $0.spec.deleted != true }
        let affine = affinities.filter { $0.spec.state == .confirmed }.compactMap(\.spec.cidr)
            .filter { block in pools.contains { $0.spec.cidr?.contains(block) ?? false } }.sorted()
        return Context(
            node: node, pools: pools, config: try await configuration(), affineBlocks: affine,
            allAffinitiesOfNode: affinities.count)
    }

    /// The cluster's IPAM configuration (Calico's defaults when there is none).
    public func configuration() async throws(IPAMError) -> IPAMConfigurationSpec {
        do {
            let stored = try await datastore.get(ResourceKey(kind: .ipamConfiguration, name: "default"))
            return stored.as(IPAMConfiguration.self)?.spec ?? IPAMConfigurationSpec()
        } catch .notFound {
            return IPAMConfigurationSpec()
        } catch {
            throw .datastore(error)
        }
    }

    func nodeLabels(_ node: String) async throws(IPAMError) -> Labels {
        do {
            return try await datastore.get(ResourceKey(kind: .node, name: node)).metadata.labels ?? [:]
        } catch .notFound {
            return [:]
        } catch {
            throw .datastore(error)
        }
    }

    func listPools() async throws(IPAMError) -> [IPPool] { try await list(.ipPool, IPPool.self) }
    func listBlocks() async throws(IPAMError) -> [IPAMBlock] { try await list(.ipamBlock, IPAMBlock.self) }
    func listAffinities() async throws(IPAMError) -> [BlockAffinity] {
        try await list(.blockAffinity, BlockAffinity.self)
    }
    func listHandles() async throws(IPAMError) -> [IPAMHandle] { try await list(.ipamHandle, IPAMHandle.self) }

    private func list<R: CalicoResource>(_ kind: ResourceKind, _ type: R.Type) async throws(IPAMError) -> [R] {
        do {
            return try await datastore.list(kind, namespace: nil).resources.compactMap { $0.as(R.self) }
        } catch {
            throw .datastore(error)
        }
    }

    func getBlock(_ cidr: CIDR) async throws(IPAMError) -> IPAMBlock? {
        do {
            return try await datastore.get(ResourceKey(kind: .ipamBlock, name: IPAMNames.block(cidr)))
                .as(IPAMBlock.self)
        } catch .notFound {
            return nil
        } catch {
            throw .datastore(error)
        }
    }
}
