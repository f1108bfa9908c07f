import Netlink
import NetworkAddress

/// Which kernel routes are Tabby's (DESIGN.md rule 4, Felix's main-table ownership policy). Only owned routes
/// that are not desired are ever deleted; everything else is left byte for byte.
struct OwnershipPolicy: Sendable, Hashable {
    /// Felix's `DefaultRouteProto`: always Tabby's.
    static let tabbyProtocol = RouteProtocol(80)

    /// Protocols that are Tabby's wherever the route points: 80, and a custom `deviceRouteProtocol`.
    let exclusiveProtocols: Set<RouteProtocol>
    /// Protocols of routes on workload interfaces that are Tabby's when external routes are not removed.
    let workloadProtocols: Set<RouteProtocol>
    let workloadInterfacePrefixes: [String]
    let deviceNames: Set<String>
    let removeExternalRoutes: Bool

    init(_ configuration: DataplaneReconciler.Configuration) {
        let device = RouteProtocol(configuration.deviceRouteProtocol)
        exclusiveProtocols = device == .boot ? [Self.tabbyProtocol] : [Self.tabbyProtocol, device]
        workloadProtocols = exclusiveProtocols.union([.boot])
        workloadInterfacePrefixes = configuration.workloadInterfacePrefixes
        deviceNames = Set(configuration.deviceNames)
        removeExternalRoutes = configuration.removeExternalRoutes
    }

    func isWorkloadInterface(_ name: String) -> Bool {
        workloadInterfacePrefixes.contains { name.hasPrefix($0) }
    }

    /// Whether a main-table route is Tabby's; `interfaceName` is the name of its output interface, if any.
    ///
    /// Routes the kernel derives from an interface address (protocol kernel) and IPv6 link-local routes
    /// belong to the kernel even on Tabby's interfaces: Tabby manages the addresses, not their routes.
    func owns(_ route: Route, interfaceName: String?) -> Bool {
        guard route.table == .main, route.protocol != .kernel, !route.destination.isIPv6LinkLocal else { return false }
        if exclusiveProtocols.contains(route.protocol) { return true }
        guard let interfaceName else { return false }
        if deviceNames.contains(interfaceName) { return true }
        if isWorkloadInterface(interfaceName) {
            return removeExternalRoutes || workloadProtocols.contains(route.protocol)
        }
        return false
    }
}

extension CIDR {
    /// Inside fe80::/10.
    var isIPv6LinkLocal: Bool {
        guard case .v6(let address) = address, prefixLength >= 10 else { return false }
        return address.high >> 54 == 0x3fa
    }
}
