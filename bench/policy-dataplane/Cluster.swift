import CalicoAPI
import NetworkAddress

/// The cluster, in the same shape as policy-bench (the policy calculation's benchmark) so the figures
/// add up: `nodes` nodes with `perNode` WorkloadEndpoints each, `policies` policies (half NetworkPolicies in
/// 20 namespaces, half GlobalNetworkPolicies), 200 apps, a named port on every endpoint, a natOutgoing pool.
/// Endpoint addresses come from 198.18.0.0/15, the range set aside for benchmarks; no packet is sent.
struct Cluster {
    let nodes: Int
    let perNode: Int
    let policies: Int
    static let apps = 200
    static let namespaces = 20

    var endpointCount: Int { nodes * perNode }

    func address(_ index: Int) -> String {
        let value = 0xC612_0000 + UInt32(index) + 1  // 198.18.0.1 onwards
        return "\(value >> 24).\(value >> 16 & 255).\(value >> 8 & 255).\(value & 255)"
    }

    func interface(_ index: Int) -> String { "cali\(index)" }

    func endpoint(_ index: Int, app: Int) -> AnyResource {
        var endpoint = WorkloadEndpoint(name: "ep-\(index)", namespace: "ns-\(index % Self.namespaces)")
        endpoint.metadata.labels = ["app": "app-\(app)", "tier": "t\(index % 5)", "zone": "z\(index % 3)"]
        endpoint.spec.node = "node-\(index % nodes)"
        endpoint.spec.interfaceName = interface(index)
        endpoint.spec.ipNetworks = [CIDR(host: IPAddress(address(index))!)]
        endpoint.spec.profiles = ["kns.ns-\(index % Self.namespaces)"]
        endpoint.spec.ports = [EndpointPort(name: "http", protocol: .tcp, port: 8080)]
        return AnyResource(endpoint)
    }

    func policy(_ index: Int) -> AnyResource {
        var from = Rule(action: .allow)
        from.protocol = .tcp
        from.source = EntityRule()
        from.source?.selector = "app == 'app-\((index + 1) % Self.apps)' && tier != 't\(index % 5)'"
        from.destination = EntityRule()
        from.destination?.ports = [.number(UInt16(1000 + index % 100)), .named("http")]
        var deny = Rule(action: .deny)
        deny.source = EntityRule()
        deny.source?.nets = [IPNetwork("192.0.2.0/24")!]
        if index % 2 == 0 {
            var spec = NetworkPolicySpec()
            spec.selector = "app == 'app-\(index % Self.apps)'"
            spec.order = Double(index % 10)
            spec.ingress = [deny, from]
            return AnyResource(
                NetworkPolicy(name: "np-\(index)", namespace: "ns-\(index % Self.namespaces)", spec: spec))
        }
        var spec = GlobalNetworkPolicySpec()
        // One GNP in ten selects a fifth of all endpoints (by tier), so every node has a fair share of policies.
        spec.selector =
            index % 10 == 1
            ? "tier == 't\(index / 10 % 5)'" : "app == 'app-\(index % Self.apps)' && zone == 'z\(index % 3)'"
        spec.ingress = [deny, from]
        spec.egress = [Rule(action: .allow)]
        return AnyResource(GlobalNetworkPolicy(name: "gnp-\(index)", spec: spec))
    }

    func resources() -> [AnyResource] {
        var resources: [AnyResource] = []
        var pool = IPPoolSpec(cidr: try! CIDR(parsing: "198.18.0.0/15"))
        pool.natOutgoing = true
        pool.vxlanMode = .always
        resources.append(AnyResource(IPPool(name: "pool", spec: pool)))
        for index in 0..<nodes {
            var spec = NodeSpec()
            spec.bgp = NodeSpec.BGP(ipv4Address: try! CIDR(parsing: "192.0.2.\(index + 1)/24"))
            resources.append(AnyResource(Node(name: "node-\(index)", spec: spec)))
        }
        resources += (0..<policies).map(policy)
        resources += (0..<endpointCount).map { endpoint($0, app: $0 % Self.apps) }
        return resources
    }
}
