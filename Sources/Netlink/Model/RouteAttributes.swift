/// A route type (`rtm_type`): what the kernel does with a packet that matches.
public struct RouteType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unicast = RouteType(rawValue: 1)
    public static let local = RouteType(rawValue: 2)
    public static let broadcast = RouteType(rawValue: 3)
    public static let anycast = RouteType(rawValue: 4)
    public static let multicast = RouteType(rawValue: 5)
    public static let blackhole = RouteType(rawValue: 6)
    public static let unreachable = RouteType(rawValue: 7)
    public static let prohibit = RouteType(rawValue: 8)
    public static let `throw` = RouteType(rawValue: 9)

    public var description: String {
        let names = [
            1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole",
            7: "unreachable", 8: "prohibit", 9: "throw",
        ]
        return names[Int(rawValue)] ?? "type \(rawValue)"
    }
}

/// A route or address scope (`rtm_scope`, `ifa_scope`): how far the destination is.
public struct RouteScope: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let universe = RouteScope(rawValue: 0)
    public static let site = RouteScope(rawValue: 200)
    public static let link = RouteScope(rawValue: 253)
    public static let host = RouteScope(rawValue: 254)
    /// On a delete request: match a route of any scope.
    public static let nowhere = RouteScope(rawValue: 255)

    public var description: String {
        let names = [0: "global", 200: "site", 253: "link", 254: "host", 255: "nowhere"]
        return names[Int(rawValue)] ?? "scope \(rawValue)"
    }
}

/// Who installed a route (`rtm_protocol`). Owners mark their routes with their own number and list or
/// flush by it.
public struct RouteProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// On a dump or delete: any protocol.
    public static let unspecified = RouteProtocol(rawValue: 0)
    public static let redirect = RouteProtocol(rawValue: 1)
    public static let kernel = RouteProtocol(rawValue: 2)
    /// What `ip route add` uses when no protocol is given.
    public static let boot = RouteProtocol(rawValue: 3)
    public static let `static` = RouteProtocol(rawValue: 4)

    public var description: String {
        let names = [0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static"]
        return names[Int(rawValue)] ?? String(rawValue)
    }
}

/// A routing table id. Ids above 255 travel in `RTA_TABLE`; this module always sends it.
public struct RouteTable: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// On a dump: every table.
    public static let unspecified = RouteTable(rawValue: 0)
    public static let `default` = RouteTable(rawValue: 253)
    public static let main = RouteTable(rawValue: 254)
    public static let local = RouteTable(rawValue: 255)

    public var description: String {
        let names: [UInt32: String] = [253: "default", 254: "main", 255: "local"]
        return names[rawValue] ?? String(rawValue)
    }
}
