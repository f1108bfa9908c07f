import NetworkAddress
import Testing

@testable import CalicoAPI

/// Calico's validator rules for WorkloadEndpoints, HostEndpoints, IPPools and Nodes, as vectors: each invalid
/// input must be refused at its field, each valid one accepted.
@Suite("Validation parity: endpoints, pools and nodes")
struct EndpointPoolNodeParityTests {
    static let wep = "node: n1\ninterfaceName: cali1\n"

    static let invalid: [InvalidCase] = [
        // WorkloadEndpoint interface names: Calico allows letters, digits, '_', '.' and '-' only.
        InvalidCase(
            "WorkloadEndpoint", "node: n1\ninterfaceName: cali&1", namespace: "default",
            field: "spec.interfaceName", "not a valid interface name"),
        InvalidCase(
            "WorkloadEndpoint", "node: n1\ninterfaceName: \"cali#1\"", namespace: "default",
            field: "spec.interfaceName", "not a valid interface name"),
        InvalidCase(
            "WorkloadEndpoint", "node: n1\ninterfaceName: \"cali:1\"", namespace: "default",
            field: "spec.interfaceName", "not a valid interface name"),
        InvalidCase(
            "WorkloadEndpoint", "node: n1\ninterfaceName: \"*\"", namespace: "default",
            field: "spec.interfaceName", "for HostEndpoints"),
        // ipNATs: one family per NAT, and the internal address must be the endpoint's.
        InvalidCase(
            "WorkloadEndpoint",
            wep + "ipNetworks: [10.0.0.1/32]\nipNATs: [{internalIP: 10.0.0.1, externalIP: \"2001:db8::1\"}]",
            namespace: "default", field: "spec.ipNATs[0].externalIP", "one family"),
        InvalidCase(
            "WorkloadEndpoint",
            wep + "ipNetworks: [10.0.0.1/32]\nipNATs: [{internalIP: 10.0.0.2, externalIP: 192.0.2.1}]",
            namespace: "default", field: "spec.ipNATs[0].internalIP", "not one of the endpoint's ipNetworks"),
        InvalidCase(
            "WorkloadEndpoint", wep + "ipNATs: [{internalIP: 10.0.0.2, externalIP: 192.0.2.1}]",
            namespace: "default", field: "spec.ipNATs[0].internalIP", "not one of the endpoint's ipNetworks"),
        // containerID: letters, digits and '-', with a letter or digit at each end.
        InvalidCase(
            "WorkloadEndpoint", wep + "containerID: abc_def", namespace: "default", field: "spec.containerID",
            "not a container ID"),
        InvalidCase(
            "WorkloadEndpoint", wep + "containerID: -abc", namespace: "default", field: "spec.containerID",
            "not a container ID"),
        InvalidCase(
            "WorkloadEndpoint", wep + "containerID: \"abc def\"", namespace: "default",
            field: "spec.containerID", "not a container ID"),
        // Ports.
        InvalidCase(
            "WorkloadEndpoint", wep + "ports: [{name: web, protocol: TCP, port: 0}]", namespace: "default",
            field: "spec.ports[0].port", "between 1 and 65535"),
        InvalidCase(
            "WorkloadEndpoint", wep + "ports: [{protocol: TCP, port: 80}]", namespace: "default",
            field: "spec.ports[0].name", "unless it sets a hostPort"),
        InvalidCase(
            "WorkloadEndpoint", wep + "ports: [{name: Web, protocol: TCP, port: 80}]", namespace: "default",
            field: "spec.ports[0].name", "lowercase letters"),
        InvalidCase(
            "WorkloadEndpoint", wep + "ports: [{name: web-server-port-1, protocol: TCP, port: 80}]",
            namespace: "default", field: "spec.ports[0].name", "longer than 15"),
        InvalidCase(
            "WorkloadEndpoint", wep + "ports: [{name: \"8080\", protocol: TCP, port: 80}]",
            namespace: "default", field: "spec.ports[0].name", "at least one letter"),
        InvalidCase(
            "WorkloadEndpoint", wep + "ports: [{name: a--b, protocol: TCP, port: 80}]", namespace: "default",
            field: "spec.ports[0].name", "\"--\""),
        InvalidCase(
            "WorkloadEndpoint", wep + "allowSpoofedSourcePrefixes: [192.0.2.300]", namespace: "default",
            field: "spec.allowSpoofedSourcePrefixes[0]", "invalid CIDR"),
        InvalidCase(
            "WorkloadEndpoint", wep + "profiles: [Kns.Default]", namespace: "default",
            field: "spec.profiles[0]", "not a valid name"),
        InvalidCase(
            "WorkloadEndpoint", wep + "pod: My_Pod", namespace: "default", field: "spec.pod",
            "not a valid name"),
        // HostEndpoint.
        InvalidCase(
            "HostEndpoint", "node: n1\ninterfaceName: eth0\nprofiles: [Not_A_Name]", field: "spec.profiles[0]",
            "not a valid name"),
        InvalidCase(
            "HostEndpoint", "node: n1\ninterfaceName: eth0\nprofiles: [\"\"]", field: "spec.profiles[0]",
            "must not be empty"),
        InvalidCase(
            "HostEndpoint", "node: n1\ninterfaceName: \"eth:0\"", field: "spec.interfaceName",
            "not a valid interface name"),
        InvalidCase(
            "HostEndpoint", "node: n1\ninterfaceName: eth0123456789abc", field: "spec.interfaceName",
            "15-character"),
        InvalidCase(
            "HostEndpoint", "node: n1\ninterfaceName: eth0\nports: [{protocol: TCP, port: 22}]",
            field: "spec.ports[0].name", "needs a name"),
        InvalidCase("HostEndpoint", "node: N1\ninterfaceName: eth0", field: "spec.node", "not a valid name"),
        // IPPool.
        InvalidCase(
            "IPPool", "cidr: 192.0.2.0/24\nallowedUses: [LoadBalancer]\ndisableBGPExport: true",
            field: "spec.disableBGPExport", "cannot disable export"),
        InvalidCase(
            "IPPool", "cidr: 192.0.2.0/24\nallowedUses: [Tunnel]\nnamespaceSelector: team == 'a'",
            field: "spec.namespaceSelector", "Tunnel"),
        InvalidCase(
            "IPPool", "cidr: 192.0.2.0/24\nnamespaceSelector: team == 'a'", field: "spec.namespaceSelector",
            "allowedUses to [Workload]"),
        InvalidCase(
            "IPPool", "cidr: 192.0.2.0/24\nallowedUses: [LoadBalancer]\nnodeSelector: zone == 'a'",
            field: "spec.nodeSelector", "all()"),
        // Node.
        InvalidCase("Node", "bgp: {ipv4Address: 192.0.2.300}", field: "spec.bgp.ipv4Address", "invalid CIDR"),
        InvalidCase("Node", "bgp: {ipv6Address: 192.0.2.1}", field: "spec.bgp.ipv6Address", "not an IPv6"),
    ]

    @Test("rejects", arguments: invalid)
    func rejects(_ invalid: InvalidCase) throws { try expectRefused(invalid) }

    static let valid: [String] = [
        manifest("WorkloadEndpoint", namespace: "default", spec: "node: n1\ninterfaceName: cali_a.b-1"),
        manifest(
            "WorkloadEndpoint", namespace: "default",
            spec: wep + """
                ipNetworks: [10.0.0.1/32, "2001:db8::1/128"]
                ipNATs: [{internalIP: 10.0.0.1, externalIP: 192.0.2.1}, {internalIP: "2001:db8::1", externalIP: "2001:db8::99"}]
                """),
        manifest("WorkloadEndpoint", namespace: "default", spec: wep + "ipNetworks: [10.0.0.1]"),
        manifest("WorkloadEndpoint", namespace: "default", spec: wep + "containerID: 0a1B2c3D-4e5f"),
        manifest(
            "WorkloadEndpoint", namespace: "default", spec: wep + "ports: [{protocol: TCP, port: 80, hostPort: 8080}]"),
        manifest(
            "WorkloadEndpoint", namespace: "default",
            spec: wep + """
                ports: [{protocol: TCP, port: 80, hostPort: 8080}, {protocol: UDP, port: 53, hostPort: 5353}]
                """),
        manifest("WorkloadEndpoint", namespace: "default", spec: wep + "ports: [{name: h2c, protocol: SCTP, port: 9}]"),
        manifest(
            "WorkloadEndpoint", namespace: "default",
            spec: wep + "allowSpoofedSourcePrefixes: [192.0.2.7, 198.51.100.0/24]"),
        manifest("WorkloadEndpoint", namespace: "default", spec: wep + "profiles: [kns.default, ksa.default.builder]"),
        manifest("HostEndpoint", spec: "node: n1\ninterfaceName: eth0.100\nprofiles: [edge, kns.default]"),
        manifest(
            "HostEndpoint", spec: "node: n1\ninterfaceName: bond_0\nports: [{name: ssh, protocol: TCP, port: 22}]"),
        manifest("IPPool", spec: "cidr: 192.0.2.0/24\nallowedUses: [LoadBalancer]\ndisableBGPExport: false"),
        manifest("IPPool", spec: "cidr: 192.0.2.0/24\nallowedUses: [Workload]\nnamespaceSelector: team == 'a'"),
        manifest("IPPool", spec: "cidr: 192.0.2.0/24\nallowedUses: [Workload, Tunnel]\ndisableBGPExport: true"),
        manifest("Node", spec: "bgp: {ipv4Address: 192.0.2.10}"),
        // Calico rejects an empty bgp; Tabby's IPAM leaves one when it releases a node's last tunnel address.
        manifest("Node", spec: "bgp: {}"),
        manifest("Node", spec: "bgp: {ipv6Address: \"2001:db8::10/64\", asNumber: 64512}"),
    ]

    @Test("accepts", arguments: valid)
    func accepts(_ document: String) { expectAccepted(document) }

    @Test func aBareSpoofedSourceIsItsHostPrefix() throws {
        let resource = try ResourceCodec.decodeOne(
            manifest(
                "WorkloadEndpoint", namespace: "default", spec: Self.wep + "allowSpoofedSourcePrefixes: [192.0.2.7]"))
        let endpoint = try #require(resource.as(WorkloadEndpoint.self))
        #expect(endpoint.spec.allowSpoofedSourcePrefixes == [CIDR("192.0.2.7/32")!])
    }

    @Test func aHostPortWithoutANameSurvivesARoundTrip() throws {
        let resource = try ResourceCodec.decodeOne(
            manifest(
                "WorkloadEndpoint", namespace: "default",
                spec: Self.wep + "ports: [{protocol: TCP, port: 80, hostPort: 8080}]"))
        let yaml = ResourceCodec.yaml(resource)
        #expect(!yaml.contains("name: \"\""))
        let again = try ResourceCodec.decodeOne(yaml)
        #expect(again == resource)
    }

    @Test func aBareNodeAddressIsItsHostPrefix() throws {
        let resource = try ResourceCodec.decodeOne(manifest("Node", spec: "bgp: {ipv4Address: 192.0.2.10}"))
        let node = try #require(resource.as(Node.self))
        #expect(node.spec.bgp?.ipv4Address == CIDR("192.0.2.10/32")!)
    }
}
