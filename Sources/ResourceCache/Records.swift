import CalicoAPI
import NetworkAddress

// What the calculations read of each resource, interpreted once, when the resource arrives. Route calculation
// and policy calculation read the same records, so that they never disagree about a resource.

/// An IPPool with its CIDR and encapsulation worked out.
public struct PoolRecord: Sendable, Equatable {
    public let resource: IPPool
    public let cidr: CIDR
    public let vxlanMode: EncapsulationMode
    public let ipipMode: EncapsulationMode
    public var natOutgoing: Bool { resource.spec.natOutgoing ?? false }
    public var name: String { resource.metadata.name }

    init?(_ pool: IPPool) {
        guard let cidr = pool.spec.cidr else { return nil }
        resource = pool
        self.cidr = cidr.masked
        vxlanMode = pool.spec.effectiveVXLANMode
        ipipMode = pool.spec.effectiveIPIPMode
    }

    public var key: ResourceKey { resource.key }
}

/// A Node with its addresses parsed.
public struct NodeRecord: Sendable, Equatable {
    public let resource: Node
    /// `spec.bgp.ipv4Address`: the node IP with its subnet's prefix length.
    public let ipv4: CIDR?
    public let ipv6: CIDR?
    public let vxlanTunnelAddress: IPAddress?
    /// `spec.ipv6VXLANTunnelAddr`: the address of `vxlan-v6.calico`.
    public let vxlanTunnelAddressV6: IPAddress?
    public let ipipTunnelAddress: IPAddress?
    /// The VTEP MAC: the Node's `vxlanTunnelMACAddr` when it is set, else Felix's derivation.
    public let vxlanMAC: MACAddress
    /// The IPv6 VTEP MAC: `vxlanTunnelMACAddrV6` when it is set, else Felix's derivation (from the name + "-v6").
    public let vxlanMACV6: MACAddress
    /// Fields that are set but cannot be used, as `field: reason`.
    public let problems: [String]

    public var name: String { resource.metadata.name }

    init(_ node: Node) {
        resource = node
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
        func address(_ field: String, _ value: IPAddress?, _ family: IPFamily = .v4) -> IPAddress? {
            guard let value else { return nil }
            guard value.family == family else {
                problems.append("\(field) \"\(value)\" is not an \(family) address")
                return nil
            }
            return value
        }
        ipv4 = cidr("spec.bgp.ipv4Address", node.spec.bgp?.ipv4Address, .v4)
        ipv6 = cidr("spec.bgp.ipv6Address", node.spec.bgp?.ipv6Address, .v6)
        vxlanTunnelAddress = address("spec.ipv4VXLANTunnelAddr", node.spec.ipv4VXLANTunnelAddr)
        vxlanTunnelAddressV6 = address("spec.ipv6VXLANTunnelAddr", node.spec.ipv6VXLANTunnelAddr, .v6)
        ipipTunnelAddress = address("spec.bgp.ipv4IPIPTunnelAddr", node.spec.bgp?.ipv4IPIPTunnelAddr)
        vxlanMAC = node.spec.vxlanTunnelMACAddr ?? FelixConventions.vxlanMAC(node: node.metadata.name)
        vxlanMACV6 = node.spec.vxlanTunnelMACAddrV6 ?? FelixConventions.vxlanMACV6(node: node.metadata.name)
        self.problems = problems
    }

    /// The node IP of a family: the address part of `bgp.ipv4Address` or `bgp.ipv6Address`.
    public func address(_ family: IPFamily) -> IPAddress? {
        (family == .v4 ? ipv4 : ipv6)?.address
    }

    /// The node's subnet of a family, from the prefix length of its BGP address.
    public func subnet(_ family: IPFamily) -> CIDR? {
        family == .v4 ? ipv4 : ipv6
    }

    /// The node's addresses as host prefixes (what policy treats as host networks).
    public var hostAddresses: [CIDR] {
        [ipv4, ipv6].compactMap { $0.map { CIDR(host: $0.address) } }
    }

    /// The node's VXLAN tunnel endpoint, once both its tunnel address and its node IP are known.
    public var vtep: RemoteVTEP? { vtep(.v4) }

    /// The node's VXLAN tunnel endpoint of a family (`vxlan.calico` or `vxlan-v6.calico`), once both the tunnel
    /// address and the node address of that family are known, as Felix's VXLAN resolver requires.
    public func vtep(_ family: IPFamily) -> RemoteVTEP? {
        let tunnelAddress = family == .v4 ? vxlanTunnelAddress : vxlanTunnelAddressV6
        guard let tunnelAddress, let underlay = address(family) else { return nil }
        return RemoteVTEP(
            tunnelAddress: tunnelAddress, mac: family == .v4 ? vxlanMAC : vxlanMACV6, nodeAddress: underlay)
    }
}

/// A node's VXLAN tunnel endpoint as other nodes see it.
public struct RemoteVTEP: Sendable, Hashable {
    public let tunnelAddress: IPAddress
    public let mac: MACAddress
    public let nodeAddress: IPAddress
}

/// An address allocated from a block to a node other than the block's affine node.
public struct BorrowedAddress: Sendable, Hashable {
    public let address: IPAddress
    /// The node the allocation's `node` attribute names.
    public let node: String
}

/// An IPAMBlock with its CIDR, owner and borrowed addresses worked out once, when it arrives, so that
/// computing a node's routes never walks allocations.
public struct BlockRecord: Sendable, Equatable {
    public let resource: IPAMBlock
    public let cidr: CIDR
    /// The node of a `host:<node>` affinity; nil for an unaffine or virtual block.
    public let affineNode: String?
    /// Allocations whose `node` attribute names another node than `affineNode` (every allocation with a
    /// `node` attribute when the block has no host affinity).
    public let borrowed: [BorrowedAddress]

    /// The IPAMBlock resource's name.
    public var name: String { resource.metadata.name }

    init?(_ block: IPAMBlock) {
        guard let cidr = block.spec.cidr else { return nil }
        resource = block
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

    public var key: ResourceKey { resource.key }
}

/// A WorkloadEndpoint with its addresses and MAC parsed.
public struct WorkloadRecord: Sendable, Equatable {
    public let resource: WorkloadEndpoint
    /// The endpoint's addresses, each a single address (/32 or /128); entries that are not are in `problems`
    /// instead, and neither routes nor policy use them.
    public let addresses: [CIDR]
    public let mac: MACAddress?
    public let problems: [String]

    public var key: ResourceKey { resource.key }
    public var node: String { resource.spec.node }
    public var interface: String { resource.spec.interfaceName }
    public var profiles: [String] { resource.spec.profiles ?? [] }
    /// Whether the endpoint lists `allowSpoofedSourcePrefixes`.
    public var listsSpoofedSources: Bool { !(resource.spec.allowSpoofedSourcePrefixes ?? []).isEmpty }

    init(_ endpoint: WorkloadEndpoint) {
        resource = endpoint
        let spec = endpoint.spec
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
        self.problems = problems
    }
}

/// A HostEndpoint with its expected addresses parsed.
public struct HostEndpointRecord: Sendable, Equatable {
    public let resource: HostEndpoint
    /// `expectedIPs` as host prefixes.
    public let addresses: [CIDR]

    public var key: ResourceKey { resource.key }
    public var name: String { resource.metadata.name }
    public var node: String { resource.spec.node }
    /// The interface, or "" when the endpoint names none (it then covers the addresses only).
    public var interface: String { resource.spec.interfaceName ?? "" }
    public var profiles: [String] { resource.spec.profiles ?? [] }

    init(_ endpoint: HostEndpoint) {
        resource = endpoint
        addresses = (endpoint.spec.expectedIPs ?? []).map { CIDR(host: $0) }
    }
}
