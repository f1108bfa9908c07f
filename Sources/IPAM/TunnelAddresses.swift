import CalicoAPI
import Datastore
import NetworkAddress

/// A node's tunnel endpoints as IPAM keeps them in its Node resource.
public struct TunnelAddresses: Sendable, Equatable {
    public var ipip: IPAddress?
    public var vxlan: IPAddress?
    public var vxlanMAC: MACAddress?
    /// `spec.ipv6VXLANTunnelAddr`, the address of `vxlan-v6.calico`.
    public var vxlanV6: IPAddress?
    /// `spec.vxlanTunnelMACAddrV6`.
    public var vxlanMACV6: MACAddress?

    public init(
        ipip: IPAddress? = nil, vxlan: IPAddress? = nil, vxlanMAC: MACAddress? = nil, vxlanV6: IPAddress? = nil,
        vxlanMACV6: MACAddress? = nil
    ) {
        self.ipip = ipip
        self.vxlan = vxlan
        self.vxlanMAC = vxlanMAC
        self.vxlanV6 = vxlanV6
        self.vxlanMACV6 = vxlanMACV6
    }
}

/// The allocation types Calico writes in the `type` attribute of tunnel addresses.
public enum TunnelAllocationType {
    public static let ipip = "ipipTunnelAddress"
    public static let vxlan = "vxlanTunnelAddress"
    public static let vxlanV6 = "vxlanV6TunnelAddress"
}

extension IPAMClient {
    /// Makes the node's IPIP, VXLAN and IPv6 VXLAN tunnel addresses match the pools, as calico-node's
    /// `allocateip` does: an address from a `Tunnel`-use pool of that encapsulation and family that selects the
    /// node, kept while it stays valid, released when no pool needs it any more; written into the Node
    /// (`spec.bgp.ipv4IPIPTunnelAddr`, `spec.ipv4VXLANTunnelAddr` and `spec.vxlanTunnelMACAddr`,
    /// `spec.ipv6VXLANTunnelAddr` and `spec.vxlanTunnelMACAddrV6`). A MAC the Node sets is kept; otherwise it is
    /// Felix's derivation. tabbyd calls this at start-up and when pools change.
    public func ensureTunnelAddresses(node name: String) async throws(IPAMError) -> TunnelAddresses {
        for _ in 0..<retries {
            var node: Node
            do {
                node = try await datastore.get(ResourceKey(kind: .node, name: name)).as(Node.self)!
            } catch {
                throw .datastore(error)
            }
            let pools = try await listPools()
            let labels = node.metadata.labels ?? [:]
            let tunnelPools = PoolSelection.candidates(pools, family: .v4, use: .tunnel, nodeLabels: labels)
            let tunnelPoolsV6 = PoolSelection.candidates(pools, family: .v6, use: .tunnel, nodeLabels: labels)
            let ipip = try await reconcileTunnel(
                current: node.spec.bgp?.ipv4IPIPTunnelAddr, node: name, handle: IPAMNames.ipipTunnelHandle(node: name),
                type: TunnelAllocationType.ipip, pools: tunnelPools.filter { $0.spec.effectiveIPIPMode != .never })
            let vxlan = try await reconcileTunnel(
                current: node.spec.ipv4VXLANTunnelAddr, node: name, handle: IPAMNames.vxlanTunnelHandle(node: name),
                type: TunnelAllocationType.vxlan, pools: tunnelPools.filter { $0.spec.effectiveVXLANMode != .never })
            let vxlanV6 = try await reconcileTunnel(
                current: node.spec.ipv6VXLANTunnelAddr, node: name,
                handle: IPAMNames.vxlanV6TunnelHandle(node: name), type: TunnelAllocationType.vxlanV6, family: .v6,
                pools: tunnelPoolsV6.filter { $0.spec.effectiveVXLANMode != .never })
            var result = TunnelAddresses(ipip: ipip, vxlan: vxlan, vxlanV6: vxlanV6)
            result.vxlanMAC = vxlan == nil ? nil : node.spec.vxlanTunnelMACAddr ?? FelixConventions.vxlanMAC(node: name)
            result.vxlanMACV6 =
                vxlanV6 == nil ? nil : node.spec.vxlanTunnelMACAddrV6 ?? FelixConventions.vxlanMACV6(node: name)

            let before = node.spec
            if ipip != nil || node.spec.bgp != nil {
                var bgp = node.spec.bgp ?? NodeSpec.BGP()
                bgp.ipv4IPIPTunnelAddr = ipip
                node.spec.bgp = bgp
            }
            node.spec.ipv4VXLANTunnelAddr = vxlan
            node.spec.vxlanTunnelMACAddr = result.vxlanMAC
            node.spec.ipv6VXLANTunnelAddr = vxlanV6
            node.spec.vxlanTunnelMACAddrV6 = result.vxlanMACV6
            if node.spec == before { return result }
            do {
                _ = try await datastore.update(AnyResource(node))
                return result
            } catch .conflict {
                continue
            } catch {
                throw .datastore(error)
            }
        }
        throw .contention("node \(name)")
    }

    private func reconcileTunnel(
        current: IPAddress?, node: String, handle: String, type: String, family: IPFamily = .v4, pools: [IPPool]
    ) async throws(IPAMError) -> IPAddress? {
        if let address = current,
            pools.contains(where: { $0.spec.cidr?.contains(address) ?? false }),
            try await allocation(of: address)?.handle == handle
        {
            return address
        }
        do {
            try await release(handle: handle)
        } catch .handleNotFound {
        }
        guard !pools.isEmpty else { return nil }
        let addresses = try await assign(
            count: 1, handle: handle, attributes: ["node": node, "type": type], node: node, family: family,
            use: .tunnel,
            pools: pools.map(\.metadata.name))
        return addresses.first
    }
}
