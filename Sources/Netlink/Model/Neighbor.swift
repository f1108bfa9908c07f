import NetworkAddress

/// A neighbour (ARP or NDP) entry on an interface (`ip neigh`).
public struct Neighbor: Hashable, Sendable, CustomStringConvertible {
    public var interfaceIndex: Int32
    public var address: IPAddress
    public var linkLayerAddress: MACAddress?
    public var state: NeighborState
    public var flags: NeighborFlags

    public init(
        interfaceIndex: Int32, address: IPAddress, linkLayerAddress: MACAddress?, state: NeighborState = .permanent,
        flags: NeighborFlags = []
    ) {
        self.interfaceIndex = interfaceIndex
        self.address = address
        self.linkLayerAddress = linkLayerAddress
        self.state = state
        self.flags = flags
    }

    public var description: String { describe { "if\($0)" } }

    /// "192.0.2.9 lladdr 66:e4:5a:c9:41:01 dev vxlan.calico", with interfaces named by `interfaceName`.
    public func describe(interfaceName: (Int32) -> String) -> String {
        var text = "\(address)"
        if let linkLayerAddress { text += " lladdr \(linkLayerAddress)" }
        return text + " dev \(interfaceName(interfaceIndex))"
    }
}

/// A bridge forwarding-database entry (`bridge fdb`). On a VXLAN device, an entry maps a remote VTEP's MAC
/// to the underlay address packets for it are sent to (`dst`).
public struct FDBEntry: Hashable, Sendable, CustomStringConvertible {
    public var interfaceIndex: Int32
    public var macAddress: MACAddress
    /// The remote VTEP address (`NDA_DST`).
    public var destination: IPAddress?
    /// A per-entry VNI (`NDA_VNI`); nil uses the device's.
    public var vni: UInt32?
    public var state: NeighborState
    /// `.self` programs the device's own table (`bridge fdb ... self`), not a bridge master's.
    public var flags: NeighborFlags
    /// The bridge the entry belongs to, for entries of bridge ports.
    public var masterIndex: Int32?

    public init(
        interfaceIndex: Int32, macAddress: MACAddress, destination: IPAddress? = nil, vni: UInt32? = nil,
        state: NeighborState = .permanent, flags: NeighborFlags = .`self`, masterIndex: Int32? = nil
    ) {
        self.interfaceIndex = interfaceIndex
        self.macAddress = macAddress
        self.destination = destination
        self.vni = vni
        self.state = state
        self.flags = flags
        self.masterIndex = masterIndex
    }

    public var description: String { describe { "if\($0)" } }

    /// "66:e4:5a:c9:41:0b dev vxlan.calico dst 192.0.2.7", with interfaces named by `interfaceName`.
    public func describe(interfaceName: (Int32) -> String) -> String {
        var text = "\(macAddress) dev \(interfaceName(interfaceIndex))"
        if let destination { text += " dst \(destination)" }
        if let vni { text += " vni \(vni)" }
        return text
    }
}

/// Neighbour states (`NUD_*`).
public struct NeighborState: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let incomplete = NeighborState(rawValue: 0x01)
    public static let reachable = NeighborState(rawValue: 0x02)
    public static let stale = NeighborState(rawValue: 0x04)
    public static let delay = NeighborState(rawValue: 0x08)
    public static let probe = NeighborState(rawValue: 0x10)
    public static let failed = NeighborState(rawValue: 0x20)
    public static let noARP = NeighborState(rawValue: 0x40)
    /// A static entry that never expires.
    public static let permanent = NeighborState(rawValue: 0x80)
}

/// Neighbour flags (`NTF_*`).
public struct NeighborFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let use = NeighborFlags(rawValue: 0x01)
    /// The device's own forwarding table.
    public static let `self` = NeighborFlags(rawValue: 0x02)
    /// The bridge master's forwarding table.
    public static let master = NeighborFlags(rawValue: 0x04)
    public static let proxy = NeighborFlags(rawValue: 0x08)
    public static let externallyLearned = NeighborFlags(rawValue: 0x10)
    public static let router = NeighborFlags(rawValue: 0x80)
}
