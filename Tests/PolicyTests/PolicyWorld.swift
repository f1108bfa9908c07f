import NetworkAddress
import CalicoAPI
import NetworkAddress
import Testing

@testable import Policy

/// A small cluster for policy tests: namespaces, pods on two nodes, a host endpoint and a network set.
/// Addresses are documentation ranges: pods in 192.0.2.0/24 and 2001:db8::/64, the network set in
/// 203.0.113.0/25, outside hosts in 198.51.100.0/24.
enum PolicyWorld {
    struct Pod {
        var namespace: String
        var name: String
        var ipv4: String
        var ipv6: String?
        var labels: [String: String]
        var node = "node-1"
        var serviceAccount: String?
        var ports: [(name: String, protocol: String, port: Int)] = []
        /// nil: `kns.<namespace>` (and `ksa.<namespace>.<sa>` when there is a service account).
        var profiles: [String]?

        var key: String { "\(namespace)/\(name)" }
        var interface: String { "cali" + name.prefix(11) }

        var yaml: String {
            let labelText = labels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            let networks = [ipv4 + "/32"] + (ipv6.map { [$0 + "/128"] } ?? [])
            let profileList =
                profiles ?? (["kns.\(namespace)"] + (serviceAccount.map { ["ksa.\(namespace).\($0)"] } ?? []))
            var text = """
                apiVersion: projectcalico.org/v3
                kind: WorkloadEndpoint
                metadata: {name: \(name), namespace: \(namespace), labels: {\(labelText)}}
                spec:
                  node: \(node)
                  orchestrator: k8s
                  interfaceName: \(interface)
                  ipNetworks: [\(networks.joined(separator: ", "))]
                  profiles: [\(profileList.joined(separator: ", "))]

                """
            if let serviceAccount { text += "  serviceAccountName: \(serviceAccount)\n" }
            if !ports.isEmpty {
                text += "  ports:\n"
                for port in ports {
                    text += "  - {name: \(port.name), protocol: \(port.protocol), port: \(port.port)}\n"
                }
            }
            return text
        }
    }

    static let pods: [Pod] = [
        Pod(
            namespace: "shop", name: "frontend", ipv4: "192.0.2.1", ipv6: "2001:db8::1",
            labels: ["role": "frontend"], serviceAccount: "frontend-sa"),
        Pod(
            namespace: "shop", name: "backend", ipv4: "192.0.2.2", ipv6: "2001:db8::2", labels: ["role": "backend"],
            ports: [("http", "TCP", 8080), ("metrics", "TCP", 9090)]),
        Pod(
            namespace: "shop", name: "db", ipv4: "192.0.2.3", labels: ["role": "db"], serviceAccount: "db-sa",
            ports: [("pg", "TCP", 5432), ("http", "TCP", 8081)]),
        Pod(namespace: "dev", name: "tester", ipv4: "192.0.2.10", labels: ["role": "frontend"]),
        Pod(namespace: "ops", name: "monitor", ipv4: "192.0.2.20", labels: ["role": "monitor"]),
        Pod(namespace: "shop", name: "remote", ipv4: "192.0.2.30", labels: ["role": "frontend"], node: "node-2"),
        Pod(namespace: "shop", name: "lonely", ipv4: "192.0.2.40", labels: ["role": "backend"], profiles: []),
        Pod(namespace: "shop", name: "ghost", ipv4: "192.0.2.41", labels: ["role": "backend"], profiles: ["missing"]),
        Pod(namespace: "shop", name: "sa-only", ipv4: "192.0.2.42", labels: [:], profiles: ["ksa.shop.x"]),
    ]

    static func pod(_ key: String) -> Pod { pods.first { $0.key == key }! }

    /// Namespaces `shop` (env=prod) and `dev` (env=dev); `ops` has pods but no Namespace resource.
    static let base: String =
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {env: prod, team: a}}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: dev, labels: {env: dev}}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: blocked, labels: {feed: blocked}}
        spec: {nets: [203.0.113.0/25]}
        ---
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata: {name: node-1-eth0, labels: {host: node-1}}
        spec: {node: node-1, interfaceName: eth0, expectedIPs: [198.51.100.1]}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pods}
        spec: {cidr: 192.0.2.0/24, natOutgoing: true}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pods6}
        spec: {cidr: "2001:db8::/64"}

        """ + pods.map { "---\n" + $0.yaml }.joined()

    static func resources(_ extra: String) throws -> [AnyResource] {
        let text = extra.isEmpty ? base : base + "---\n" + extra
        do {
            return try ResourceCodec.decodeAll(text)
        } catch {
            Issue.record("fixture does not decode: \(error)")
            throw error
        }
    }

    static func state(_ extra: String = "") throws -> TestPolicyState {
        var state = TestPolicyState()
        for resource in try resources(extra) { state.upsert(resource) }
        return state
    }
}

/// Names a packet's peer in a test table: a pod (`ns/name`, optionally `@6` for its IPv6 address) or a bare
/// address (with the labels of the network set containing it, when there is one).
struct Peer: CustomStringConvertible, Sendable {
    var text: String
    init(_ text: String) { self.text = text }
    var description: String { text }

    func resolve(in state: TestPolicyState) -> PacketPeer {
        let v6 = text.hasSuffix("@6")
        let name = v6 ? String(text.dropLast(2)) : text
        if name.contains("/") {
            let pod = PolicyWorld.pod(name)
            let key = ResourceKey(kind: .workloadEndpoint, namespace: pod.namespace, name: pod.name)
            let ports = pod.ports.map {
                EndpointPort(name: $0.name, protocol: .name($0.protocol), port: UInt16($0.port))
            }
            return PacketPeer(
                IPAddress(v6 ? pod.ipv6! : pod.ipv4)!, labels: state.effectiveLabels(of: key), namedPorts: ports)
        }
        let address = IPAddress(name)!
        if address == IPAddress("198.51.100.1") {
            return PacketPeer(
                address, labels: state.effectiveLabels(of: ResourceKey(kind: .hostEndpoint, name: "node-1-eth0")))
        }
        if (try! CIDR(parsing: "203.0.113.0/25")).contains(address) {
            return PacketPeer(
                address, labels: state.effectiveLabels(of: ResourceKey(kind: .globalNetworkSet, name: "blocked")))
        }
        return PacketPeer(address)
    }
}

/// A packet in a test table.
enum Traffic: CustomStringConvertible, Sendable {
    case tcp(UInt16)
    case udp(UInt16)
    case sctp(UInt16)
    case icmp(type: UInt8, code: UInt8)
    case proto(UInt8)

    static let ping = Traffic.icmp(type: 8, code: 0)

    var description: String {
        switch self {
        case .tcp(let port): "tcp/\(port)"
        case .udp(let port): "udp/\(port)"
        case .sctp(let port): "sctp/\(port)"
        case .icmp(let type, let code): "icmp \(type)/\(code)"
        case .proto(let number): "proto \(number)"
        }
    }

    func packet(from source: PacketPeer, to destination: PacketPeer) -> PacketDescription {
        switch self {
        case .tcp(let port): .transport(6, from: source, to: destination, port: port)
        case .udp(let port): .transport(17, from: source, to: destination, port: port)
        case .sctp(let port): .transport(132, from: source, to: destination, port: port)
        case .icmp(let type, let code): .icmp(from: source, to: destination, type: type, code: code)
        case .proto(let number): PacketDescription(source: source, destination: destination, protocol: number)
        }
    }
}

/// One row of a policy table: with `policies` added to the world, a packet from `from` to `to` is seen at the
/// endpoint `at` (the destination's for ingress, the source's for egress) and gets `expected`.
struct PolicyCase: CustomTestStringConvertible, Sendable {
    var scenario: String
    var policies: String
    var from: Peer
    var to: Peer
    var traffic: Traffic
    var direction: PolicyType
    var expected: PolicyVerdict.Decision

    var testDescription: String {
        "\(scenario): \(traffic) \(from) -> \(to) \(direction.rawValue) => \(expected.rawValue)"
    }

    /// Evaluates the row both ways (set members by address, selectors on labels) and checks that both agree
    /// with the expectation. Returns the address-based verdict.
    @discardableResult
    func check(state: TestPolicyState? = nil) throws -> PolicyVerdict {
        let state = try state ?? PolicyWorld.state(policies)
        let local = direction == .ingress ? to : from
        let key: ResourceKey
        if local.text.contains("/") {
            let pod = PolicyWorld.pod(local.text.replacingOccurrences(of: "@6", with: ""))
            key = ResourceKey(kind: .workloadEndpoint, namespace: pod.namespace, name: pod.name)
        } else {
            key = ResourceKey(kind: .hostEndpoint, name: "node-1-eth0")
        }
        let node = try #require(state.node(of: key))
        let program = PolicyCalculator.program(state: state, node: node)
        let endpoint = try #require(
            key.kind == .hostEndpoint
                ? program.hostEndpoints.first { $0.name == key.name }
                : program.workloadEndpoints.values.first { $0.key == key })
        let packet = traffic.packet(from: from.resolve(in: state), to: to.resolve(in: state))
        let byAddress = PolicyEvaluator(program: program, matching: .addresses).evaluate(
            packet, endpoint: endpoint, direction: direction)
        let byLabels = PolicyEvaluator(program: program, matching: .labels).evaluate(
            packet, endpoint: endpoint, direction: direction)
        #expect(byAddress.decision == expected, "\(testDescription): got \(byAddress)")
        #expect(byAddress == byLabels, "\(testDescription): by address \(byAddress), by labels \(byLabels)")
        return byAddress
    }
}
