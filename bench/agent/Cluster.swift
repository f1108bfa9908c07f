import CalicoAPI
import Datastore
import Foundation
import IPAM
import NetworkAddress

/// A WorkloadEndpoint of the local node: its resource and the interface it needs in the node's namespace.
struct LocalEndpoint {
    var resource: AnyResource
    var key: ResourceKey
    var interface: String
    /// The /32 destination of its route, as `ip route` prints it (`10.128.0.1/32`).
    var route: String
}

/// The benchmark's cluster as Calico resources: one VXLAN pool (10.128.0.0/12, /26 blocks), `nodeCount` Nodes
/// (`node-0` is the local one, at 192.0.2.1/24; the others in 192.0.2.0/24 and 198.51.100.0/24) with VXLAN
/// tunnel addresses and MACs, blocks affine to each node with their allocations (tunnel address first), the
/// BlockAffinities, `local` WorkloadEndpoints on node-0 and `remote` spread over the others. `extra` more
/// endpoints of node-0 have their addresses allocated but are not written: the latency measurement writes them.
///
/// IPAMHandles are left out: tabbyd does not read them.
struct Cluster {
    static let localNode = "node-0"
    static let localAddress = "192.0.2.1/24"
    static let pool = "10.128.0.0/12"
    static let blockSize = 26
    static let claimTime = "2026-01-01T00:00:00Z"

    let nodeCount: Int
    let remoteCount: Int
    private(set) var resources: [AnyResource] = []
    private(set) var local: [LocalEndpoint] = []
    private(set) var extra: [LocalEndpoint] = []
    private(set) var blockCount = 0

    var endpointCount: Int { local.count + remoteCount }

    init(nodes: Int, local localCount: Int, remote: Int, extra extraCount: Int) throws {
        nodeCount = nodes
        remoteCount = remote
        let pool = try CIDR(parsing: Self.pool)
        var poolSpec = IPPoolSpec(cidr: pool)
        poolSpec.blockSize = Self.blockSize
        poolSpec.vxlanMode = .always
        poolSpec.ipipMode = .never
        poolSpec.natOutgoing = true
        resources.append(AnyResource(IPPool(name: "bench-pool", spec: poolSpec)))

        let blockAddresses = 1 << (32 - Self.blockSize)
        var nextBlock: UInt64 = 0
        for index in 0..<nodes {
            let node = "node-\(index)"
            let endpoints: Int
            if index == 0 {
                endpoints = localCount + extraCount
            } else {
                endpoints = remote / (nodes - 1) + (index - 1 < remote % (nodes - 1) ? 1 : 0)
            }
            // Ordinal 0 of the first block is the node's VXLAN tunnel address, as Calico's IPAM hands it out.
            let needed = 1 + endpoints
            var blocks: [IPAMBlockSpec] = []
            var cidrs: [CIDR] = []
            for _ in 0..<((needed + blockAddresses - 1) / blockAddresses) {
                guard let cidr = pool.subnet(at: nextBlock, prefixLength: Self.blockSize) else {
                    throw BenchError("the pool \(Self.pool) has no block \(nextBlock)")
                }
                nextBlock += 1
                cidrs.append(cidr)
                blocks.append(
                    IPAMBlockSpec.empty(
                        cidr: cidr, affinity: "host:\(node)", claimTime: Self.claimTime, sequenceNumber: 0))
            }
            func allocate(_ ordinal: Int, handle: String, attributes: [String: String]) throws -> IPAddress {
                let block = ordinal / blockAddresses
                let inBlock = ordinal % blockAddresses
                guard blocks[block].allocate(ordinal: inBlock, handle: handle, attributes: attributes),
                    let address = cidrs[block].address(at: UInt64(inBlock))
                else { throw BenchError("cannot allocate ordinal \(ordinal) of \(node)") }
                return address
            }
            let tunnel = try allocate(
                0, handle: IPAMNames.vxlanTunnelHandle(node: node),
                attributes: ["node": node, "type": TunnelAllocationType.vxlan])
            var nodeSpec = NodeSpec()
            let nodeAddress =
                index == 0
                ? Self.localAddress
                : index < 100 ? "192.0.2.\(index + 1)/24" : "198.51.100.\(index - 99)/24"
            nodeSpec.bgp = NodeSpec.BGP(ipv4Address: try CIDR(parsing: nodeAddress))
            nodeSpec.ipv4VXLANTunnelAddr = tunnel
            nodeSpec.vxlanTunnelMACAddr = FelixConventions.vxlanMAC(node: node)
            resources.append(AnyResource(Node(name: node, spec: nodeSpec)))

            for number in 0..<endpoints {
                let namespace = "bench-\(number % 10)"
                let pod = "pod-\(number)"
                let handle = "k8s-pod-network.\(node)-\(pod)"
                let address = try allocate(
                    1 + number, handle: handle, attributes: ["node": node, "namespace": namespace, "pod": pod])
                var spec = WorkloadEndpointSpec()
                spec.node = node
                spec.orchestrator = "k8s"
                spec.pod = pod
                spec.endpoint = "eth0"
                spec.interfaceName = FelixConventions.workloadInterfaceName(namespace: namespace, pod: "\(node).\(pod)")
                spec.ipNetworks = [CIDR(host: address)]
                spec.mac = MACAddress(0x0242_0a00_0000 | UInt64(index & 0xff) << 16 | UInt64(number & 0xffff))
                spec.profiles = ["kns.\(namespace)"]
                var endpoint = WorkloadEndpoint(
                    name: "\(node.replacing("-", with: "--"))-k8s-\(pod.replacing("-", with: "--"))-eth0",
                    namespace: namespace, spec: spec)
                endpoint.metadata.labels = ["projectcalico.org/namespace": namespace, "app": "bench"]
                let resource = AnyResource(endpoint)
                if index == 0 {
                    let entry = LocalEndpoint(
                        resource: resource, key: resource.key, interface: spec.interfaceName, route: "\(address)/32")
                    if number < localCount { local.append(entry) } else { extra.append(entry) }
                }
                if index != 0 || number < localCount { resources.append(resource) }
            }
            for (block, cidr) in zip(blocks, cidrs) {
                resources.append(AnyResource(IPAMBlock(name: IPAMNames.block(cidr), spec: block)))
                resources.append(
                    AnyResource(
                        BlockAffinity(
                            name: IPAMNames.affinity(node: node, block: cidr),
                            spec: BlockAffinitySpec(state: .confirmed, node: node, cidr: cidr))))
            }
            blockCount += blocks.count
        }
    }

    /// Writes every resource into a fresh datastore directory.
    func populate(_ directory: String) async throws -> FileDatastore {
        let store = try FileDatastore(directory: directory)
        try await populate(store)
        return store
    }

    /// Writes every resource into `store`, `concurrency` creates at a time (etcd commits concurrent writes
    /// together; the file datastore serialises them on its lock anyway).
    func populate(_ store: any Datastore, concurrency: Int = 1) async throws {
        let resources = resources
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, resource) in resources.enumerated() {
                if number >= concurrency { try await group.next() }
                group.addTask { _ = try await store.create(resource) }
            }
            try await group.waitForAll()
        }
    }
}
