import BGP
import CalicoAPI
import Datastore
import IPAM
import NetworkAddress

/// The BGP benchmark's cluster: 200 Nodes on 192.0.2.0/24 (`node-<i>` at 192.0.2.<i+1>), one /26 block each in
/// the unencapsulated pool `bgp-pool` (10.128.0.0/16; routes spread by BGP), the VXLAN CrossSubnet pool
/// `direct-pool` (10.144.0.0/16, `disableBGPExport`; on one subnet tabbyd programs its routes itself), the mesh
/// off and one global BGPPeer: the route server at 192.0.2.254, which announces the blocks of the 197 nodes
/// that run no agent and reflects those of the three that do (node-0, node-1, node-2).
///
/// No traffic is sent to the pools' addresses: the routes only have to reach the kernels.
struct BGPCluster {
    static let nodeCount = 200
    static let liveNodes = 3
    static let bgpPool = "10.128.0.0/16"
    static let directPool = "10.144.0.0/16"
    static let blockSize = 26
    static let routeServer = "192.0.2.254"
    static let asNumber: UInt32 = 64512

    static func nodeName(_ index: Int) -> String { "node-\(index)" }
    static func nodeAddress(_ index: Int) -> String { "192.0.2.\(index + 1)" }

    let bgpPool: CIDR
    let directPool: CIDR
    private(set) var resources: [AnyResource] = []
    /// The block of each node in `bgp-pool`, by node index.
    private(set) var blocks: [CIDR] = []

    init() throws {
        bgpPool = try CIDR(parsing: Self.bgpPool)
        directPool = try CIDR(parsing: Self.directPool)
        var routed = IPPoolSpec(cidr: bgpPool)
        routed.blockSize = Self.blockSize
        routed.ipipMode = .never
        routed.vxlanMode = .never
        resources.append(AnyResource(IPPool(name: "bgp-pool", spec: routed)))
        var direct = IPPoolSpec(cidr: directPool)
        direct.blockSize = Self.blockSize
        direct.ipipMode = .never
        direct.vxlanMode = .crossSubnet
        direct.disableBGPExport = true
        resources.append(AnyResource(IPPool(name: "direct-pool", spec: direct)))

        var configuration = BGPConfiguration(name: "default")
        configuration.spec.nodeToNodeMeshEnabled = false
        configuration.spec.asNumber = Self.asNumber
        resources.append(AnyResource(configuration))
        var peer = BGPPeer(name: "route-server")
        peer.spec.peerIP = Self.routeServer
        peer.spec.asNumber = Self.asNumber
        resources.append(AnyResource(peer))

        for index in 0..<Self.nodeCount {
            let name = Self.nodeName(index)
            var spec = NodeSpec()
            spec.bgp = NodeSpec.BGP(ipv4Address: try CIDR(parsing: Self.nodeAddress(index) + "/24"))
            resources.append(AnyResource(Node(name: name, spec: spec)))
            let block = try Self.block(in: bgpPool, at: index)
            blocks.append(block)
            resources += Self.blockResources(block, node: name)
        }
    }

    static func block(in pool: CIDR, at index: Int) throws -> CIDR {
        guard let cidr = pool.subnet(at: UInt64(index), prefixLength: blockSize) else {
            throw BenchError("the pool \(pool) has no block \(index)")
        }
        return cidr
    }

    /// A confirmed BlockAffinity and an empty IPAMBlock affine to `node`, in the order Calico's IPAM writes
    /// them (the affinity first).
    static func blockResources(_ cidr: CIDR, node: String) -> [AnyResource] {
        [
            AnyResource(
                BlockAffinity(
                    name: IPAMNames.affinity(node: node, block: cidr),
                    spec: BlockAffinitySpec(state: .confirmed, node: node, cidr: cidr))),
            AnyResource(
                IPAMBlock(
                    name: IPAMNames.block(cidr),
                    spec: IPAMBlockSpec.empty(
                        cidr: cidr, affinity: "host:\(node)", claimTime: Cluster.claimTime, sequenceNumber: 0))),
        ]
    }

    /// The route server's BIRD configuration: the 197 agentless nodes' blocks as static routes via their node
    /// addresses, and an iBGP session with each live node as its route-reflector client.
    func routeServerConfiguration() -> String {
        var lines = [
            "router id \(Self.routeServer);",
            "protocol device { scan time 10; }",
            "protocol static agentless {",
            "    ipv4;",
        ]
        for index in Self.liveNodes..<Self.nodeCount {
            lines.append("    route \(blocks[index]) via \(Self.nodeAddress(index));")
        }
        lines.append("}")
        for index in 0..<Self.liveNodes {
            lines += [
                "protocol bgp \(Self.nodeName(index).replacing("-", with: "_")) {",
                "    local \(Self.routeServer) as \(Self.asNumber);",
                "    neighbor \(Self.nodeAddress(index)) as \(Self.asNumber);",
                "    rr client;",
                "    connect delay time 1;",
                "    connect retry time 2;",
                "    ipv4 { import all; export all; next hop keep; };",
                "}",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The inputs of one node's rendering: with the route server (this cluster), or with the node-to-node mesh on
    /// instead (199 sessions), the larger configuration.
    func renderInputs(node index: Int, mesh: Bool) -> BGPInputs {
        var configurations = resources.compactMap { $0.as(BGPConfiguration.self) }
        if mesh { configurations = configurations.map { var copy = $0; copy.spec.nodeToNodeMeshEnabled = true; return copy } }
        return BGPInputs(
            nodeName: Self.nodeName(index), nodes: resources.compactMap { $0.as(Node.self) },
            configurations: configurations, peers: mesh ? [] : resources.compactMap { $0.as(BGPPeer.self) },
            pools: resources.compactMap { $0.as(IPPool.self) }, localBlocks: [blocks[index]])
    }
}
