import NetworkAddress

/// Calico's BGPConfiguration: the cluster's BGP settings (`default`) or one node's (`node.<name>`).
public typealias BGPConfiguration = Resource<BGPConfigurationSpec>
/// Calico's BGPPeer: a BGP session some nodes (all, one, or those a selector picks) open to a peer.
public typealias BGPPeer = Resource<BGPPeerSpec>
/// Calico's BGPFilter: import and export rules a BGPPeer names in `filters`.
public typealias BGPFilter = Resource<BGPFilterSpec>

/// A password kept outside the resource: Calico's `secretKeyRef` (a key of a Secret). Tabby reads it from the
/// file `<bgpSecretsDirectory>/<name>/<key>`, the layout a mounted Kubernetes Secret has.
public struct BGPPassword: Codable, Sendable, Equatable, Hashable {
    public struct SecretKeyRef: Codable, Sendable, Equatable, Hashable {
        public var name: String
        public var key: String

        public init(name: String, key: String) {
            self.name = name
            self.key = key
        }
    }

    public var secretKeyRef: SecretKeyRef?

    public init(secretKeyRef: SecretKeyRef? = nil) { self.secretKeyRef = secretKeyRef }
}

public struct BGPConfigurationSpec: ResourceSpec {
    public static let kind = ResourceKind.bgpConfiguration

    /// A CIDR advertised for Kubernetes services (`serviceClusterIPs`, ...).
    public struct ServiceIPBlock: Codable, Sendable, Equatable {
        public var cidr: String
        public init(cidr: String) { self.cidr = cidr }
    }

    /// A named BGP community: `aa:nn` (standard) or `aa:nn:mm` (large).
    public struct Community: Codable, Sendable, Equatable {
        public var name: String?
        public var value: String?
        public init(name: String? = nil, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// Communities attached to routes within a CIDR when they are advertised.
    public struct PrefixAdvertisement: Codable, Sendable, Equatable {
        public var cidr: String?
        /// Community names (from `communities`) or literal values.
        public var communities: [String]?
        public init(cidr: String? = nil, communities: [String]? = nil) {
            self.cidr = cidr
            self.communities = communities
        }
    }

    /// BIRD's log level for its console (Calico: `Info` by default; `Debug`, `Warning`, `Error`, `Fatal`).
    public var logSeverityScreen: String?
    /// Whether every node peers with every other (default true; only in `default`).
    public var nodeToNodeMeshEnabled: Bool?
    /// The AS of nodes without `spec.bgp.asNumber` (default 64512; only in `default`).
    public var asNumber: UInt32?
    public var serviceClusterIPs: [ServiceIPBlock]?
    public var serviceExternalIPs: [ServiceIPBlock]?
    public var serviceLoadBalancerIPs: [ServiceIPBlock]?
    /// The port BIRD listens on and mesh peers connect to (default 179).
    public var listenPort: UInt16?
    public var communities: [Community]?
    public var prefixAdvertisements: [PrefixAdvertisement]?
    /// Interface name patterns whose routes are never exported (Calico's `ignoredInterfaces`).
    public var ignoredInterfaces: [String]?
    /// `None` (listen on every address, the default) or `NodeIP` (listen on the node's address only).
    public var bindMode: String?
    /// The password of the node-to-node mesh sessions.
    public var nodeMeshPassword: BGPPassword?
    /// The graceful-restart time of mesh sessions, as a Go duration (`120s`, `2m`).
    public var nodeMeshMaxRestartTime: String?

    public init() {}
}

public struct BGPPeerSpec: ResourceSpec {
    public static let kind = ResourceKind.bgpPeer

    /// The node that opens the session; empty or absent means every node `nodeSelector` picks (all when absent).
    public var node: String?
    /// The peer's address, with an optional port: `192.0.2.1`, `192.0.2.1:1790`, `[2001:db8::1]:1790`.
    public var peerIP: String?
    public var asNumber: UInt32?
    /// The nodes that open the session (instead of `node`).
    public var nodeSelector: String?
    /// The peers are the nodes this selects (their `bgp.ipv4Address`/`ipv6Address`), instead of `peerIP`.
    public var peerSelector: String?
    /// Do not rewrite the next hop of routes sent to an eBGP peer.
    public var keepOriginalNextHop: Bool?
    public var password: BGPPassword?
    /// `UseNodeIP` (the default: the session's source is the node's address) or `None`.
    public var sourceAddress: String?
    /// The graceful-restart time, as a Go duration (`120s`).
    public var maxRestartTime: String?
    public var numAllowedLocalASNumbers: Int32?
    /// GTSM (RFC 5082): the number of hops the peer may be away; BIRD's `ttl security` with `multihop`.
    public var ttlSecurity: UInt8?
    /// The BGPFilters applied to this peer's sessions, in order.
    public var filters: [String]?
    /// The address through which the peer is reached (`reachableBy`), for peers not on the node's subnet.
    public var reachableBy: String?

    public init() {}
}

public struct BGPFilterSpec: ResourceSpec {
    public static let kind = ResourceKind.bgpFilter

    /// One rule of a filter: routes matching `cidr` (by `matchOperator`), `prefixLength`, `source` and
    /// `interface` are accepted or rejected.
    public struct Rule: Codable, Sendable, Equatable {
        public struct PrefixLength: Codable, Sendable, Equatable {
            public var min: Int32?
            public var max: Int32?
            public init(min: Int32? = nil, max: Int32? = nil) {
                self.min = min
                self.max = max
            }
        }

        public var cidr: String?
        public var prefixLength: PrefixLength?
        /// `Equal`, `NotEqual`, `In`, `NotIn`.
        public var matchOperator: String?
        /// `RemotePeers`: routes learned from BGP peers.
        public var source: String?
        /// An interface name pattern (`*` matches any run of characters).
        public var interface: String?
        /// `Accept` or `Reject`.
        public var action: String

        public init(
            cidr: String? = nil, prefixLength: PrefixLength? = nil, matchOperator: String? = nil, source: String? = nil,
            interface: String? = nil, action: String
        ) {
            self.cidr = cidr
            self.prefixLength = prefixLength
            self.matchOperator = matchOperator
            self.source = source
            self.interface = interface
            self.action = action
        }
    }

    public var exportV4: [Rule]?
    public var importV4: [Rule]?
    public var exportV6: [Rule]?
    public var importV6: [Rule]?

    public init() {}
}
