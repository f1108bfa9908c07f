import CalicoAPI
import Glibc
import Netlink
import NetworkAddress
import SystemError

/// The node address found by ``NodeIPDetection``.
public struct DetectedNodeAddress: Sendable, Equatable, CustomStringConvertible {
    /// The address with its subnet, as a Node's `spec.bgp.ipv4Address` holds it (`192.0.2.10/24`).
    public var address: CIDR
    public var interfaceName: String
    public var interfaceIndex: Int32
    /// The default route's gateway, when it has one.
    public var gateway: String?

    public var description: String { "\(address) on \(interfaceName)" }
}

/// Why no node address was found.
public struct NodeIPDetectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) { self.reason = reason }

    public var description: String {
        "cannot detect the node IP: \(reason); set it with --node-ip (like 192.0.2.10/24)"
    }
}

/// Finds this node's IPv4 address the way Calico's default `first-found` is usually meant to: the address
/// of the interface that holds the default route (like `can-reach` towards the default gateway).
public enum NodeIPDetection {
    /// Dumps the main table's IPv4 routes, the links and the addresses of `kernel`.
    public static func detect(using kernel: any Kernel) throws(NodeIPDetectionError) -> DetectedNodeAddress {
        do {
            let routes = try mainTableRoutes(kernel)
            guard let route = defaultRoute(in: routes), let index = route.outputInterface else {
                throw NodeIPDetectionError("there is no IPv4 default route in the main table")
            }
            let addresses = try kernel.addresses().filter { $0.interfaceIndex == index && $0.prefix.family == .v4 }
            let name = try kernel.links().first { $0.index == index }?.name ?? "if\(index)"
            guard let chosen = address(among: addresses, interfaceIndex: index, gateway: route.gateway) else {
                throw NodeIPDetectionError("\(name), which holds the default route, has no global IPv4 address")
            }
            return DetectedNodeAddress(
                address: chosen.prefix, interfaceName: name, interfaceIndex: index, gateway: route.gateway?.description)
        } catch let error as NodeIPDetectionError {
            throw error
        } catch {
            throw NodeIPDetectionError("netlink: \(error)")
        }
    }

    /// The main table's IPv4 routes; none when the table does not exist yet (a namespace that never had a route).
    private static func mainTableRoutes(_ kernel: any Kernel) throws(NetlinkError) -> [Route] {
        do {
            return try kernel.mainTableRoutes(family: .v4)
        } catch {
            if error.errno == Errno(ENOENT) { return [] }
            throw error
        }
    }

    /// The default route traffic takes: a unicast `0.0.0.0/0` through one interface, lowest metric first.
    static func defaultRoute(in routes: [Route]) -> Route? {
        routes.filter { $0.destination.prefixLength == 0 && $0.type == .unicast && $0.outputInterface != nil }
            .min { ($0.metric ?? 0) < ($1.metric ?? 0) }
    }

    /// The interface's global IPv4 address to use: a primary one whose subnet holds the gateway, else the
    /// first primary one, else the first secondary one.
    static func address(among addresses: [InterfaceAddress], interfaceIndex: Int32, gateway: IPAddress?)
        -> InterfaceAddress?
    {
        let candidates = addresses.filter {
            $0.interfaceIndex == interfaceIndex && $0.prefix.family == .v4 && $0.scope == .universe
        }
        let primary = candidates.filter { !$0.flags.contains(.secondary) }
        if let gateway,
            let covering = primary.first(where: { $0.prefix.contains(gateway) })
        {
            return covering
        }
        return primary.first ?? candidates.first
    }
}
