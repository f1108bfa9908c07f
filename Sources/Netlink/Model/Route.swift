import NetworkAddress

/// A route in one of the kernel's routing tables.
public struct Route: Hashable, Sendable, CustomStringConvertible {
    /// The destination; the kernel refuses IPv4 destinations with host bits set.
    public var destination: CIDR
    /// The next hop; nil for a device route.
    public var gateway: IPAddress?
    /// The output interface index (`RTA_OIF`).
    public var outputInterface: Int32?
    public var scope: RouteScope
    public var `protocol`: RouteProtocol
    public var table: RouteTable
    /// The route priority (`RTA_PRIORITY`); nil lets the kernel choose (0 for IPv4, 1024 for IPv6), and dumps
    /// report what it chose.
    public var metric: UInt32?
    public var type: RouteType
    /// `onlink`: the gateway is reachable on the device even without a covering prefix there.
    public var isOnLink: Bool
    /// The path MTU metric (`RTAX_MTU`).
    public var mtu: UInt32?

    /// A route. A nil `scope` picks what `ip route` would: link scope for an IPv4 unicast route without a
    /// gateway, host scope for local routes, universe otherwise.
    public init(
        destination: CIDR, gateway: IPAddress? = nil, outputInterface: Int32? = nil, scope: RouteScope? = nil,
        protocol: RouteProtocol = .boot, table: RouteTable = .main, metric: UInt32? = nil, type: RouteType = .unicast,
        isOnLink: Bool = false, mtu: UInt32? = nil
    ) {
        self.destination = destination
        self.gateway = gateway
        self.outputInterface = outputInterface
        self.protocol = `protocol`
        self.table = table
        self.metric = metric
        self.type = type
        self.isOnLink = isOnLink
        self.mtu = mtu
        self.scope = scope ?? Route.defaultScope(family: destination.family, type: type, hasGateway: gateway != nil)
    }

    public var family: IPFamily { destination.family }

    static func defaultScope(family: IPFamily, type: RouteType, hasGateway: Bool) -> RouteScope {
        guard family == .v4 else { return .universe }
        switch type {
        case .local: return .host
        case .broadcast, .multicast, .anycast: return .link
        case .unicast: return hasGateway ? .universe : .link
        default: return .universe
        }
    }

    /// `ip route` style, with the interface shown by index; operations and errors name the device.
    public var description: String { describe { "if\($0)" } }

    /// `ip route` style with interfaces named by `interfaceName`: "10.0.1.0/26 via 192.0.2.2 dev vxlan.calico
    /// proto 80 onlink". The protocol is left out when it is `boot`, the metric when it is the family's default.
    public func describe(interfaceName: (Int32) -> String) -> String {
        var text = type == .unicast ? destination.description : "\(type) \(destination)"
        if let gateway { text += " via \(gateway)" }
        if let outputInterface { text += " dev \(interfaceName(outputInterface))" }
        if table != .main { text += " table \(table)" }
        if `protocol` != .boot { text += " proto \(`protocol`)" }
        if let metric, metric != (family == .v4 ? 0 : 1024) { text += " metric \(metric)" }
        if isOnLink { text += " onlink" }
        if let mtu { text += " mtu \(mtu)" }
        return text
    }
}
