/// A Calico Node: one host of the cluster, its addresses and tunnel endpoints.
public typealias Node = Resource<NodeSpec>

public struct NodeSpec: ResourceSpec {
    public static let kind = ResourceKind.node

    public struct BGP: Codable, Sendable, Equatable {
        /// The node's IPv4 address with its subnet's prefix length (`192.0.2.10/24`): the underlay address
        /// used for tunnels and CrossSubnet decisions.
        public var ipv4Address: String?
        public var ipv6Address: String?
        public var asNumber: UInt32?
        public var ipv4IPIPTunnelAddr: String?
        public var routeReflectorClusterID: String?

        public init(ipv4Address: String? = nil) { self.ipv4Address = ipv4Address }
    }

    public struct Wireguard: Codable, Sendable, Equatable {
        public var interfaceIPv4Address: String?
        public var interfaceIPv6Address: String?
    }

    public struct OrchRef: Codable, Sendable, Equatable {
        public var nodeName: String?
        public var orchestrator: String
    }

    public struct Address: Codable, Sendable, Equatable {
        public var address: String
        public var type: String?
    }

    public var bgp: BGP?
    public var ipv4VXLANTunnelAddr: String?
    public var vxlanTunnelMACAddr: String?
    public var ipv6VXLANTunnelAddr: String?
    public var vxlanTunnelMACAddrV6: String?
    public var wireguard: Wireguard?
    public var orchRefs: [OrchRef]?
    public var addresses: [Address]?

    public init() {}

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if let bgp {
            validator.within("bgp") {
                if let cidr = validator.cidr("ipv4Address", bgp.ipv4Address), cidr.family != .v4 {
                    validator.error("ipv4Address", "\(bgp.ipv4Address!) is not an IPv4 address")
                }
                if let cidr = validator.cidr("ipv6Address", bgp.ipv6Address), cidr.family != .v6 {
                    validator.error("ipv6Address", "\(bgp.ipv6Address!) is not an IPv6 address")
                }
                validator.address("ipv4IPIPTunnelAddr", bgp.ipv4IPIPTunnelAddr, family: .v4)
                if let asNumber = bgp.asNumber, asNumber == 0 {
                    validator.error("asNumber", "must be between 1 and 4294967295")
                }
                if let clusterID = bgp.routeReflectorClusterID, IPv4Address(clusterID) == nil {
                    validator.error("routeReflectorClusterID", "must be written as an IPv4 address")
                }
            }
        }
        validator.address("ipv4VXLANTunnelAddr", ipv4VXLANTunnelAddr, family: .v4)
        validator.address("ipv6VXLANTunnelAddr", ipv6VXLANTunnelAddr, family: .v6)
        validator.mac("vxlanTunnelMACAddr", vxlanTunnelMACAddr)
        validator.mac("vxlanTunnelMACAddrV6", vxlanTunnelMACAddrV6)
        if let wireguard {
            validator.within("wireguard") {
                validator.address("interfaceIPv4Address", wireguard.interfaceIPv4Address, family: .v4)
                validator.address("interfaceIPv6Address", wireguard.interfaceIPv6Address, family: .v6)
            }
        }
        validator.each("orchRefs", orchRefs) { ref in
            if ref.orchestrator.isEmpty { validator.error("orchestrator", "must not be empty") }
        }
        validator.each("addresses", addresses) { address in
            if IPAddress(address.address) == nil && (try? CIDR(parsing: address.address)) == nil {
                validator.error("address", "\"\(address.address)\" is neither an IP address nor a CIDR")
            }
            if let type = address.type, !["CalicoNodeIP", "InternalIP", "ExternalIP"].contains(type) {
                validator.error("type", "must be CalicoNodeIP, InternalIP or ExternalIP (got \(type))")
            }
        }
    }
}
