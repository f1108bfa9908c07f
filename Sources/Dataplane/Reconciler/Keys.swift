import Netlink
import NetworkAddress

/// What identifies a main-table route to the kernel: destination and metric (TOS is not used by Tabby).
/// A replace with the same key changes the route in place; another metric is another route.
struct RouteKey: Hashable, Sendable {
    var destination: CIDR
    var metric: UInt32

    init(_ route: Route) {
        destination = route.destination.masked
        metric = route.metric ?? Route.defaultMetric(route.family)
    }

    /// Two words per key instead of one `combine` per field: keys are hashed several times per route and apply.
    func hash(into hasher: inout Hasher) {
        let tail = UInt64(metric) << 8 | UInt64(destination.prefixLength)
        switch destination.address {
        case .v4(let address):
            hasher.combine(UInt64(address.value) << 40 | tail)
        case .v6(let address):
            hasher.combine(address.high)
            hasher.combine(address.low ^ tail << 24)
            hasher.combine(tail)
        }
    }
}

/// A neighbour entry's identity: interface and address.
struct NeighborKey: Hashable, Sendable {
    var interfaceIndex: Int32
    var address: IPAddress
}

/// An FDB entry's identity on a VXLAN device: MAC and remote VTEP (a MAC may have several remotes).
struct FDBKey: Hashable, Sendable {
    var interfaceIndex: Int32
    var mac: MACAddress
    var destination: IPAddress?

    init(_ entry: FDBEntry) {
        interfaceIndex = entry.interfaceIndex
        mac = entry.macAddress
        destination = entry.destination
    }
}

extension Route {
    /// The metric the kernel gives a route added without one: 0 for IPv4, 1024 for IPv6.
    static func defaultMetric(_ family: IPFamily) -> UInt32 { family == .v4 ? 0 : 1024 }

    /// The route as the kernel stores it: destination without host bits, metric explicit.
    var normalized: Route {
        var copy = self
        copy.destination = destination.masked
        copy.metric = metric ?? Route.defaultMetric(family)
        return copy
    }

    /// Whether the kernel's route already is `desired` (both normalized). For routes that are not unicast the
    /// output interface and scope are not compared: the kernel reports IPv6 blackholes on `lo`.
    func isSameRoute(as desired: Route) -> Bool {
        guard type == desired.type, `protocol` == desired.protocol, metric == desired.metric, mtu == desired.mtu,
            table == desired.table, destination == desired.destination
        else { return false }
        guard type == .unicast else { return true }
        return gateway == desired.gateway && outputInterface == desired.outputInterface && scope == desired.scope
            && isOnLink == desired.isOnLink
    }
}
