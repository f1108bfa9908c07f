import Calculation
import CalicoAPI
import NetworkAddress
import ResourceCache

// Addresses: node IPs come from the documentation ranges (192.0.2.0/24 is "this subnet", 198.51.100.0/24 and
// 203.0.113.0/24 are other subnets); pools use 10.x only as route destinations.

func cidr(_ text: String) -> CIDR { try! CIDR(parsing: text) }
func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func mac(_ text: String) -> MACAddress { MACAddress(text)! }

func node(
    _ name: String, ip: String?, vxlan: String? = nil, ipip: String? = nil, mac: String? = nil, ipv6: String? = nil,
    vxlanV6: String? = nil, macV6: String? = nil
) -> AnyResource {
    var spec = NodeSpec()
    if ip != nil || ipip != nil || ipv6 != nil {
        var bgp = NodeSpec.BGP(ipv4Address: ip.map(cidr))
        bgp.ipv4IPIPTunnelAddr = ipip.map(CalculationTests.ip)
        bgp.ipv6Address = ipv6.map(cidr)
        spec.bgp = bgp
    }
    spec.ipv4VXLANTunnelAddr = vxlan.map(CalculationTests.ip)
    spec.vxlanTunnelMACAddr = mac.map(CalculationTests.mac)
    spec.ipv6VXLANTunnelAddr = vxlanV6.map(CalculationTests.ip)
    spec.vxlanTunnelMACAddrV6 = macV6.map(CalculationTests.mac)
    return AnyResource(Node(name: name, spec: spec))
}

func pool(
    _ name: String, _ cidr: String, vxlan: EncapsulationMode = .never, ipip: EncapsulationMode = .never,
    blockSize: Int? = nil
) -> AnyResource {
    var spec = IPPoolSpec(cidr: CalculationTests.cidr(cidr))
    spec.vxlanMode = vxlan
    spec.ipipMode = ipip
    spec.blockSize = blockSize
    return AnyResource(IPPool(name: name, spec: spec))
}

/// A block with the given allocations: ordinal -> the `node` attribute (nil for an allocation without one).
func block(_ text: String, affinity: String?, allocations: [Int: String?] = [:]) -> AnyResource {
    let network = cidr(text)
    var spec = IPAMBlockSpec()
    spec.cidr = network
    spec.affinity = affinity.map { "host:\($0)" }
    let size = Int(network.addressCount!)
    spec.allocations = Array(repeating: nil, count: size)
    for (ordinal, owner) in allocations.sorted(by: { $0.key < $1.key }) {
        let attribute = IPAMBlockSpec.AllocationAttribute(
            handleID: "h-\(ordinal)", secondary: owner.map { ["node": $0] })
        spec.attributes.append(attribute)
        spec.allocations[ordinal] = spec.attributes.count - 1
    }
    spec.unallocated = (0..<size).filter { spec.allocations[$0] == nil }
    let name = String(text.map { $0 == "." || $0 == ":" || $0 == "/" ? "-" : $0 })
    return AnyResource(IPAMBlock(name: name, spec: spec))
}

func workload(
    _ name: String, node: String, interface: String, ips: [String], mac: String? = nil, namespace: String = "default",
    spoofing: [String]? = nil
) -> AnyResource {
    var spec = WorkloadEndpointSpec()
    spec.node = node
    spec.interfaceName = interface
    spec.ipNetworks = ips.map(cidr)
    spec.mac = mac.map(CalculationTests.mac)
    spec.allowSpoofedSourcePrefixes = spoofing?.map(cidr)
    return AnyResource(WorkloadEndpoint(name: name, namespace: namespace, spec: spec))
}

func felixConfiguration(_ name: String, _ edit: (inout FelixConfigurationSpec) -> Void) -> AnyResource {
    var spec = FelixConfigurationSpec()
    edit(&spec)
    return AnyResource(FelixConfiguration(name: name, spec: spec))
}

func state(_ resources: [AnyResource]) -> ResourceCache {
    var state = ResourceCache()
    for resource in resources { state.upsert(resource) }
    return state
}

let defaultEnvironment = NodeEnvironment(
    interfaces: ["lo", "eth0"], hostMTU: 1500, underlayInterface: "eth0", underlayInterfaceV6: "eth0")

/// The desired dataplane of `node` with settings resolved from the state, as the agent computes it.
func desired(
    _ state: ResourceCache, node: String = "local", environment: NodeEnvironment = defaultEnvironment,
    overrides: [String: String] = [:]
) -> DesiredDataplane {
    let (settings, problems) = FelixSettings.resolve(cache: state, node: node, overrides: overrides)
    precondition(problems.isEmpty, "test settings are invalid: \(problems)")
    return Calculator.desired(cache: state, node: node, environment: environment, settings: settings)
}

/// The local node in 192.0.2.0/24 with VXLAN and IPIP tunnel addresses, and remote nodes: `same` in its subnet,
/// `far` in another one. Each node has one /26 block of 10.244.0.0/16.
func threeNodes(pool: AnyResource) -> [AnyResource] {
    [
        pool,
        node("local", ip: "192.0.2.1/24", vxlan: "10.244.0.1", ipip: "10.244.0.2"),
        node("same", ip: "192.0.2.2/24", vxlan: "10.244.1.1", ipip: "10.244.1.2"),
        node("far", ip: "198.51.100.3/24", vxlan: "10.244.2.1", ipip: "10.244.2.2"),
        block("10.244.0.0/26", affinity: "local"),
        block("10.244.1.0/26", affinity: "same"),
        block("10.244.2.0/26", affinity: "far"),
    ]
}
