import CalicoAPI
import Datastore
import NetworkAddress

/// Why an IPAM operation failed.
public enum IPAMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No pool can serve the request, or every usable pool is full.
    case exhausted(pools: [String], node: String, requested: Int)
    /// No enabled pool of the family allows this use and selects this node.
    case noPools(node: String, family: IPFamily, use: IPPoolAllowedUse)
    /// The address is not inside any pool.
    case notInPool(IPAddress)
    /// The address is already allocated (to `handle`).
    case inUse(IPAddress, handle: String?)
    /// The address is not allocated.
    case notAllocated(IPAddress)
    /// The release named an allocation that has since been released and handed out again.
    case staleSequenceNumber(IPAddress, given: UInt64, current: UInt64?)
    /// No allocation has this handle.
    case handleNotFound(String)
    /// The node already holds `maxBlocksPerHost` blocks and cannot claim another.
    case blockLimit(node: String, limit: Int)
    /// Compare-and-swap kept failing: too many writers on the same object.
    case contention(String)
    case datastore(DatastoreError)

    public var description: String {
        switch self {
        case .exhausted(let pools, let node, let requested):
            let list = pools.isEmpty ? "" : pools.joined(separator: ", ")
            return "no addresses available in pools [\(list)] for node \(node) (\(requested) requested)"
        case .noPools(let node, let family, let use):
            return "no enabled IPv\(family.rawValue) pool allows \(use.rawValue) addresses for node \(node)"
        case .notInPool(let address):
            return "\(address) is not in any IP pool"
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
            return "node \(node) already holds the maximum of \(limit) blocks (maxBlocksPerHost)"
        case .contention(let what):
            return "gave up after repeated write conflicts on \(what)"
        case .datastore(let error):
            return error.description
        }
    }
}
