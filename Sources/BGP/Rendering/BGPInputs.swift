import CalicoAPI
import NetworkAddress

/// Everything one node's BIRD configuration is rendered from. The agent builds it from its resource cache; the
/// renderer is a pure function of it (`BIRDRenderer.render`), so equal inputs give byte-equal configurations.
public struct BGPInputs: Sendable, Equatable {
    /// The Calico Node this configuration is for.
    public var nodeName: String
    /// Every Node of the cluster, this one included (mesh peers, `peerSelector`, route-reflector clusters).
    public var nodes: [Node]
    /// `default` and `node.<name>` BGPConfigurations (others are ignored).
    public var configurations: [BGPConfiguration]
    public var peers: [BGPPeer]
    public var filters: [BGPFilter]
    public var pools: [IPPool]
    /// The blocks affine to this node: announced to its peers unless their pool has `disableBGPExport`.
    public var localBlocks: [CIDR]
    /// Addresses this node's workloads hold in blocks affine to other nodes (a /32 or /128 each): announced
    /// too, so that traffic to them reaches this node rather than the block's owner.
    public var borrowedAddresses: [CIDR]
    /// The passwords secret references resolve to, as the agent read them (from
    /// `<bgpSecretsDirectory>/<name>/<key>`); a reference missing here could not be read, and the renderer
    /// reports it as a problem of the resource that names it.
    public var secrets: [BGPPassword.SecretKeyRef: String]
    /// Why each secret the resources name could not be read (`/etc/tabby/bgp-secrets/bgp/tor: no such file`),
    /// for the problem the renderer reports.
    public var unreadableSecrets: [BGPPassword.SecretKeyRef: String]
    /// The BGP router id when the node has no IPv4 address (calico-node's `CALICO_ROUTER_ID`); nil: the node's
    /// IPv4 address.
    public var routerID: String?
    /// Names of Tabby's own interfaces (prefixes such as `cali`, and devices such as `vxlan.calico`, `tunl0`),
    /// which BIRD's `direct` protocol must not scan.
    public var ownInterfacePatterns: [String]

    public init(
        nodeName: String, nodes: [Node] = [], configurations: [BGPConfiguration] = [], peers: [BGPPeer] = [],
        filters: [BGPFilter] = [], pools: [IPPool] = [], localBlocks: [CIDR] = [], borrowedAddresses: [CIDR] = [],
        secrets: [BGPPassword.SecretKeyRef: String] = [:],
        unreadableSecrets: [BGPPassword.SecretKeyRef: String] = [:], routerID: String? = nil,
        ownInterfacePatterns: [String] = ["cali*", "vxlan.calico", "vxlan-v6.calico", "tunl0"]
    ) {
        self.nodeName = nodeName
        self.nodes = nodes
        self.configurations = configurations
        self.peers = peers
        self.filters = filters
        self.pools = pools
        self.localBlocks = localBlocks
        self.borrowedAddresses = borrowedAddresses
        self.secrets = secrets
        self.unreadableSecrets = unreadableSecrets
        self.routerID = routerID
        self.ownInterfacePatterns = ownInterfacePatterns
    }
}
