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
    /// claimed blocks, then (without strict affinity) borrowed from other nodes' blocks. The node's Node must
    /// exist (its labels choose the pools); pools named in `names` are used whatever their nodeSelector. Empty
    /// blocks of the node in pools that no longer select it are given back first. All or nothing: when the
    /// pools cannot supply every address, none stays allocated and ``IPAMError/exhausted`` says so.
    public func assign(
        count: Int, handle: String, attributes: AllocationAttributes = [:], node: String, family: IPFamily = .v4,
        use: IPPoolAllowedUse = .workload, pools names: [String]? = nil
    ) async throws(IPAMError) -> [IPAddress] {
        guard count > 0 else { return [] }
        let context = try await loadContext(node: node, family: family, use: use, pools: names)
        var secondary = attributes
        if secondary["node"] == nil { secondary["node"] = node }
        var assigned: [IPAddress] = []
        do {
            try await assignFromAffineBlocks(
                context, count: count, handle: handle, attributes: secondary, into: &assigned)
            if assigned.count < count && context.config.effectiveAutoAllocateBlocks {
                try await assignFromNewBlocks(
                    context, count: count, handle: handle, attributes: secondary, into: &assigned)
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

    /// Assigns one specific address of an enabled pool to `handle`, claiming its block for `node` when nobody
    /// holds it. With strict affinity, an address in another node's block is refused.
    public func assign(
        address: IPAddress, handle: String, attributes: AllocationAttributes = [:], node: String
    ) async throws(IPAMError) {
        let pools = PoolSelection.enabledPools(try await listPools(), family: address.family)
        guard let pool = pools.first(where: { $0.spec.cidr?.contains(address) ?? false }) else {
            throw .notInPool(address)
        }
        let strict = try await configuration().effectiveStrictAffinity
        var secondary = attributes
        if secondary["node"] == nil { secondary["node"] = node }
        // The block that holds the address, whatever its size; else the pool's block for it, claimed for the
        // node (another node may claim it meanwhile: then the address is in that node's block).
        var blockCIDR = try await blockHolding(address)
        if blockCIDR == nil {
            let cidr = try! CIDR(address: address, prefixLength: pool.spec.effectiveBlockSize).masked
            _ = try await claim(cidr, node: node)
            blockCIDR = try await blockHolding(address)
        }
        guard let blockCIDR else { throw .contention("the block of \(address)") }
        for _ in 0..<retries {
            guard var stored = try await getBlock(blockCIDR) else { throw .contention(IPAMNames.block(blockCIDR)) }
            if strict && stored.spec.affinity != "host:\(node)" {
                throw .affinityMismatch(address, block: blockCIDR, owner: stored.spec.affineNode)
            }
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
        var held = context.heldBlocks
        var existing = try await listBlocks().compactMap(\.spec.cidr)
        for pool in context.pools where assigned.count < count {
            while assigned.count < count {
                let limit = context.config.effectiveMaxBlocksPerHost
                if held >= limit { throw .blockLimit(node: context.node, limit: limit) }
                guard let cidr = PoolSelection.freeBlock(in: pool, node: context.node, existing: existing) else {
                    break
                }
                existing.append(cidr)
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
        } catch .invalid(let key, let errors) {
            // The datastore refuses a block overlapping another one (of another size, or claimed meanwhile).
            _ = try? await datastore.delete(affinity.key, resourceVersion: affinity.metadata.resourceVersion)
            let overlapping = try await listBlocks().contains { $0.spec.cidr.map(cidr.overlaps) ?? false }
            if overlapping { return false }
            throw .datastore(.invalid(key, errors))
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
            if freed.emptied { try await releaseIfUnselected(cidr) }
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
                failure = .staleSequenceNumber(
                    address, given: sequenceNumber, current: spec.sequenceNumber(of: ordinal))
                return []
            }
            handle = spec.handle(of: ordinal)
            return [ordinal]
        }
        if let failure { throw failure }
        if let handle { try await changeHandle(handle, block: cidr, by: -1) }
        if freed.emptied { try await releaseIfUnselected(cidr) }
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

    /// Gives up a node's claim on an empty block whose enabled pool no longer selects the node, as Calico
    /// does; an empty block otherwise stays affine to its node. A block whose node has no Node resource, or
    /// that is in no enabled pool, is kept. The block is deleted only if nothing was allocated from it since
    /// it was seen empty (compare-and-swap on the block).
    func releaseIfUnselected(_ cidr: CIDR) async throws(IPAMError) {
        guard let block = try await getBlock(cidr), block.spec.isEmpty, let node = block.spec.affineNode,
            let labels = try await nodeLabels(node),
            let pool = PoolSelection.enabledPools(try await listPools(), family: cidr.family)
                .first(where: { $0.spec.cidr?.contains(cidr) ?? false }),
            !PoolSelection.selects(pool, nodeLabels: labels)
        else { return }
        let affinities = try await listAffinities().filter { $0.spec.node == node && $0.spec.state == .confirmed }
        guard var affinity = affinities.first(where: { $0.spec.cidr == cidr }) else { return }
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
        /// The pools the request may use.
        var pools: [IPPool]
        var config: IPAMConfigurationSpec
        /// The node's confirmed blocks in those pools, in order.
        var affineBlocks: [CIDR]
        /// How many blocks of the family the node holds in those pools (what maxBlocksPerHost limits).
        var heldBlocks: Int
    }

    /// What an automatic assignment works from. Gives back, on the way, the node's empty blocks in enabled
    /// pools that no longer select it.
    func loadContext(node: String, family: IPFamily, use: IPPoolAllowedUse, pools names: [String]?)
        async throws(IPAMError) -> Context
    {
        guard let labels = try await nodeLabels(node) else { throw .nodeNotFound(node) }
        let allPools = try await listPools()
        let (selecting, pools) = try PoolSelection.usable(
            allPools, family: family, use: use, node: node, nodeLabels: labels, names: names)
        func inAny(_ list: [IPPool], _ block: CIDR) -> Bool { list.contains { $0.spec.cidr?.contains(block) ?? false } }
        var affinities = try await listAffinities().filter { affinity in
            affinity.spec.node == node && affinity.spec.deleted != true && affinity.spec.state != .pendingDeletion
                && affinity.spec.cidr?.family == family
        }
        let enabled = PoolSelection.enabledPools(allPools, family: family)
        var released = false
        for affinity in affinities {
            guard let block = affinity.spec.cidr, !inAny(pools, block), !inAny(selecting, block),
                let pool = enabled.first(where: { $0.spec.cidr?.contains(block) ?? false }),
                !PoolSelection.selects(pool, nodeLabels: labels)
            else { continue }
            try await releaseIfUnselected(block)
            released = true
        }
        if released {
            affinities = try await listAffinities().filter { affinity in
                affinity.spec.node == node && affinity.spec.deleted != true
                    && affinity.spec.state != .pendingDeletion && affinity.spec.cidr?.family == family
            }
        }
        let held = affinities.compactMap { affinity in affinity.spec.cidr.map { (affinity, $0) } }
            .filter { inAny(pools, $0.1) }
        let affine = held.filter { $0.0.spec.state == .confirmed }.map(\.1).sorted()
        return Context(
            node: node, pools: pools, config: try await configuration(), affineBlocks: affine,
            heldBlocks: held.count)
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

    /// The labels of the node's Node resource; nil when it has none.
    func nodeLabels(_ node: String) async throws(IPAMError) -> Labels? {
        do {
            return try await datastore.get(ResourceKey(kind: .node, name: node)).metadata.labels ?? [:]
        } catch .notFound {
            return nil
        } catch {
            throw .datastore(error)
        }
    }

    /// The block (of any size) that holds `address`, if any.
    func blockHolding(_ address: IPAddress) async throws(IPAMError) -> CIDR? {
        try await listBlocks().compactMap(\.spec.cidr).first { $0.contains(address) }
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
