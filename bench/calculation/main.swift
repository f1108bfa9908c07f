import Calculation
import NetworkAddress
import ResourceCache
// calculation-bench: how long Tabby takes to compute one node's desired dataplane, and what one datastore change
// costs the cluster state.
//
// There is no external tool to compare with (Felix's calculation graph is not on this machine), so the figures
// are absolute. To show that the cost follows this node's endpoints and the number of nodes and blocks, not the
// cluster's endpoints, the same 200 nodes are measured with 1,000, 10,000 and 50,000 endpoints in the cluster.
// Run in release: swift run -c release calculation-bench
import CalicoAPI

/// A cluster of `nodes` nodes in two subnets: `local` WorkloadEndpoints on node-0 and the rest of `endpoints`
/// spread evenly over the others, one block of `blockSize` per node (more when it fills), and every tenth node
/// borrowing five addresses from its neighbour's block. VXLAN CrossSubnet, so both the tunnel and the
/// same-subnet paths run.
func makeCluster(
    nodes: Int, endpoints: Int, local: Int, blockSize: Int
) -> (resources: [AnyResource], localInterfaces: Set<String>, blocks: Int) {
    var resources: [AnyResource] = []
    let pool8 = try! CIDR(parsing: "10.0.0.0/8")
    var pool = IPPoolSpec(cidr: pool8)
    pool.vxlanMode = .crossSubnet
    pool.blockSize = blockSize
    resources.append(AnyResource(IPPool(name: "default-ipv4-ippool", spec: pool)))
    let perNode = (endpoints - local) / (nodes - 1)
    let blockAddresses = 1 << (32 - blockSize)
    // Ordinal 0 is the tunnel address; five more for borrowers.
    let blocksPerNode = (max(perNode, local) + 6 + blockAddresses - 1) / blockAddresses
    var localInterfaces: Set<String> = ["lo", "eth0"]
    func blockCIDR(node: Int, ordinal: Int) -> CIDR {
        pool8.subnet(at: UInt64(node * blocksPerNode + ordinal / blockAddresses), prefixLength: blockSize)!
    }
    var blocks: [CIDR: IPAMBlockSpec] = [:]
    func allocate(_ node: Int, ordinal: Int, to owner: Int) -> IPAddress {
        let cidr = blockCIDR(node: node, ordinal: ordinal)
        var spec =
            blocks[cidr]
            ?? {
                var spec = IPAMBlockSpec()
                spec.cidr = cidr
                spec.affinity = "host:node-\(node)"
                spec.allocations = Array(repeating: nil, count: blockAddresses)
                return spec
            }()
        spec.attributes.append(.init(handleID: "h-\(owner)-\(ordinal)", secondary: ["node": "node-\(owner)"]))
        spec.allocations[ordinal % blockAddresses] = spec.attributes.count - 1
        blocks[cidr] = spec
        return cidr.address(at: UInt64(ordinal % blockAddresses))!
    }
    for index in 0..<nodes {
        var spec = NodeSpec()
        let subnet = index % 2 == 0 ? "192.0.2" : "198.51.100"
        spec.bgp = NodeSpec.BGP(ipv4Address: try! CIDR(parsing: "\(subnet).\(index / 2 + 1)/24"))
        spec.ipv4VXLANTunnelAddr = allocate(index, ordinal: 0, to: index)
        resources.append(AnyResource(Node(name: "node-\(index)", spec: spec)))
        for endpoint in 0..<(index == 0 ? local : perNode) {
            let address = allocate(index, ordinal: endpoint + 1, to: index)
            var wep = WorkloadEndpointSpec()
            wep.node = "node-\(index)"
            wep.interfaceName = FelixConventions.workloadInterfaceName(namespace: "ns", pod: "pod-\(index)-\(endpoint)")
            wep.ipNetworks = [CIDR(host: address)]
            wep.mac = MACAddress(0xeeee_eeee_eeee)
            wep.profiles = ["kns.ns"]
            if index == 0 { localInterfaces.insert(wep.interfaceName) }
            let name = "node--\(index)-k8s-pod--\(endpoint)-eth0"
            resources.append(AnyResource(WorkloadEndpoint(name: name, namespace: "ns", spec: wep)))
        }
        if index % 10 == 5 {
            let lender = (index + 1) % nodes
            let lenderUsed = lender == 0 ? local : perNode
            for extra in 0..<5 { _ = allocate(lender, ordinal: lenderUsed + 1 + extra, to: index) }
        }
    }
    for (cidr, spec) in blocks {
        var block = spec
        block.unallocated = (0..<blockAddresses).filter { block.allocations[$0] == nil }
        let name = String(cidr.description.map { $0 == "." || $0 == "/" ? "-" : $0 })
        resources.append(AnyResource(IPAMBlock(name: name, spec: block)))
    }
    return (resources, localInterfaces, blocks.count)
}

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

/// Runs `body` `runs` times; returns the median and the 99th percentile in microseconds.
func measure(runs: Int, _ body: () -> Void) -> (median: Double, p99: Double) {
    let clock = ContinuousClock()
    var samples = (0..<runs).map { _ in nanoseconds(clock.measure(body)) / 1000 }
    samples.sort()
    return (samples[runs / 2], samples[min(runs - 1, runs * 99 / 100)])
}

func format(_ microseconds: Double) -> String {
    let rounded = (microseconds * 10).rounded() / 10
    return microseconds >= 1000 ? "\((microseconds / 100).rounded() / 10) ms" : "\(rounded) µs"
}

func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }

let nodeCount = 200
print("calculation-bench: \(nodeCount) nodes, VXLAN CrossSubnet, every tenth node borrows 5 addresses")
print("")
print(
    pad("cluster endpoints", 19) + pad("local", 7) + pad("blocks", 8) + pad("build state", 13)
        + pad("desired median", 16) + pad("desired p99", 13) + pad("routes", 8) + pad("1 WEP upsert", 14)
        + "local add+desired")
// First the shape (50 endpoints per node, Calico's /26 blocks), then the same node in ever larger
// clusters with /24 blocks, so that only the cluster's endpoint count changes.
let shapes: [(endpoints: Int, local: Int, blockSize: Int)] = [
    (10_000, 50, 26), (1_000, 50, 24), (10_000, 50, 24), (50_000, 50, 24),
]
for shape in shapes {
    let (resources, interfaces, blockCount) = makeCluster(
        nodes: nodeCount, endpoints: shape.endpoints, local: shape.local, blockSize: shape.blockSize)
    let clock = ContinuousClock()
    var cluster = ResourceCache()
    let build = clock.measure {
        for resource in resources { cluster.upsert(resource) }
    }
    let environment = NodeEnvironment(interfaces: interfaces, hostMTU: 1500, underlayInterface: "eth0")
    let (settings, problems) = FelixSettings.resolve(cache: cluster, node: "node-0")
    precondition(problems.isEmpty)
    var result = DesiredDataplane()
    let runs = 2000
    let desiredTime = measure(runs: runs) {
        result = Calculator.desired(cache: cluster, node: "node-0", environment: environment, settings: settings)
    }
    precondition(result.problems.isEmpty, "unexpected problems: \(result.problems.prefix(3))")
    let routeCount = result.routes.count
    // One new endpoint on another node: the state changes, node-0's dataplane does not.
    var counter = 0
    let upsertTime = measure(runs: runs) {
        counter += 1
        var wep = WorkloadEndpointSpec()
        wep.node = "node-\(1 + counter % (nodeCount - 1))"
        wep.interfaceName = "calibench\(counter % 1000)"
        wep.ipNetworks = [CIDR(host: .v4(IPv4Address(10, 250, UInt8(counter / 256 % 256), UInt8(counter % 256))))]
        cluster.upsert(AnyResource(WorkloadEndpoint(name: "bench-\(counter)", namespace: "ns", spec: wep)))
    }
    // One endpoint added to node-0 and removed again, each followed by node-0's dataplane.
    let local = measure(runs: runs) {
        counter += 1
        var wep = WorkloadEndpointSpec()
        wep.node = "node-0"
        wep.interfaceName = "calibench\(counter % 1000)"
        wep.ipNetworks = [CIDR(host: .v4(IPv4Address(10, 251, UInt8(counter / 256 % 256), UInt8(counter % 256))))]
        cluster.upsert(AnyResource(WorkloadEndpoint(name: "bench0-\(counter)", namespace: "ns", spec: wep)))
        result = Calculator.desired(cache: cluster, node: "node-0", environment: environment, settings: settings)
        cluster.remove(ResourceKey(kind: .workloadEndpoint, namespace: "ns", name: "bench0-\(counter)"))
    }
    print(
        pad("\(shape.endpoints) (/\(shape.blockSize))", 19) + pad("\(shape.local)", 7) + pad("\(blockCount)", 8)
            + pad(format(nanoseconds(build) / 1000), 13) + pad(format(desiredTime.median), 16)
            + pad(format(desiredTime.p99), 13) + pad("\(routeCount)", 8) + pad(format(upsertTime.median), 14)
            + format(local.median))
}
print("")
print("desired: Calculator.desired for node-0, median and p99 over 2000 runs. build state: every resource upserted")
print("into an empty ResourceCache. 1 WEP upsert: ResourceCache.upsert of a new endpoint on another node.")
print("local add+desired: an endpoint upserted on node-0, then node-0's dataplane computed (medians).")
