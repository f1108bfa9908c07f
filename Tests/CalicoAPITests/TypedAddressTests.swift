import NetworkAddress
import Testing

@testable import CalicoAPI

/// Addresses are parsed once, when a resource is decoded: the fields hold typed values, a bad address is
/// reported with the field's path, line and the words validation has always used, and writing the resource
/// back gives the text it was read from.
@Suite("Typed address fields")
struct TypedAddressTests {
    static let workload = """
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: n1-k8s-web-eth0, namespace: prod}
        spec:
          node: n1
          interfaceName: cali0123456789a
          ipNetworks: [10.244.0.5/32, "2001:db8::5/128"]
          ipNATs: [{internalIP: 10.244.0.5, externalIP: 198.51.100.5}]
          ipv4Gateway: 169.254.1.1
          mac: EE:EE:EE:EE:EE:05
          allowSpoofedSourcePrefixes: [192.0.2.0/24]
        """

    static let node = """
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: n1}
        spec:
          bgp: {ipv4Address: 192.0.2.10/24, ipv6Address: "2001:db8::10/64", ipv4IPIPTunnelAddr: 10.244.0.1}
          ipv4VXLANTunnelAddr: 10.244.0.2
          vxlanTunnelMACAddr: 66:aa:bb:cc:dd:ee
          addresses: [{address: 192.0.2.10, type: InternalIP}, {address: 192.0.2.10/24}]
        """

    static let pool = """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pool}
        spec: {cidr: "2001:db8:1::/48"}
        """

    @Test func workloadEndpointFieldsAreTyped() throws {
        let spec = try #require(try ResourceCodec.decodeOne(Self.workload).as(WorkloadEndpoint.self)).spec
        #expect(spec.ipNetworks == [CIDR("10.244.0.5/32")!, CIDR("2001:db8::5/128")!])
        #expect(spec.ipNATs == [.init(internalIP: IPAddress("10.244.0.5")!, externalIP: IPAddress("198.51.100.5")!)])
        #expect(spec.ipv4Gateway == IPAddress("169.254.1.1"))
        #expect(spec.mac == MACAddress(0xeeee_eeee_ee05))
        #expect(spec.allowSpoofedSourcePrefixes == [CIDR("192.0.2.0/24")!])
    }

    @Test func nodeFieldsAreTypedAndKeepTheirHostBits() throws {
        let spec = try #require(try ResourceCodec.decodeOne(Self.node).as(Node.self)).spec
        let ipv4 = try #require(spec.bgp?.ipv4Address)
        #expect(ipv4.address == IPAddress("192.0.2.10"))
        #expect(ipv4.prefixLength == 24)
        #expect(spec.bgp?.ipv6Address == CIDR("2001:db8::10/64"))
        #expect(spec.bgp?.ipv4IPIPTunnelAddr == IPAddress("10.244.0.1"))
        #expect(spec.ipv4VXLANTunnelAddr == IPAddress("10.244.0.2"))
        #expect(spec.vxlanTunnelMACAddr == MACAddress("66:aa:bb:cc:dd:ee"))
        #expect(spec.addresses?.map(\.address) == [IPNetwork("192.0.2.10")!, IPNetwork("192.0.2.10/24")!])
        #expect(spec.addresses?.first?.address.isBareAddress == true)
    }

    @Test func poolAndBlockCIDRsAreTyped() throws {
        let pool = try #require(try ResourceCodec.decodeOne(Self.pool).as(IPPool.self))
        #expect(pool.spec.cidr == CIDR("2001:db8:1::/48"))
        #expect(pool.spec.blockSize == 122)
        let affinity = try ResourceCodec.decodeOne(
            manifest("BlockAffinity", spec: "state: confirmed\nnode: n1\ncidr: 192.0.2.0/26"))
        #expect(affinity.as(BlockAffinity.self)?.spec.cidr == CIDR("192.0.2.0/26"))
    }

    @Test func ruleAndNetworkSetNetsRememberHowTheyWereWritten() throws {
        let policy = try ResourceCodec.decodeOne(
            manifest(
                "GlobalNetworkPolicy", spec: "ingress: [{action: Deny, source: {nets: [198.51.100.7, 10.0.0.0/8]}}]"))
        let nets = try #require(policy.as(GlobalNetworkPolicy.self)?.spec.ingress?.first?.source?.nets)
        #expect(nets.map(\.cidr) == [CIDR("198.51.100.7/32")!, CIDR("10.0.0.0/8")!])
        #expect(nets.map(\.description) == ["198.51.100.7", "10.0.0.0/8"])
        let set = try ResourceCodec.decodeOne(manifest("GlobalNetworkSet", spec: "nets: [203.0.113.0/24, 2001:db8::1]"))
        #expect(set.as(GlobalNetworkSet.self)?.spec.nets == [IPNetwork("203.0.113.0/24")!, IPNetwork("2001:db8::1")!])
    }

    @Test func writingBackGivesTheTextThatWasRead() throws {
        for text in [Self.workload, Self.node, Self.pool] {
            let resource = try ResourceCodec.decodeOne(text)
            let yaml = ResourceCodec.yaml(resource)
            #expect(try ResourceCodec.decodeOne(yaml) == resource)
            #expect(try ResourceCodec.decodeOne(ResourceCodec.json(resource)) == resource)
        }
        // Addresses are written as the strings they were (quoted where YAML would read them otherwise), a bare
        // address stays bare and an interface address keeps its host bits.
        let node = ResourceCodec.yaml(try ResourceCodec.decodeOne(Self.node))
        for written in [
            "ipv4Address: 192.0.2.10/24", #"- address: "192.0.2.10""#, "- address: 192.0.2.10/24",
            #"vxlanTunnelMACAddr: "66:aa:bb:cc:dd:ee""#,
        ] {
            #expect(node.contains(written), "\(node)")
        }
        // A MAC is written in the lower-case colon form the kernel prints.
        let workload = ResourceCodec.yaml(try ResourceCodec.decodeOne(Self.workload))
        #expect(workload.contains("ee:ee:ee:ee:ee:05") && !workload.contains("EE:"))
    }

    struct BadAddress: CustomTestStringConvertible, Sendable {
        var document: String
        var field: String
        var reason: String
        var line: Int
        var testDescription: String { "\(field): \(reason)" }

        init(_ kind: String, _ spec: String, namespace: String? = nil, field: String, line: Int = 7, _ reason: String) {
            document = manifest(kind, namespace: namespace, spec: spec)
            self.field = field
            self.reason = reason
            self.line = line
        }
    }

    static let badAddresses: [BadAddress] = [
        BadAddress(
            "IPPool", "cidr: 192.0.2.0/33", field: "spec.cidr",
            #"invalid CIDR "192.0.2.0/33": prefix length 33 is out of range 0-32 for IPv4"#),
        BadAddress(
            "IPPool", "cidr: 192.0.2.0", field: "spec.cidr",
            #"invalid CIDR "192.0.2.0": a prefix length is missing (write it as in 192.0.2.0/24 or 2001:db8::/32)"#),
        BadAddress(
            "WorkloadEndpoint", "node: n1\ninterfaceName: cali0\nipNetworks: [10.0.0.1/32, 10.0.0.300/32]",
            namespace: "prod", field: "spec.ipNetworks[1]", line: 9,
            #"invalid CIDR "10.0.0.300/32": address "10.0.0.300" is not valid: "300" is greater than 255"#),
        BadAddress(
            "WorkloadEndpoint", "node: n1\ninterfaceName: cali0\nmac: ee:ee", namespace: "prod", field: "spec.mac",
            line: 9, #"invalid MAC address "ee:ee" (expected six hex pairs like ee:ee:ee:ee:ee:ee)"#),
        BadAddress(
            "WorkloadEndpoint", "node: n1\ninterfaceName: cali0\nipNATs: [{internalIP: x, externalIP: 192.0.2.1}]",
            namespace: "prod", field: "spec.ipNATs[0].internalIP", line: 9, #"invalid IP address "x""#),
        BadAddress(
            "Node", "bgp: {ipv4IPIPTunnelAddr: nope}", field: "spec.bgp.ipv4IPIPTunnelAddr",
            #"invalid IP address "nope""#
        ),
        BadAddress(
            "Node", "addresses: [{address: 192.0.2.1/99}]", field: "spec.addresses[0].address",
            #""192.0.2.1/99" is neither an IP address nor a CIDR"#),
        BadAddress(
            "HostEndpoint", "node: n1\nexpectedIPs: [192.0.2.999]", field: "spec.expectedIPs[0]", line: 8,
            #"invalid IP address "192.0.2.999""#),
        BadAddress(
            "GlobalNetworkPolicy", "ingress: [{action: Deny, source: {nets: [10.0.0.0/99]}}]",
            field: "spec.ingress[0].source.nets[0]", #"invalid CIDR "10.0.0.0/99""#),
        BadAddress(
            "GlobalNetworkSet", "nets: [192.0.2.0/24, example.com]", field: "spec.nets[1]",
            #"invalid network "example.com" (expected a CIDR or an IP address)"#),
        BadAddress(
            "FelixConfiguration", "externalNodesList: [10.0.0.0/8, 10.0.0.0/40]",
            field: "spec.externalNodesList[1]", #"invalid CIDR "10.0.0.0/40""#),
    ]

    @Test("a bad address is reported as validation reported it", arguments: badAddresses)
    func badAddress(_ bad: BadAddress) throws {
        let decoded = ResourceCodec.decode(bad.document, source: "case.yaml")
        #expect(decoded.resources.isEmpty)
        let error = try #require(decoded.errors.first, "accepted: \(bad.document)")
        #expect(error.field == bad.field)
        #expect(error.reason == bad.reason)
        #expect(error.location?.line == bad.line, "\(error)")
        #expect(error.description.hasPrefix("case.yaml: document 1 (line \(bad.line)"))
    }
}
