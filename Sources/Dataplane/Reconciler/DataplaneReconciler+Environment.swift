import Calculation
import CalicoAPI
import Netlink
import NetworkAddress

extension DataplaneReconciler {
    /// What the calculation needs to know of this node's kernel, from the reconciler's view (dumped first if a
    /// resync is pending): the interfaces that exist, Felix's host MTU (the smallest MTU of the up interfaces
    /// whose names match `mtuInterfacePattern`, 1460 when none does), and the interfaces holding `nodeAddress`
    /// and `nodeAddressV6` (the Node's `bgp.ipv6Address`).
    public func environment(
        nodeAddress: IPAddress?, nodeAddressV6: IPAddress? = nil, mtuInterfacePattern: String
    ) throws(NetlinkError) -> NodeEnvironment {
        if isResyncPending { try resync() }
        let links = view.links.values
        var hostMTU: Int?
        for link in links where link.isUp && mtuInterfaceMatcher.matches(link.name, pattern: mtuInterfacePattern) {
            hostMTU = min(hostMTU ?? Int(link.mtu), Int(link.mtu))
        }
        return NodeEnvironment(
            interfaces: Set(links.map(\.name)), hostMTU: hostMTU ?? 1460,
            underlayInterface: interface(holding: nodeAddress), underlayInterfaceV6: interface(holding: nodeAddressV6))
    }

    /// The interface that has `address` assigned, if any.
    private func interface(holding address: IPAddress?) -> String? {
        guard let address else { return nil }
        var holder: String?
        for (index, addresses) in view.addresses where addresses.keys.contains(where: { $0.address == address }) {
            holder = view.name(of: index)
        }
        return holder
    }
}
