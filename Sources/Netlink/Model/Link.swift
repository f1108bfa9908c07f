import NetworkAddress

/// A network interface as the kernel reports it.
public struct Link: Hashable, Sendable, CustomStringConvertible {
    public var index: Int32
    public var name: String
    public var kind: LinkKind
    public var mtu: UInt32
    /// The Ethernet address; nil for devices without one (loopback has 00:00:00:00:00:00, tunnels have none).
    public var macAddress: MACAddress?
    /// The raw `ifi_flags` (`IFF_*`).
    public var flags: UInt32
    /// The bridge or bond this link is enslaved to (`IFLA_MASTER`).
    public var masterIndex: Int32?
    /// The lower device or veth peer (`IFLA_LINK`), when it differs from `index`; for a veth whose peer is in
    /// another namespace the index is in that namespace.
    public var parentIndex: Int32?

    public init(
        index: Int32, name: String, kind: LinkKind, mtu: UInt32, macAddress: MACAddress?, flags: UInt32,
        masterIndex: Int32? = nil, parentIndex: Int32? = nil
    ) {
        self.index = index
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.macAddress = macAddress
        self.flags = flags
        self.masterIndex = masterIndex
        self.parentIndex = parentIndex
    }

    /// Administratively up (`IFF_UP`).
    public var isUp: Bool { flags & 0x1 != 0 }
    /// The carrier is up (`IFF_LOWER_UP`).
    public var isLowerUp: Bool { flags & 0x1_0000 != 0 }

    public var description: String {
        "\(index): \(name) \(kind) mtu \(mtu)\(isUp ? " up" : "")\(isLowerUp ? " lower-up" : "")"
            + (macAddress.map { " link/ether \($0)" } ?? "")
    }
}

/// What kind of device a link is (`IFLA_INFO_KIND`), with the attributes this module reads.
public enum LinkKind: Hashable, Sendable, CustomStringConvertible {
    case veth
    case vxlan(VXLANAttributes)
    case ipip(IPIPAttributes)
    /// Any other kind, by its `IFLA_INFO_KIND` name; nil for devices without one (loopback, physical NICs).
    case other(String?)

    public var description: String {
        switch self {
        case .veth: "veth"
        case .vxlan(let attributes): "vxlan \(attributes)"
        case .ipip(let attributes): "ipip \(attributes)"
        case .other(let kind): kind ?? "device"
        }
    }
}

/// The VXLAN device attributes: what `ip -d link` shows as `vxlan id N local A dev D dstport P nolearning`.
public struct VXLANAttributes: Hashable, Sendable, CustomStringConvertible {
    /// The VXLAN network identifier.
    public var vni: UInt32
    /// The UDP destination port (4789 is the IANA port).
    public var port: UInt16
    /// The underlay device (`IFLA_VXLAN_LINK`).
    public var parentIndex: Int32?
    /// The source address of encapsulated packets.
    public var local: IPAddress?
    /// Whether the device learns remote MACs from received packets; an overlay programmed from a control plane
    /// turns this off.
    public var learning: Bool

    public init(
        vni: UInt32, port: UInt16 = 4789, parentIndex: Int32? = nil, local: IPAddress? = nil, learning: Bool = false
    ) {
        self.vni = vni
        self.port = port
        self.parentIndex = parentIndex
        self.local = local
        self.learning = learning
    }

    public var description: String {
        var text = "id \(vni)"
        if let local { text += " local \(local)" }
        if let parentIndex { text += " dev if\(parentIndex)" }
        text += " dstport \(port)"
        if !learning { text += " nolearning" }
        return text
    }
}

/// IPv4-in-IPv4 tunnel attributes. An all-default value is what `tunl0` looks like: any local and remote
/// address, TTL inherited.
public struct IPIPAttributes: Hashable, Sendable, CustomStringConvertible {
    public var local: IPv4Address?
    public var remote: IPv4Address?
    public var parentIndex: Int32?
    /// 0 inherits the inner packet's TTL.
    public var ttl: UInt8

    public init(local: IPv4Address? = nil, remote: IPv4Address? = nil, parentIndex: Int32? = nil, ttl: UInt8 = 0) {
        self.local = local
        self.remote = remote
        self.parentIndex = parentIndex
        self.ttl = ttl
    }

    public var description: String {
        let ttlText = ttl == 0 ? "inherit" : String(ttl)
        return "remote \(remote?.description ?? "any") local \(local?.description ?? "any") ttl \(ttlText)"
    }
}
