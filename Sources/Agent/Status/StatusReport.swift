import BGP

/// What `GET /status` answers: the agent's state for a person (`tabbyctl node status`) or a script.
///
/// JSON field names are the property names; times are RFC 3339 strings in UTC; optional values that are
/// unknown are left out.
public struct StatusReport: Codable, Sendable, Equatable {
    /// The last dataplane apply that succeeded.
    public struct Apply: Codable, Sendable, Equatable {
        /// When it finished, RFC 3339 (`2025-03-01T12:00:00.123Z`).
        public var time: String
        public var durationSeconds: Double
        /// Kernel writes it made (0 when the kernel already matched).
        public var writes: Int

        public init(time: String, durationSeconds: Double, writes: Int) {
            self.time = time
            self.durationSeconds = durationSeconds
            self.writes = writes
        }
    }

    /// What the agent has programmed.
    public struct Counts: Codable, Sendable, Equatable {
        public var routes: Int
        public var devices: Int
        public var neighbors: Int
        public var workloadEndpoints: Int

        public init(routes: Int = 0, devices: Int = 0, neighbors: Int = 0, workloadEndpoints: Int = 0) {
            self.routes = routes
            self.devices = devices
            self.neighbors = neighbors
            self.workloadEndpoints = workloadEndpoints
        }
    }

    /// An IPAM block the node has a route for.
    public struct Block: Codable, Sendable, Equatable {
        public var cidr: String
        /// The node the block is affine to; nil when unknown.
        public var node: String?
        /// How it is routed: `local` (affine here: blackhole), `vxlan`, `ipip`, `direct` (same subnet or no
        /// encapsulation), or `unreachable` (no way to route it; `errors` says why).
        public var state: String

        public init(cidr: String, node: String? = nil, state: String) {
            self.cidr = cidr
            self.node = node
            self.state = state
        }
    }

    /// This node's tunnel addresses, from IPAM.
    public struct TunnelAddresses: Codable, Sendable, Equatable {
        public var ipip: String?
        public var vxlan: String?
        public var vxlanMAC: String?
        /// The IPv6 VXLAN tunnel address (`vxlan-v6.calico`) and its MAC.
        public var vxlanV6: String?
        public var vxlanMACV6: String?

        public init(
            ipip: String? = nil, vxlan: String? = nil, vxlanMAC: String? = nil, vxlanV6: String? = nil,
            vxlanMACV6: String? = nil
        ) {
            self.ipip = ipip
            self.vxlan = vxlan
            self.vxlanMAC = vxlanMAC
            self.vxlanV6 = vxlanV6
            self.vxlanMACV6 = vxlanMACV6
        }
    }

    /// A current problem and what it concerns: `IPPool pool-a`, `config /etc/tabby/tabbyd.yaml`,
    /// `route 10.0.1.0/26`.
    public struct Problem: Codable, Sendable, Equatable {
        public var resource: String
        public var reason: String
        /// The kernel's errno (`EEXIST`) when the kernel refused a write; absent otherwise.
        public var errno: String?

        public init(resource: String, reason: String, errno: String? = nil) {
            self.resource = resource
            self.reason = reason
            self.errno = errno
        }
    }

    public var node: String
    public var version: String
    public var uptimeSeconds: Double
    public var datastoreInSync: Bool
    public var lastApply: Apply?
    public var counts: Counts
    /// Tabby's nf_tables ruleset (policy and NAT-outgoing); nil before the first apply.
    public var ruleset: Ruleset?
    public var blocks: [Block]
    public var tunnelAddresses: TunnelAddresses
    public var errors: [Problem]
    /// True once the first apply succeeded (what `/readiness` answers).
    public var readiness: Bool
    /// BIRD and its BGP peers, with networkingBackend `bird`; absent otherwise.
    public var bgp: BIRDStatus?

    public init(
        node: String, version: String, uptimeSeconds: Double = 0, datastoreInSync: Bool = false,
        lastApply: Apply? = nil, counts: Counts = Counts(), blocks: [Block] = [],
        tunnelAddresses: TunnelAddresses = TunnelAddresses(), errors: [Problem] = [], readiness: Bool = false
    ) {
        self.node = node
        self.version = version
        self.uptimeSeconds = uptimeSeconds
        self.datastoreInSync = datastoreInSync
        self.lastApply = lastApply
        self.counts = counts
        self.blocks = blocks
        self.tunnelAddresses = tunnelAddresses
        self.errors = errors
        self.readiness = readiness
    }
}
