import CalicoAPI

/// A small cluster as YAML for agent tests: a VXLAN pool, the local node `node-a` and a remote `node-b`, a
/// block for each, a web and a db pod on each node, and a policy whose selector reads `app` only.
/// Addresses: nodes in 192.0.2.0/24, pods in 198.51.100.0/24 (documentation ranges).
enum AgentCluster {
    static let local = "node-a"

    static func endpoint(_ name: String, node: String, ip: String, labels: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: \(name), namespace: shop, labels: {\(labels)}}
        spec:
          node: \(node)
          orchestrator: k8s
          interfaceName: cali\(name)
          ipNetworks: [\(ip)/32]
          profiles: [kns.shop]
        """
    }

    static func block(_ cidr: String, node: String) -> String {
        let name = cidr.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "/", with: "-")
        return """
            apiVersion: projectcalico.org/v3
            kind: IPAMBlock
            metadata: {name: \(name)}
            spec:
              cidr: \(cidr)
              affinity: host:\(node)
              allocations: [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]
              unallocated: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
              attributes: []
            """
    }

    static let documents: [String] = [
        """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pods}
        spec: {cidr: 198.51.100.0/24, blockSize: 28, vxlanMode: Always, natOutgoing: true}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: node-a}
        spec: {bgp: {ipv4Address: 192.0.2.10/24}, ipv4VXLANTunnelAddr: 198.51.100.1}
        """,
        """
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: node-b}
        spec: {bgp: {ipv4Address: 192.0.2.11/24}, ipv4VXLANTunnelAddr: 198.51.100.17}
        """,
        block("198.51.100.0/28", node: "node-a"),
        block("198.51.100.16/28", node: "node-b"),
        endpoint("weba", node: "node-a", ip: "198.51.100.2", labels: "app: web"),
        endpoint("dba", node: "node-a", ip: "198.51.100.3", labels: "app: db"),
        endpoint("webb", node: "node-b", ip: "198.51.100.18", labels: "app: web"),
        endpoint("dbb", node: "node-b", ip: "198.51.100.19", labels: "app: db"),
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-to-db}
        spec:
          selector: app == 'db'
          types: [Ingress]
          ingress:
          - action: Allow
            protocol: TCP
            source: {selector: app == 'web'}
            destination: {ports: [5432]}
        """,
    ]

    static func resources() throws -> [AnyResource] {
        try documents.map { try ResourceCodec.decodeOne($0) }
    }

    static func resource(_ yaml: String) throws -> AnyResource { try ResourceCodec.decodeOne(yaml) }
}
