import CalicoAPI
import Datastore
import NetworkAddress

/// One allocated address as IPAM records it.
public struct Allocation: Sendable, Equatable {
    public var address: IPAddress
    public var handle: String?
    public var attributes: AllocationAttributes
    public var block: CIDR
    /// The node the block is affine to.
    public var blockOwner: String?
    /// The block sequence number of the allocation, for a release that must not free a reassigned address.
    public var sequenceNumber: UInt64?

    /// Allocated from a block affine to another node than the one it is for.
    public var isBorrowed: Bool {
        guard let owner = blockOwner, let node = attributes["node"] else { return false }
        return owner != node
    }
}

/// Address usage of a pool or a block.
public struct IPAMUsage: Sendable, Equatable {
    public var cidr: CIDR
    public var total: UInt64
    public var inUse: UInt64
    public var free: UInt64 { total >= inUse ? total - inUse : 0 }
    /// For blocks: the owner.
    public var owner: String?
}

/// What `ipam show` prints: per pool, and per block with `--show-blocks`.
public struct IPAMReportOfUsage: Sendable {
    public var pools: [(pool: String, usage: IPAMUsage, blocks: [IPAMUsage])]
}

extension IPAMClient {
    /// The allocation of `address`, or nil when it is free (or in no block).
    public func allocation(of address: IPAddress) async throws(IPAMError) -> Allocation? {
        for block in try await listBlocks() {
            guard let cidr = block.spec.cidr, cidr.contains(address),
                let ordinal = cidr.ordinal(of: address).map(Int.init)
            else { continue }
            guard block.spec.allocations.indices.contains(ordinal), block.spec.allocations[ordinal] != nil else {
                return nil
            }
            return Allocation(
                address: address, handle: block.spec.handle(of: ordinal),
                attributes: block.spec.attributes(of: ordinal) ?? [:], block: cidr, blockOwner: block.spec.affineNode,
                sequenceNumber: block.spec.sequenceNumber(of: ordinal))
        }
        return nil
    }

    /// Every allocation in every block.
    public func allocations() async throws(IPAMError) -> [Allocation] {
        var result: [Allocation] = []
        for block in try await listBlocks() {
            guard let cidr = block.spec.cidr else { continue }
            for ordinal in block.spec.allocations.indices where block.spec.allocations[ordinal] != nil {
                guard let address = cidr.address(at: UInt64(ordinal)) else { continue }
                result.append(
                    Allocation(
                        address: address, handle: block.spec.handle(of: ordinal),
                        attributes: block.spec.attributes(of: ordinal) ?? [:], block: cidr,
                        blockOwner: block.spec.affineNode, sequenceNumber: block.spec.sequenceNumber(of: ordinal)))
            }
        }
        return result.sorted { $0.address < $1.address }
    }

    /// Usage per pool (sorted by name), with each pool's blocks.
    public func usage() async throws(IPAMError) -> IPAMReportOfUsage {
        let pools = try await listPools().sorted { $0.metadata.name < $1.metadata.name }
        let blocks = try await listBlocks()
        var report = IPAMReportOfUsage(pools: [])
        for pool in pools {
            guard let network = pool.spec.cidr else { continue }
            let inside = blocks.filter { block in block.spec.cidr.map { network.contains($0) } ?? false }
                .sorted { ($0.spec.cidr!) < ($1.spec.cidr!) }
            let blockUsage = inside.map { block in
                IPAMUsage(
                    cidr: block.spec.cidr!, total: UInt64(block.spec.allocations.count),
                    inUse: UInt64(block.spec.inUseCount), owner: block.spec.affineNode)
            }
            let total = network.addressCount ?? UInt64.max
            let used = blockUsage.reduce(0) { $0 + $1.inUse }
            report.pools.append((pool.metadata.name, IPAMUsage(cidr: network, total: total, inUse: used), blockUsage))
        }
        return report
    }
}
