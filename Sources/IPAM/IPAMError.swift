import CalicoAPI
import Datastore
import NetworkAddress

/// Why an IPAM operation failed.
public enum IPAMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No pool can serve the request, or every usable pool is full.
    case exhausted(pools: [String], node: String, requested: Int)
    /// No enabled pool selects this node (Calico's "no configured Calico pools for node").
    case noPools(node: String)
    /// No enabled pool of the family at all (`use` nil), or none of those selecting the node allows `use`.
    case noQualifiedPool(family: IPFamily, use: IPPoolAllowedUse?)
    /// A pool named in the request is not an enabled pool of the family.
    case poolNotUsable(String)
    /// Automatic assignment needs the node's Node resource (its labels choose the pools).
    case nodeNotFound(String)
    /// With strict affinity, an explicit address inside a block that is not affine to the node.
    case affinityMismatch(IPAddress, block: CIDR, owner: String?)
    /// The address is not inside any enabled pool.
    case notInPool(IPAddress)
    /// The address is already allocated (to `handle`).
    case inUse(IPAddress, handle: String?)
    /// The address is not allocated.
    case notAllocated(IPAddress)
    /// The release named an allocation that has since been released and handed out again.
    case staleSequenceNumber(IPAddress, given: UInt64, current: UInt64?)
    /// No allocation has this handle.
    case handleNotFound(String)
    /// The node needs a new block but already holds `maxBlocksPerHost` blocks of the family in the usable
    /// pools (Calico then does not borrow either).
    case blockLimit(node: String, limit: Int)
    /// `ipam split` refused or failed.
    case poolSplit(pool: String, reason: String)
    /// Compare-and-swap kept failing: too many writers on the same object.
    case contention(String)
    case datastore(DatastoreError)

    public var description: String {
        switch self {
        case .exhausted(let pools, let node, let requested):
            let list = pools.isEmpty ? "" : pools.joined(separator: ", ")
            return "no addresses available in pools [\(list)] for node \(node) (\(requested) requested)"
        case .noPools(let node):
            return "no configured Calico pools for node \(node)"
        case .noQualifiedPool(let family, let use):
            if let use { return "cannot find a qualified ippool, no pools match the required use (\(use.rawValue))" }
            return "cannot find a qualified ippool: no enabled IPv\(family.rawValue) pool"
        case .poolNotUsable(let pool):
            return "the given pool (\(pool)) does not exist, or is not enabled"
        case .nodeNotFound(let node):
            return "resource does not exist: Node(\(node)); automatic assignment needs the node's Node resource"
        case .affinityMismatch(let address, let block, let owner):
            return "Block host affinity does not match: \(address) is in block \(block), "
                + (owner.map { "affine to node \($0)" } ?? "which has no affinity") + ", and strictAffinity is on"
        case .notInPool(let address):
            return "\(address) is not in any enabled IP pool"
        case .inUse(let address, let handle):
            return "\(address) is already allocated" + (handle.map { " to handle \($0)" } ?? "")
        case .notAllocated(let address):
            return "\(address) is not allocated"
        case .staleSequenceNumber(let address, let given, let current):
            return "\(address) was released and reassigned since sequence number \(given)"
                + (current.map { " (now \($0))" } ?? "") + "; not released"
        case .handleNotFound(let handle):
            return "no addresses are allocated to handle \(handle)"
        case .blockLimit(let node, let limit):
            return "cannot allocate a new block for node \(node): limit of \(limit) blocks reached for this node "
                + "(maxBlocksPerHost)"
        case .poolSplit(let pool, let reason):
            return "cannot split IP pool \(pool): \(reason)"
        case .contention(let what):
            return "gave up after repeated write conflicts on \(what)"
        case .datastore(let error):
            return error.description
        }
    }
}
