import CalicoAPI

/// An IPPool with its CIDR parsed once, when it arrives.
struct PoolRecord: Sendable {
    let pool: IPPool
    let cidr: CIDR

    init?(_ pool: IPPool) {
        guard let cidr = try? CIDR(parsing: pool.spec.cidr) else { return nil }
        self.pool = pool
        self.cidr = cidr.masked
    }

    var vxlanMode: EncapsulationMode { pool.spec.effectiveVXLANMode }
    var ipipMode: EncapsulationMode { pool.spec.effectiveIPIPMode }
}

/// A Node with the fields the calculation reads parsed once, when it arrives.
struct NodeRecord: Sendable {
    let node: Node
    /// `spec.bgp.ipv4Address`: the node IP with its subnet's prefix length.
    let ipv4: CIDR?
    let ipv6: CIDR?
    let vxlanTunnelAddress: IPAddress?
    let ipipTunnelAddress: IPAddress?
    /// The VTEP MAC: the Node's `vxlanTunnelMACAddr` when it is a valid MAC, else Felix's derivation.
    let vxlanMAC: String
    /// Fields that are set but cannot be used, as `field: reason`.
    let problems: [String]

    init(_ node: Node) {
        self.node = node
        var problems: [String] = []
        func cidr(_ field: String, _ text: String?, _ family: IPFamily) -> CIDR? {
            guard let text else { return nil }
            guard let value = try? CIDR(parsing: text), value.family == family else {
                problems.append("\(field) \"\(text)\" is not an \(family) address with a prefix length")
                return nil
            }
            return value
        }
        func address(_ field: String, _ text: String?) -> IPAddress? {
            guard let text else { return nil }
            guard let value = IPAddress(text), value.family == .v4 else {
                problems.append("\(field) \"\(text)\" is not an IPv4 address")
                return nil
            }
            return value
        }
        ipv4 = cidr("spec.bgp.ipv4Address", node.spec.bgp?.ipv4Address, .v4)
        ipv6 = cidr("spec.bgp.ipv6Address", node.spec.bgp?.ipv6Address, .v6)
        vxlanTunnelAddress = address("spec.ipv4VXLANTunnelAddr", node.spec.ipv4VXLANTunnelAddr)
        ipipTunnelAddress = address("spec.bgp.ipv4IPIPTunnelAddr", node.spec.bgp?.ipv4IPIPTunnelAddr)
        if let text = node.spec.vxlanTunnelMACAddr {
            if let mac = MACAddressText.normalized(text) {
                vxlanMAC = mac
            } else {
                problems.append("spec.vxlanTunnelMACAddr \"\(text)\" is not a MAC address; using the derived one")
                vxlanMAC = FelixConventions.vxlanMAC(node: node.metadata.name)
            }
        } else {
            vxlanMAC = FelixConventions.vxlanMAC(node: node.metadata.name)
        }
        self.problems = problems
    }

    var name: String { node.metadata.name }

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
    let mac: String
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
    let block: IPAMBlock
    let cidr: CIDR
    /// The node of a `host:<node>` affinity; nil for an unaffine or virtual block.
    let affineNode: String?
    /// Allocations whose `node` attribute names another node than `affineNode` (every allocation with a
    /// `node` attribute when the block has no host affinity).
    let borrowed: [BorrowedAddress]

    init?(_ block: IPAMBlock) {
        guard let cidr = try? CIDR(parsing: block.spec.cidr) else { return nil }
        self.block = block
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

    var name: String { block.metadata.name }
}

/// MAC address text as the kernel prints it: six lowercase hex pairs joined by colons.
enum MACAddressText {
    /// The MAC in canonical form, or nil when `text` is not six hex pairs separated by `:` or `-`.
    static func normalized(_ text: String) -> String? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let pairs = parts.count == 6 ? parts : text.split(separator: "-", omittingEmptySubsequences: false)
        guard pairs.count == 6, pairs.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }) else {
            return nil
        }
        return pairs.map { $0.lowercased() }.joined(separator: ":")
    }
}
