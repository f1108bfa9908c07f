import Calculation
import CalicoAPI
import Netlink
import NetworkAddress

extension DataplaneReconciler {
    /// What the calculation needs to know of this node's kernel, from the reconciler's view (dumped first if a
    /// resync is pending): the interfaces that exist, Felix's host MTU (the smallest MTU of the up interfaces
    /// whose names match `mtuInterfacePattern`, 1460 when none does), and the interface holding `nodeAddress`.
    public func environment(nodeAddress: IPAddress?, mtuInterfacePattern: String) throws(NetlinkError)
        -> NodeEnvironment
    {
        if isResyncPending { try resync() }
        let links = view.links.values
        var hostMTU: Int?
        for link in links where link.isUp && mtuInterfaceMatcher.matches(link.name, pattern: mtuInterfacePattern) {
            hostMTU = min(hostMTU ?? Int(link.mtu), Int(link.mtu))
        }
        var underlay: String?
        if let address = nodeAddress {
            for (index, addresses) in view.addresses where addresses.keys.contains(where: { $0.address == address }) {
                underlay = view.name(of: index)
            }
        }
        return NodeEnvironment(
            interfaces: Set(links.map(\.name)), hostMTU: hostMTU ?? 1460, underlayInterface: underlay)
    }
}
