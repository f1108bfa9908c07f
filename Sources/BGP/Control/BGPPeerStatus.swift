/// One row of `tabbyctl node status`'s BGP tables, read from BIRD's control socket (`show protocols all`).
public struct BGPPeerStatus: Sendable, Equatable, Codable {
    /// The peer's address (with `:port` when not 179), calicoctl's PEER ADDRESS.
    public var peerAddress: String
    /// `node-to-node mesh`, `global` or `node specific` (from the protocol's name).
    public var peerType: String
    /// BIRD's protocol state: `up`, `start`, `down`, `flush`.
    public var state: String
    /// When the state last changed, as BIRD prints it.
    public var since: String
    /// The BGP state (`Established`, `Active`, `Connect`, `OpenSent`, ...) and BIRD's last error, if any.
    public var info: String
    /// `IPv4` or `IPv6`: which table the row belongs to.
    public var family: String
    public var protocolName: String
    /// Routes imported from (learned) and exported to the peer, as BIRD counts them; 0 when not up.
    public var routesImported: Int
    public var routesExported: Int

    public init(
        peerAddress: String, peerType: String, state: String, since: String, info: String, family: String,
        protocolName: String, routesImported: Int = 0, routesExported: Int = 0
    ) {
        self.peerAddress = peerAddress
        self.peerType = peerType
        self.state = state
        self.since = since
        self.info = info
        self.family = family
        self.protocolName = protocolName
        self.routesImported = routesImported
        self.routesExported = routesExported
    }

    /// Whether the session is Established.
    public var isEstablished: Bool { info.hasPrefix("Established") }
}

/// BIRD as the supervisor sees it, for the status socket's `bgp` section.
public struct BIRDStatus: Sendable, Equatable, Codable {
    /// Whether BIRD runs (its control socket answers).
    public var running: Bool
    public var pid: Int32?
    /// BIRD's version, from its control socket's greeting (`2.0.12`).
    public var version: String?
    /// How many times the supervisor started BIRD (1 after a clean start; more after restarts).
    public var starts: Int
    /// The last configuration BIRD refused (BIRD's own message and line), or the last start failure; nil when
    /// the configuration in force is the last one rendered.
    public var lastError: String?
    public var peers: [BGPPeerStatus]

    public init(
        running: Bool = false, pid: Int32? = nil, version: String? = nil, starts: Int = 0, lastError: String? = nil,
        peers: [BGPPeerStatus] = []
    ) {
        self.running = running
        self.pid = pid
        self.version = version
        self.starts = starts
        self.lastError = lastError
        self.peers = peers
    }
}
