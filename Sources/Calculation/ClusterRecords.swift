import CalicoAPI
import NetworkAddress

/// What the calculation reads of an IPPool, parsed once when the pool arrives. Records hold no resource, so
/// walking them copies a few references, not whole resources.
struct PoolRecord: Sendable, Equatable {
    let name: String
    let cidr: CIDR
    let vxlanMode: EncapsulationMode
    let ipipMode: EncapsulationMode

    init?(_ pool: IPPool) {
        guard let cidr = pool.spec.cidr else { return nil }
        name = pool.metadata.name
        self.cidr = cidr.masked
        vxlanMode = pool.spec.effectiveVXLANMode
        ipipMode = pool.spec.effectiveIPIPMode
    }

    var key: ResourceKey { ResourceKey(kind: .ipPool, name: name) }
}

/// A Node with the fields the calculation reads parsed once, when it arrives.
struct NodeRecord: Sendable {
    let name: String
    /// `spec.bgp.ipv4Address`: the node IP with its subnet's prefix length.
    let ipv4: CIDR?
    let ipv6: CIDR?
    let vxlanTunnelAddress: IPAddress?
    let ipipTunnelAddress: IPAddress?
    /// The VTEP MAC: the Node's `vxlanTunnelMACAddr` when it is set, else Felix's derivation.
    let vxlanMAC: MACAddress
    /// Fields that are set but cannot be used, as `field: reason`.
    let problems: [String]

    init(_ node: Node) {
        name = node.metadata.name
        var problems: [String] = []
        // Validation rejects a Node whose addresses are of the wrong family; a record never relies on that.
        func cidr(_ field: String, _ value: CIDR?, _ family: IPFamily) -> CIDR? {
            guard let value else { return nil }
            guard value.family == family else {
                problems.append("\(field) \"\(value)\" is not an \(family) address with a prefix length")
                return nil
            }
            return value
        }
        func address(_ field: String, _ value: IPAddress?) -> IPAddress? {
            guard let value else { return nil }
            guard value.family == .v4 else {
                problems.append("\(field) \"\(value)\" is not an IPv4 address")
                return nil
            }
            return value
        }
        ipv4 = cidr("spec.bgp.ipv4Address", node.spec.bgp?.ipv4Address, .v4)
        ipv6 = cidr("spec.bgp.ipv6Address", node.spec.bgp?.ipv6Address, .v6)
        vxlanTunnelAddress = address("spec.ipv4VXLANTunnelAddr", node.spec.ipv4VXLANTunnelAddr)
        ipipTunnelAddress = address("spec.bgp.ipv4IPIPTunnelAddr", node.spec.bgp?.ipv4IPIPTunnelAddr)
        vxlanMAC = node.spec.vxlanTunnelMACAddr ?? FelixConventions.vxlanMAC(node: node.metadata.name)
        self.problems = problems
    }

    /// The node IP of a family: the address part of `bgp.ipv4Address` or `bgp.ipv6Address`.
    func address(_ family: IPFamily) -> IPAddress? {
        (family == .v4 ? ipv4 : ipv6)?.address
    }

    /// The node's subnet of a family, from the prefix length of its BGP address.
    func subnet(_ family: IPFamily) -> CIDR? {
        family == .v4 ? ipv4 : ipv6
    }

    /// The node's VXLAN tunnel endpoint, once both its tunnel address and its node IP are known.
    var vtep: RemoteVTEP? {
        guard let vxlanTunnelAddress, let underlay = ipv4?.address else { return nil }
        return RemoteVTEP(tunnelAddress: vxlanTunnelAddress, mac: vxlanMAC, nodeAddress: underlay)
    }
}

/// A node's VXLAN tunnel endpoint as other nodes see it.
struct RemoteVTEP: Sendable, Hashable {
    let tunnelAddress: IPAddress
    let mac: MACAddress
    let nodeAddress: IPAddress
}

/// An address allocated from a block to a node other than the block's affine node.
struct BorrowedAddress: Sendable, Hashable {
    let address: IPAddress
    /// The node the allocation's `node` attribute names.
    let node: String
}

/// An IPAMBlock with its CIDR, owner and borrowed addresses worked out once, when it arrives, so that
/// computing a node's routes never walks allocations.
struct BlockRecord: Sendable {
    /// The IPAMBlock resource's name.
    let name: String
    let cidr: CIDR
    /// The node of a `host:<node>` affinity; nil for an unaffine or virtual block.
    let affineNode: String?
    /// Allocations whose `node` attribute names another node than `affineNode` (every allocation with a
    /// `node` attribute when the block has no host affinity).
    let borrowed: [BorrowedAddress]

    init?(_ block: IPAMBlock) {
        guard let cidr = block.spec.cidr else { return nil }
        name = block.metadata.name
        self.cidr = cidr.masked
        let spec = block.spec
        let owner: String? =
            if let affinity = spec.affinity, affinity.hasPrefix("host:") { String(affinity.dropFirst(5)) } else { nil }
        affineNode = owner
        // Which attribute entries name another node: computed once per attribute, not per address.
        let foreignNode: [String?] = spec.attributes.map { attribute in
            guard let node = attribute.secondary?["node"], !node.isEmpty, node != owner else { return nil }
            return node
        }
        var borrowed: [BorrowedAddress] = []
        if foreignNode.contains(where: { $0 != nil }) {
            for (ordinal, index) in spec.allocations.enumerated() {
                guard let index, foreignNode.indices.contains(index), let node = foreignNode[index],
                    let address = self.cidr.address(at: UInt64(ordinal))
                else { continue }
                borrowed.append(BorrowedAddress(address: address, node: node))
            }
        }
        self.borrowed = borrowed
    }

    var key: ResourceKey { ResourceKey(kind: .ipamBlock, name: name) }
}

/// What the calculation reads of a WorkloadEndpoint, parsed once when it arrives.
struct WorkloadRecord: Sendable {
    let interface: String
    /// The endpoint's addresses; entries that are not single addresses are in `problems` instead.
    let addresses: [CIDR]
    let mac: MACAddress?
    /// Whether the endpoint lists `allowSpoofedSourcePrefixes`.
    let listsSpoofedSources: Bool
    let problems: [String]

    init(_ endpoint: WorkloadEndpoint) {
        let spec = endpoint.spec
        interface = spec.interfaceName
        var problems: [String] = []
        var addresses: [CIDR] = []
        for network in spec.ipNetworks ?? [] {
            guard network.prefixLength == network.address.bitWidth else {
                problems.append("ipNetworks entry \(network) is not a single address (/32 or /128)")
                continue
            }
            addresses.append(network)
        }
        mac = spec.mac
        self.addresses = addresses
        listsSpoofedSources = !(spec.allowSpoofedSourcePrefixes ?? []).isEmpty
        self.problems = problems
    }
}
