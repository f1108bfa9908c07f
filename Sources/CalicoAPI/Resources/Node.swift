import NetworkAddress

/// A Calico Node: one host of the cluster, its addresses and tunnel endpoints.
public typealias Node = Resource<NodeSpec>

public struct NodeSpec: ResourceSpec {
    public static let kind = ResourceKind.node

    public struct BGP: Codable, Sendable, Equatable {
        /// The node's IPv4 address with its subnet's prefix length (`192.0.2.10/24`): the underlay address
        /// used for tunnels and CrossSubnet decisions.
        public var ipv4Address: CIDR?
        public var ipv6Address: CIDR?
        public var asNumber: UInt32?
        public var ipv4IPIPTunnelAddr: IPAddress?
        /// Written as an IPv4 address but an identifier, not an address; kept as text.
        public var routeReflectorClusterID: String?

        public init(ipv4Address: CIDR? = nil) { self.ipv4Address = ipv4Address }

        private enum CodingKeys: String, CodingKey {
            case ipv4Address, ipv6Address, asNumber, ipv4IPIPTunnelAddr, routeReflectorClusterID
        }

        /// Decodes the spec; an address without a prefix length stands for its /32 or /128, as Calico takes it.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func address(_ key: CodingKeys) throws -> CIDR? {
                guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
                guard let network = IPNetwork(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: container, debugDescription: CIDRText.invalid(text))
                }
                return network.cidr
            }
            ipv4Address = try address(.ipv4Address)
            ipv6Address = try address(.ipv6Address)
            asNumber = try container.decodeIfPresent(UInt32.self, forKey: .asNumber)
            ipv4IPIPTunnelAddr = try container.decodeIfPresent(IPAddress.self, forKey: .ipv4IPIPTunnelAddr)
            routeReflectorClusterID = try container.decodeIfPresent(String.self, forKey: .routeReflectorClusterID)
        }
    }

    public struct Wireguard: Codable, Sendable, Equatable {
        public var interfaceIPv4Address: IPAddress?
        public var interfaceIPv6Address: IPAddress?
    }

    public struct OrchRef: Codable, Sendable, Equatable {
        public var nodeName: String?
        public var orchestrator: String
    }

    public struct Address: Codable, Sendable, Equatable {
        /// An IP address or a CIDR.
        public var address: IPNetwork
        public var type: String?

        public init(address: IPNetwork, type: String? = nil) {
            self.address = address
            self.type = type
        }

        private enum CodingKeys: String, CodingKey { case address, type }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            address = try IPNetwork(from: try container.superDecoder(forKey: .address)) {
                "\"\($0)\" is neither an IP address nor a CIDR"
            }
            type = try container.decodeIfPresent(String.self, forKey: .type)
        }
    }

    public var bgp: BGP?
    public var ipv4VXLANTunnelAddr: IPAddress?
    public var vxlanTunnelMACAddr: MACAddress?
    public var ipv6VXLANTunnelAddr: IPAddress?
    public var vxlanTunnelMACAddrV6: MACAddress?
    public var wireguard: Wireguard?
    public var orchRefs: [OrchRef]?
    public var addresses: [Address]?

    public init() {}

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if let bgp {
            validator.within("bgp") {
                if let cidr = bgp.ipv4Address, cidr.family != .v4 {
                    validator.error("ipv4Address", "\(cidr) is not an IPv4 address")
                }
                if let cidr = bgp.ipv6Address, cidr.family != .v6 {
                    validator.error("ipv6Address", "\(cidr) is not an IPv6 address")
                }
                validator.family("ipv4IPIPTunnelAddr", bgp.ipv4IPIPTunnelAddr, .v4)
                if let asNumber = bgp.asNumber, asNumber == 0 {
                    validator.error("asNumber", "must be between 1 and 4294967295")
                }
                if let clusterID = bgp.routeReflectorClusterID, IPv4Address(clusterID) == nil {
                    validator.error("routeReflectorClusterID", "must be written as an IPv4 address")
                }
            }
        }
        validator.family("ipv4VXLANTunnelAddr", ipv4VXLANTunnelAddr, .v4)
        validator.family("ipv6VXLANTunnelAddr", ipv6VXLANTunnelAddr, .v6)
        if let wireguard {
            validator.within("wireguard") {
                validator.family("interfaceIPv4Address", wireguard.interfaceIPv4Address, .v4)
                validator.family("interfaceIPv6Address", wireguard.interfaceIPv6Address, .v6)
            }
        }
        validator.each("orchRefs", orchRefs) { ref in
            if ref.orchestrator.isEmpty { validator.error("orchestrator", "must not be empty") }
        }
        validator.each("addresses", addresses) { address in
            if let type = address.type, !["CalicoNodeIP", "InternalIP", "ExternalIP"].contains(type) {
                validator.error("type", "must be CalicoNodeIP, InternalIP or ExternalIP (got \(type))")
            }
        }
    }
}
