import CalicoAPI
import NetworkAddress

/// Which pools may serve a request, and in which order a node walks a pool's blocks.
public enum PoolSelection {
    /// Pools usable for `use` by a node with `nodeLabels`, of `family`: enabled, allowing the use, selecting the
    /// node, and (when `names` is given) named in it. Manual pools are used only when named. Sorted by name.
    public static func candidates(
        _ pools: [IPPool], family: IPFamily, use: IPPoolAllowedUse, nodeLabels: Labels, names: [String]? = nil
    ) -> [IPPool] {
        pools.filter { pool in
            let spec = pool.spec
            guard let network = spec.cidr, network.family == family, !spec.isDisabled,
                spec.effectiveAllowedUses.contains(use)
            else { return false }
            if let names {
                guard names.contains(pool.metadata.name) || names.contains(network.description) else { return false }
            } else if spec.assignmentMode == .manual {
                return false
            }
            let selector = (try? Selector(parsing: spec.nodeSelector ?? "all()")) ?? Selector.all
            return selector.matches(nodeLabels)
        }.sorted { $0.metadata.name < $1.metadata.name }
    }

    /// The block index a node starts its search at in a pool: a stable hash of the node name, so nodes spread
    /// over the pool instead of all racing for its first block.
    public static func startIndex(node: String, blockCount: UInt64) -> UInt64 {
        guard blockCount > 0 else { return 0 }
        return UInt64(FNV1a.hash32(node)) % blockCount
    }

    /// The first block of `pool` (walking from the node's start index, wrapping once) that is not in `taken`.
    public static func freeBlock(in pool: IPPool, node: String, taken: Set<CIDR>) -> CIDR? {
        guard let network = pool.spec.cidr else { return nil }
        let blockSize = pool.spec.effectiveBlockSize
        let count = network.subnetCount(prefixLength: blockSize) ?? UInt64.max
        let start = startIndex(node: node, blockCount: count)
        // Every candidate that is not free is a taken block, so this ends after at most taken.count + 1 steps.
        var step: UInt64 = 0
        while step < count && step <= UInt64(taken.count) {
            let index = start &+ step < count ? start &+ step : start &+ step &- count
            if let block = network.subnet(at: index, prefixLength: blockSize), !taken.contains(block) {
                return block
            }
            step += 1
        }
        return nil
    }
}
