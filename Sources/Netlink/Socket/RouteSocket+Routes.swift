import CMnl
import NetworkAddress

extension RouteSocket {
    /// The routes of a family, filtered by the kernel (strict dump checking) by table, protocol and device;
    /// `.unspecified` and nil mean "any". Cached (cloned) routes are not included.
    public func routes(
        family: IPFamily, table: RouteTable = .unspecified, protocol: RouteProtocol = .unspecified,
        outputInterface: Int32? = nil
    ) throws(NetlinkError) -> [Route] {
        var operation: String {
            "route list \(family.kernelName) table \(table == .unspecified ? "all" : table.description) "
                + "proto \(`protocol`)"
        }
        return try dump(type: MessageType.getRoute, operation: operation) { message in
            var header = rtmsg()
            header.rtm_family = family.kernelFamily
            header.rtm_table = table.rawValue < 256 ? UInt8(table.rawValue) : 0
            header.rtm_protocol = `protocol`.rawValue
            message.putFamilyHeader(header)
            if table.rawValue >= 256 { message.put(RouteAttribute.table, u32: table.rawValue) }
            if let oif = outputInterface { message.put(RouteAttribute.outputInterface, u32: UInt32(bitPattern: oif)) }
        } decode: { message in
            message.type == MessageType.newRoute ? Route(routePayload: message.payload) : nil
        }
    }

    /// Adds a route; `EEXIST` when one with the same key exists.
    public func addRoute(_ route: Route) throws(NetlinkError) { try perform(.addRoute(route)) }

    /// Adds or replaces a route.
    public func replaceRoute(_ route: Route) throws(NetlinkError) { try perform(.replaceRoute(route)) }

    /// Deletes a route; `ESRCH` when none matches.
    public func deleteRoute(_ route: Route) throws(NetlinkError) { try perform(.deleteRoute(route)) }
}
