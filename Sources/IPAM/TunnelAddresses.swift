import CalicoAPI
import Datastore
import NetworkAddress

/// A node's tunnel endpoints as IPAM keeps them in its Node resource.
public struct TunnelAddresses: Sendable, Equatable {
    public var ipip: IPAddress?
    public var vxlan: IPAddress?
    public var vxlanMAC: MACAddress?

    public init(ipip: IPAddress? = nil, vxlan: IPAddress? = nil, vxlanMAC: MACAddress? = nil) {
        self.ipip = ipip
        self.vxlan = vxlan
        self.vxlanMAC = vxlanMAC
    }
}

/// The allocation types Calico writes in the `type` attribute of tunnel addresses.
public enum TunnelAllocationType {
    public static let ipip = "ipipTunnelAddress"
    public static let vxlan = "vxlanTunnelAddress"
}

extension IPAMClient {
    /// Makes the node's IPIP and VXLAN tunnel addresses match the pools: an address from a `Tunnel`-use pool of
    /// that encapsulation that selects the node, kept while it stays valid, released when no pool needs it any
    /// more; written into the Node (`spec.bgp.ipv4IPIPTunnelAddr`, `spec.ipv4VXLANTunnelAddr`,
    /// `spec.vxlanTunnelMACAddr`). tabbyd calls this at start-up.
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
            let ipip = try await reconcileTunnel(
                current: node.spec.bgp?.ipv4IPIPTunnelAddr, node: name, handle: IPAMNames.ipipTunnelHandle(node: name),
                type: TunnelAllocationType.ipip, pools: tunnelPools.filter { $0.spec.effectiveIPIPMode != .never })
            let vxlan = try await reconcileTunnel(
                current: node.spec.ipv4VXLANTunnelAddr, node: name, handle: IPAMNames.vxlanTunnelHandle(node: name),
                type: TunnelAllocationType.vxlan, pools: tunnelPools.filter { $0.spec.effectiveVXLANMode != .never })
            var result = TunnelAddresses(ipip: ipip, vxlan: vxlan)
            result.vxlanMAC = vxlan == nil ? nil : node.spec.vxlanTunnelMACAddr ?? FelixConventions.vxlanMAC(node: name)

            let before = node.spec
            if ipip != nil || node.spec.bgp != nil {
                var bgp = node.spec.bgp ?? NodeSpec.BGP()
                bgp.ipv4IPIPTunnelAddr = ipip
                node.spec.bgp = bgp
            }
            node.spec.ipv4VXLANTunnelAddr = vxlan
            node.spec.vxlanTunnelMACAddr = result.vxlanMAC
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
        current: IPAddress?, node: String, handle: String, type: String, pools: [IPPool]
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
            count: 1, handle: handle, attributes: ["node": node, "type": type], node: node, use: .tunnel,
            pools: pools.map(\.metadata.name))
        return addresses.first
    }
}
