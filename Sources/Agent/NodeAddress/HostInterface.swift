import Dataplane
import Netlink
import NetworkAddress

/// An interface and its addresses of one family, as node-address detection sees the host.
struct HostInterface: Sendable, Equatable {
    var name: String
    var index: Int32
    /// The addresses with their subnets, host bits kept (`192.0.2.10/24`), in the kernel's order.
    var addresses: [CIDR]

    /// The interfaces of `kernel` with their `family` addresses, in the order calico-node searches them: the
    /// highest interface index first (calico-node walks the system's list backwards).
    static func list(from kernel: any Kernel, family: IPFamily) throws(NetlinkError) -> [HostInterface] {
        let addresses = try kernel.addresses().filter { $0.prefix.family == family }
        return try kernel.links().sorted { $0.index > $1.index }.map { link in
            HostInterface(
                name: link.name, index: link.index,
                addresses: addresses.filter { $0.interfaceIndex == link.index }.map(\.prefix))
        }
    }
}

/// Where the kernel would send traffic from: the source address of the route to a destination.
protocol RouteSourceLookup {
    /// The local address a connected UDP socket to `destination` gets (no packet is sent).
    func sourceAddress(toward destination: IPAddress) throws(NodeAddressError) -> IPAddress
}

extension NetlinkKernel: RouteSourceLookup {
    func sourceAddress(toward destination: IPAddress) throws(NodeAddressError) -> IPAddress {
        guard let namespace else { return try RouteSource.connectedSource(toward: destination) }
        let result: Result<IPAddress, NodeAddressError>
        do {
            result = try namespace.perform {
                Result { () throws(NodeAddressError) in try RouteSource.connectedSource(toward: destination) }
            }
        } catch {
            throw NodeAddressError("cannot enter the network namespace \(namespace.path): \(error)")
        }
        return try result.get()
    }
}
