import NetworkAddress

/// A link to create (`ip link add NAME type KIND ...`).
public struct NewLink: Hashable, Sendable {
    public var name: String
    public var kind: Kind
    public var mtu: UInt32?
    public var macAddress: MACAddress?
    /// Create the device administratively up.
    public var isUp: Bool

    /// The kinds this module creates.
    public enum Kind: Hashable, Sendable {
        /// A veth pair; the peer goes to the namespace open at `peerNamespaceFD` when given.
        case veth(peerName: String, peerNamespaceFD: Int32? = nil)
        case vxlan(VXLANAttributes)
        case ipip(IPIPAttributes)

        /// The `ip link add ... type` name: "veth", "vxlan", "ipip".
        public var name: String {
            switch self {
            case .veth: "veth"
            case .vxlan: "vxlan"
            case .ipip: "ipip"
            }
        }
    }

    public init(name: String, kind: Kind, mtu: UInt32? = nil, macAddress: MACAddress? = nil, isUp: Bool = false) {
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.macAddress = macAddress
        self.isUp = isUp
    }
}

/// Changes to an existing link (`ip link set`); nil fields stay as they are.
public struct LinkChange: Hashable, Sendable, CustomStringConvertible {
    public var isUp: Bool?
    public var mtu: UInt32?
    public var macAddress: MACAddress?
    /// A new name.
    public var name: String?

    public init(isUp: Bool? = nil, mtu: UInt32? = nil, macAddress: MACAddress? = nil, name: String? = nil) {
        self.isUp = isUp
        self.mtu = mtu
        self.macAddress = macAddress
        self.name = name
    }

    /// The `ip link set` arguments: "up mtu 1450".
    public var description: String {
        var parts: [String] = []
        if let name { parts.append("name \(name)") }
        if let isUp { parts.append(isUp ? "up" : "down") }
        if let mtu { parts.append("mtu \(mtu)") }
        if let macAddress { parts.append("address \(macAddress)") }
        return parts.joined(separator: " ")
    }
}
