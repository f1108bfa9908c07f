import CalicoAPI
import NetworkAddress

/// Which pools may serve a request, and in which order a node walks a pool's blocks.
public enum PoolSelection {
    /// The pools an automatic assignment may use, as Calico decides them: the enabled pools of `family`;
    /// of those, the ones named in `names` (by name or CIDR) whatever their `nodeSelector` (Calico keeps this
    /// for compatibility), or else the `Automatic` ones that select the node; of those, the ones allowing
    /// `use`. Each step that leaves nothing fails with Calico's error for it. Sorted by name.
    public static func usable(
        _ pools: [IPPool], family: IPFamily, use: IPPoolAllowedUse, node: String, nodeLabels: Labels,
        names: [String]? = nil
    ) throws(IPAMError) -> (selectingNode: [IPPool], allowedByUse: [IPPool]) {
        let enabled = enabledPools(pools, family: family)
        guard !enabled.isEmpty else { throw .noQualifiedPool(family: family, use: nil) }
        var selecting: [IPPool]
        if let names, !names.isEmpty {
            selecting = []
            for name in names {
                guard let pool = enabled.first(where: { $0.metadata.name == name || $0.spec.cidr?.description == name })
                else { throw .poolNotUsable(name) }
                if !selecting.contains(where: { $0.metadata.name == pool.metadata.name }) { selecting.append(pool) }
            }
            selecting.sort { $0.metadata.name < $1.metadata.name }
        } else {
            selecting = enabled.filter { $0.spec.assignmentMode != .manual && selects($0, nodeLabels: nodeLabels) }
        }
        guard !selecting.isEmpty else { throw .noPools(node: node) }
        let allowed = selecting.filter { $0.spec.effectiveAllowedUses.contains(use) }
        guard !allowed.isEmpty else { throw .noQualifiedPool(family: family, use: use) }
        return (selecting, allowed)
    }

    /// Pools usable for `use` by a node with `nodeLabels`, of `family`, without naming any: enabled,
    /// `Automatic`, allowing the use and selecting the node. Sorted by name.
    public static func candidates(
        _ pools: [IPPool], family: IPFamily, use: IPPoolAllowedUse, nodeLabels: Labels
    ) -> [IPPool] {
        enabledPools(pools, family: family).filter { pool in
            pool.spec.assignmentMode != .manual && pool.spec.effectiveAllowedUses.contains(use)
                && selects(pool, nodeLabels: nodeLabels)
        }
    }

    /// The enabled pools of `family` (with a CIDR), sorted by name.
    public static func enabledPools(_ pools: [IPPool], family: IPFamily) -> [IPPool] {
        pools.filter { pool in
            guard let network = pool.spec.cidr else { return false }
            return network.family == family && !pool.spec.isDisabled
        }.sorted { $0.metadata.name < $1.metadata.name }
    }

    /// Whether the pool's `nodeSelector` (all nodes when unset) matches the node's labels.
    public static func selects(_ pool: IPPool, nodeLabels: Labels) -> Bool {
        let selector = (try? Selector(parsing: pool.spec.nodeSelector ?? "all()")) ?? Selector.all
        return selector.matches(nodeLabels)
    }

    /// The block index a node starts its search at in a pool: a stable hash of the node name, so nodes spread
    /// over the pool instead of all racing for its first block.
    public static func startIndex(node: String, blockCount: UInt64) -> UInt64 {
        guard blockCount > 0 else { return 0 }
        return UInt64(FNV1a.hash32(node)) % blockCount
    }

    /// The first block of `pool` (walking from the node's start index, wrapping once) that overlaps none of
    /// the `existing` blocks, whatever their size: a block left by an earlier pool of another block size
    /// covers every candidate inside it, so no address is ever in two blocks.
    public static func freeBlock(in pool: IPPool, node: String, existing: [CIDR]) -> CIDR? {
        guard let network = pool.spec.cidr?.masked else { return nil }
        let blockSize = pool.spec.effectiveBlockSize
        let count = network.subnetCount(prefixLength: blockSize) ?? UInt64.max
        let taken = TakenBlocks(network: network, blockSize: blockSize, existing: existing)
        let start = startIndex(node: node, blockCount: count)
        // Every candidate that is not free is covered, so this ends after at most taken.bound + 1 steps.
        var step: UInt64 = 0
        while step < count && step <= taken.bound {
            let index = start &+ step < count ? start &+ step : start &+ step &- count
            if let block = network.subnet(at: index, prefixLength: blockSize), !taken.covers(block) {
                return block
            }
            step += 1
        }
        return nil
    }
}

/// The existing blocks that overlap a pool, arranged to tell quickly whether a candidate block of the pool's
/// block size overlaps one of them.
struct TakenBlocks {
    /// Candidates holding an existing block of the block size or smaller.
    private var holding: Set<CIDR> = []
    /// Existing blocks larger than the block size (a pool's blockSize changed under them).
    private var larger: [CIDR] = []
    /// At most how many candidates are covered.
    private(set) var bound: UInt64 = 0

    init(network: CIDR, blockSize: Int, existing: [CIDR]) {
        for block in existing where block.overlaps(network) {
            if block.prefixLength >= blockSize {
                if let candidate = try? CIDR(address: block.networkAddress, prefixLength: blockSize).masked,
                    holding.insert(candidate).inserted
                {
                    bound += 1
                }
            } else {
                larger.append(block)
                // Block sizes span at most 12 bits (IPv4 /20-/32, IPv6 /116-/128).
                bound += UInt64(1) << UInt64(min(blockSize - max(block.prefixLength, network.prefixLength), 12))
            }
        }
    }

    func covers(_ candidate: CIDR) -> Bool {
        holding.contains(candidate) || larger.contains { $0.overlaps(candidate) }
    }
}
