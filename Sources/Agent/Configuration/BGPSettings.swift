/// Which BGP speaker, if any, spreads this node's routes (calico-node's `CALICO_NETWORKING_BACKEND`).
public enum NetworkingBackend: String, Sendable, Equatable, CaseIterable {
    /// No BGP: tabbyd programs every route itself (VXLAN, IPIP, same-subnet). Tabby's default; calico-node's is
    /// `bird`.
    case none
    /// tabbyd renders BIRD's configuration from the datastore and supervises BIRD, which peers with the other
    /// nodes and programs the routes to their blocks in pools without encapsulation (Docs/bgp.md).
    case bird

    /// Reads calico-node's words too: `vxlan` (VXLAN only, no BGP) is `none` here.
    init?(parsing text: String) {
        switch text.trimmingSpaces().lowercased() {
        case "none", "vxlan": self = .none
        case "bird": self = .bird
        default: return nil
        }
    }
}

/// The BGP settings of tabbyd: the backend and where its BIRD lives.
public struct BGPSettings: Sendable, Equatable {
    public static let defaultConfigFile = "/run/tabby/bird/bird.conf"
    public static let defaultControlSocket = "/run/tabby/bird/bird.ctl"
    public static let defaultPidFile = "/run/tabby/bird/bird.pid"
    public static let defaultSecretsDirectory = "/etc/tabby/bgp-secrets"

    public var backend: NetworkingBackend = .none
    /// The `bird` executable: a path, or a name found on `PATH`.
    public var birdPath = "bird"
    public var birdConfigFile = defaultConfigFile
    public var birdSocket = defaultControlSocket
    public var birdPidFile = defaultPidFile
    /// Where `password.secretKeyRef` and `nodeMeshPassword.secretKeyRef` are read: `<dir>/<name>/<key>`.
    public var secretsDirectory = defaultSecretsDirectory
    /// The BGP router id for a node without an IPv4 address (calico-node's `CALICO_ROUTER_ID`).
    public var routerID: String?

    public init() {}
}
