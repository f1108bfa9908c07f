import CalicoAPI
import NetworkAddress

/// Calico's rules for writing address ranges that need what is already stored, checked by every datastore
/// inside its write (under the file datastore's lock), so that two writers cannot both pass them:
///
/// - an IPPool's `cidr` and `blockSize` never change once it exists (Calico's docs migrate to a new pool);
/// - an IPPool never overlaps another IPPool;
/// - a new IPPool is refused while blocks of another size overlap it (left behind by a deleted pool);
/// - an IPAMBlock is never created overlapping another block, of any size.
///
/// Together they keep every address in at most one block, so no address can be handed out twice.
package enum PoolWriteRules {
    /// Whether a write of `kind` depends on the other stored pools and blocks, so that a datastore must read
    /// them and make the write atomic with that read: every IPPool write, and an IPAMBlock create only (a block's
    /// CIDR is its name, so an update cannot move it onto another block).
    package static func dependsOnStored(_ kind: ResourceKind, creating: Bool) -> Bool {
        kind == .ipPool || (kind == .ipamBlock && creating)
    }

    /// Checks `resource` (validated, defaults applied) before it replaces `stored` (nil for a create).
    /// `storedResources` lists what is stored of a kind; it is called only for the kinds these rules concern.
    package static func check(
        _ resource: AnyResource, replacing stored: AnyResource?,
        storedResources: (ResourceKind) throws(DatastoreError) -> [AnyResource]
    ) throws(DatastoreError) {
        let errors: [ResourceError]
        switch resource.kind {
        case .ipPool:
            guard let pool = resource.as(IPPool.self) else { return }
            errors = try poolProblems(pool, replacing: stored?.as(IPPool.self), storedResources: storedResources)
        case .ipamBlock:
            guard stored == nil, let block = resource.as(IPAMBlock.self) else { return }
            errors = blockProblems(block, blocks: try storedResources(.ipamBlock).compactMap { $0.as(IPAMBlock.self) })
        default:
            return
        }
        if !errors.isEmpty { throw .invalid(resource.key, errors) }
    }

    private static func poolProblems(
        _ pool: IPPool, replacing stored: IPPool?,
        storedResources: (ResourceKind) throws(DatastoreError) -> [AnyResource]
    ) throws(DatastoreError) -> [ResourceError] {
        guard let network = pool.spec.cidr?.masked else { return [] }
        var errors: [ResourceError] = []
        func error(_ field: String, _ reason: String) {
            errors.append(
                ResourceError(
                    kind: ResourceKind.ipPool.rawValue, name: pool.metadata.name, field: field, reason: reason))
        }
        if let stored, let before = stored.spec.cidr {
            if before.masked != network {
                error(
                    "spec.cidr",
                    "IPPool CIDR cannot be modified (stored: \(before), given: \(network)); create a new pool and "
                        + "migrate to it instead")
            }
            if stored.spec.effectiveBlockSize != pool.spec.effectiveBlockSize {
                error(
                    "spec.blockSize",
                    "IPPool BlockSize cannot be modified (stored: \(stored.spec.effectiveBlockSize), given: "
                        + "\(pool.spec.effectiveBlockSize)); create a new pool and migrate to it instead")
            }
            if !errors.isEmpty { return errors }
        }
        for other in try storedResources(.ipPool).compactMap({ $0.as(IPPool.self) })
        where other.metadata.name != pool.metadata.name {
            guard let otherNetwork = other.spec.cidr, otherNetwork.overlaps(network) else { continue }
            error(
                "spec.cidr",
                "IPPool(\(pool.metadata.name)) CIDR overlaps with IPPool(\(other.metadata.name)) CIDR \(otherNetwork)")
        }
        if stored == nil {
            let blockSize = pool.spec.effectiveBlockSize
            let conflicting = try storedResources(.ipamBlock).compactMap { $0.as(IPAMBlock.self)?.spec.cidr }
                .filter { $0.family == network.family && $0.prefixLength != blockSize && $0.overlaps(network) }
                .sorted()
            if let first = conflicting.first {
                error(
                    "spec.blockSize",
                    "IPPool blockSize \(blockSize) conflicts with existing allocations that use a different "
                        + "blockSize (block \(first)"
                        + (conflicting.count > 1 ? " and \(conflicting.count - 1) more" : "")
                        + "); release them or use blockSize \(first.prefixLength)")
            }
        }
        return errors
    }

    private static func blockProblems(_ block: IPAMBlock, blocks: [IPAMBlock]) -> [ResourceError] {
        guard let network = block.spec.cidr else { return [] }
        return blocks.compactMap { other -> ResourceError? in
            guard other.metadata.name != block.metadata.name, let otherNetwork = other.spec.cidr,
                otherNetwork.overlaps(network)
            else { return nil }
            return ResourceError(
                kind: ResourceKind.ipamBlock.rawValue, name: block.metadata.name, field: "spec.cidr",
                reason: "block \(network) overlaps existing block \(otherNetwork) (\(other.metadata.name)); "
                    + "an address may be in one block only")
        }
    }
}
