import NetworkAddress
import Testing

@testable import CalicoAPI

/// A manifest of `kind` with `spec` (YAML, indented under `spec:`), for validation cases.
func manifest(_ kind: String, name: String = "x", namespace: String? = nil, spec: String) -> String {
    let specLines = spec.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    return """
        apiVersion: projectcalico.org/v3
        kind: \(kind)
        metadata:
          name: \(name)
        \(namespace.map { "  namespace: \($0)" } ?? "")
        spec:
        \(specLines)
        """
}

struct InvalidCase: CustomTestStringConvertible, Sendable {
    var document: String
    var field: String
    var reason: String
    var testDescription: String { "\(field): \(reason)" }

    init(_ kind: String, _ spec: String, namespace: String? = nil, name: String = "x", field: String, _ reason: String) {
        self.document = manifest(kind, name: name, namespace: namespace, spec: spec)
        self.field = field
        self.reason = reason
    }
}

/// The check of every `rejects` vector: the document is refused, with an error at the case's field whose reason
/// says what the case expects. Returns the error for further checks.
@discardableResult
func expectRefused(_ invalid: InvalidCase, source: String = "case.yaml") throws -> ResourceError {
    let decoded = ResourceCodec.decode(invalid.document, source: source)
    #expect(decoded.resources.isEmpty, "accepted: \(invalid.document.prefix(400))")
    let error = try #require(decoded.errors.first { $0.field == invalid.field }, "errors: \(decoded.errors)")
    #expect(error.reason.contains(invalid.reason), "reason: \(error.reason)")
    return error
}

/// The check of every `accepts` vector: one resource, no errors.
func expectAccepted(_ document: String) {
    let decoded = ResourceCodec.decode(document)
    #expect(decoded.errors.isEmpty, "\(decoded.errors)")
    #expect(decoded.resources.count == 1)
}

@Suite("Validation rules")
struct ValidationTests {
    static let invalid: [InvalidCase] = [
        // IPPool
        InvalidCase("IPPool", "cidr: 192.0.2.1/24", field: "spec.cidr", "host bits are set; did you mean 192.0.2.0/24"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/33", field: "spec.cidr", "invalid CIDR"),
        InvalidCase("IPPool", "natOutgoing: true", field: "spec.cidr", "required field is missing"),
        InvalidCase("IPPool", "cidr: 169.254.0.0/16", field: "spec.cidr", "link-local"),
        InvalidCase("IPPool", "cidr: fe80::/64", field: "spec.cidr", "link-local"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nblockSize: 19", field: "spec.blockSize", "between 20 and 32"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nblockSize: 33", field: "spec.blockSize", "between 20 and 32"),
        InvalidCase("IPPool", "cidr: 2001:db8::/64\nblockSize: 115", field: "spec.blockSize", "between 116 and 128"),
        InvalidCase("IPPool", "cidr: 2001:db8::/64\nblockSize: 129", field: "spec.blockSize", "between 116 and 128"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/28\nblockSize: 26", field: "spec.blockSize", "smaller than one block"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/28", field: "spec.blockSize", "smaller than one block of /26"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nipipMode: Always\nvxlanMode: Always", field: "spec.ipipMode",
                    "cannot both be enabled"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nipipMode: CrossSubnet\nvxlanMode: Always", field: "spec.ipipMode",
                    "cannot both be enabled"),
        InvalidCase("IPPool", "cidr: 2001:db8::/64\nipipMode: Always", field: "spec.ipipMode", "not supported on IPv6"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nipipMode: Sometimes", field: "spec.ipipMode", "Sometimes"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nnodeSelector: global()", field: "spec.nodeSelector", "global()"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nnodeSelector: \"a == \"", field: "spec.nodeSelector", "invalid selector"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nallowedUses: [LoadBalancer, Workload]", field: "spec.allowedUses",
                    "LoadBalancer cannot be combined"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nallowedUses: [Workload, Workload]", field: "spec.allowedUses",
                    "more than once"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nallowedUses: [Everything]", field: "spec.allowedUses[0]", "Everything"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nallowedUses: [LoadBalancer]\nvxlanMode: Always",
                    field: "spec.allowedUses", "cannot use encapsulation"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nnatOutgoing: yes please", field: "spec.natOutgoing", "true or false"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24\nblockSize: 26.5", field: "spec.blockSize", "expected an integer"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24", name: "Bad_Name", field: "metadata.name", "not a valid name"),
        InvalidCase("IPPool", "cidr: 192.0.2.0/24", namespace: "default", field: "metadata.namespace", "not namespaced"),
        // Node
        InvalidCase("Node", "bgp: {ipv4Address: 192.0.2.300/24}", field: "spec.bgp.ipv4Address", "invalid CIDR"),
        InvalidCase("Node", "bgp: {ipv4Address: 2001:db8::1/64}", field: "spec.bgp.ipv4Address", "not an IPv4"),
        InvalidCase("Node", "ipv4VXLANTunnelAddr: 2001:db8::1", field: "spec.ipv4VXLANTunnelAddr", "not an IPv4"),
        InvalidCase("Node", "vxlanTunnelMACAddr: 66:aa:bb", field: "spec.vxlanTunnelMACAddr", "invalid MAC"),
        InvalidCase("Node", "bgp: {ipv4IPIPTunnelAddr: nope}", field: "spec.bgp.ipv4IPIPTunnelAddr", "invalid IP"),
        // WorkloadEndpoint
        InvalidCase("WorkloadEndpoint", "interfaceName: cali0123456789a", namespace: "default", field: "spec.node",
                    "required"),
        InvalidCase("WorkloadEndpoint", "node: n1", namespace: "default", field: "spec.interfaceName", "required"),
        InvalidCase("WorkloadEndpoint", "node: n1\ninterfaceName: cali0123456789abcdef", namespace: "default",
                    field: "spec.interfaceName", "15-character"),
        InvalidCase("WorkloadEndpoint", "node: n1\ninterfaceName: cali1\nipNetworks: [192.0.2.0/24]",
                    namespace: "default", field: "spec.ipNetworks[0]", "/32"),
        InvalidCase("WorkloadEndpoint", "node: n1\ninterfaceName: cali1\nmac: zz:zz:zz:zz:zz:zz", namespace: "default",
                    field: "spec.mac", "invalid MAC"),
        InvalidCase("WorkloadEndpoint", "node: n1\ninterfaceName: cali1\nports: [{name: web, protocol: ICMP, port: 80}]",
                    namespace: "default", field: "spec.ports[0].protocol", "TCP, UDP or SCTP"),
        InvalidCase("WorkloadEndpoint", "node: n1\ninterfaceName: cali1\nports: [{name: web, protocol: TCP, port: 70000}]",
                    namespace: "default", field: "spec.ports[0].port", "out of range"),
        InvalidCase("WorkloadEndpoint", "node: n1\ninterfaceName: cali1", field: "metadata.namespace",
                    "must have a namespace"),
        // HostEndpoint
        InvalidCase("HostEndpoint", "node: n1", field: "spec.interfaceName", "either interfaceName or expectedIPs"),
        InvalidCase("HostEndpoint", "node: n1\nexpectedIPs: [192.0.2.999]", field: "spec.expectedIPs[0]", "invalid IP"),
        InvalidCase("HostEndpoint", "interfaceName: eth0", field: "spec.node", "required"),
        // Policy
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Accept}]", field: "spec.ingress[0].action", "Accept"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, destination: {ports: [80]}}]",
                    field: "spec.ingress[0].destination.ports", "TCP, UDP or SCTP"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: ICMP, destination: {ports: [80]}}]",
                    field: "spec.ingress[0].destination.ports", "TCP, UDP or SCTP"),
        InvalidCase("GlobalNetworkPolicy", "egress: [{action: Allow, source: {notPorts: [53]}}]",
                    field: "spec.egress[0].source.notPorts", "TCP, UDP or SCTP"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: TCP, icmp: {type: 8}}]",
                    field: "spec.ingress[0].icmp", "ICMP or ICMPv6"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, icmp: {type: 8}}]",
                    field: "spec.ingress[0].icmp", "ICMP or ICMPv6"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: ICMP, icmp: {code: 0}}]",
                    field: "spec.ingress[0].icmp.code", "needs an ICMP type"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: ICMP, icmp: {type: 255}}]",
                    field: "spec.ingress[0].icmp.type", "between 0 and 254"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: ICMP, icmp: {type: 3, code: 256}}]",
                    field: "spec.ingress[0].icmp.code", "between 0 and 255"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: ICMP, ipVersion: 6}]",
                    field: "spec.ingress[0].protocol", "IPv4-only"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, notProtocol: ICMPv6, ipVersion: 4}]",
                    field: "spec.ingress[0].notProtocol", "IPv6-only"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, ipVersion: 5}]", field: "spec.ingress[0].ipVersion",
                    "must be 4 or 6"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: Banana}]",
                    field: "spec.ingress[0].protocol", "unknown protocol"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: 0}]", field: "spec.ingress[0].protocol",
                    "1 to 255"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, ipVersion: 4, source: {nets: [2001:db8::/32]}}]",
                    field: "spec.ingress[0].source.nets[0]", "not an IPv4 network"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, source: {nets: [not-a-net]}}]",
                    field: "spec.ingress[0].source.nets[0]", "invalid CIDR"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: TCP, destination: {ports: [\"90:80\"]}}]",
                    field: "spec.ingress[0].destination.ports[0]", "minimum above its maximum"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: TCP, destination: {ports: [\"1:x\"]}}]",
                    field: "spec.ingress[0].destination.ports[0]", "invalid port range"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, protocol: TCP, destination: {ports: [Web_Port]}}]",
                    field: "spec.ingress[0].destination.ports[0]", "not a port number, range or name"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, source: {selector: global()}}]",
                    field: "spec.ingress[0].source.selector", "global()"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Allow, source: {services: {name: s}, selector: a == 'b'}}]",
                    field: "spec.ingress[0].source.services", "cannot be combined"),
        InvalidCase("GlobalNetworkPolicy", "ingress: [{action: Deny, http: {methods: [GET]}}]",
                    field: "spec.ingress[0].http", "only allowed on Allow rules"),
        InvalidCase("GlobalNetworkPolicy", "types: [Ingress, Ingress]", field: "spec.types", "more than once"),
        InvalidCase("GlobalNetworkPolicy", "preDNAT: true\ningress: [{action: Allow}]", field: "spec.applyOnForward",
                    "preDNAT policies must set applyOnForward"),
        InvalidCase("GlobalNetworkPolicy", "preDNAT: true\napplyOnForward: true\negress: [{action: Allow}]\ntypes: [Egress]",
                    field: "spec.egress", "preDNAT policies cannot have egress"),
        InvalidCase("GlobalNetworkPolicy", "doNotTrack: true\npreDNAT: true\napplyOnForward: true", field: "spec.preDNAT",
                    "cannot both be set"),
        InvalidCase("GlobalNetworkPolicy", "doNotTrack: true", field: "spec.applyOnForward", "doNotTrack policies"),
        InvalidCase("GlobalNetworkPolicy", "selector: has(", field: "spec.selector", "invalid selector"),
        InvalidCase("GlobalNetworkPolicy", "performanceHints: [Fast]", field: "spec.performanceHints[0]", "unknown hint"),
        InvalidCase("GlobalNetworkPolicy", "order: abc", field: "spec.order", "expected a number"),
        InvalidCase("NetworkPolicy", "selector: global()", namespace: "default", field: "spec.selector", "global()"),
        InvalidCase("NetworkPolicy", "namespaceSelector: all()", namespace: "default", field: "spec.namespaceSelector",
                    "unknown field"),
        InvalidCase("NetworkPolicy", "tier: Bad_Tier", namespace: "default", field: "spec.tier", "not a valid name"),
        // Tier, Profile, sets
        InvalidCase("Tier", "defaultAction: Allow", field: "spec.defaultAction", "Allow"),
        InvalidCase("Profile", "labelsToApply: {\"-bad\": x}", field: "spec.labelsToApply.-bad", "invalid label key"),
        InvalidCase("Profile", "egress: [{action: Allow, protocol: TCP, icmp: {type: 0}}]", field: "spec.egress[0].icmp",
                    "ICMP or ICMPv6"),
        InvalidCase("GlobalNetworkSet", "nets: [198.51.100.0/40]", field: "spec.nets[0]", "invalid network"),
        InvalidCase("NetworkSet", "nets: [x]", namespace: "default", field: "spec.nets[0]", "invalid network"),
        // FelixConfiguration
        InvalidCase("FelixConfiguration", "vxlanVNI: 0", name: "default", field: "spec.vxlanVNI", "between 1 and"),
        InvalidCase("FelixConfiguration", "vxlanPort: 70000", name: "default", field: "spec.vxlanPort", "1 to 65535"),
        InvalidCase("FelixConfiguration", "routeRefreshInterval: 90", name: "default", field: "spec.routeRefreshInterval",
                    "not a duration"),
        InvalidCase("FelixConfiguration", "defaultEndpointToHostAction: Maybe", name: "default",
                    field: "spec.defaultEndpointToHostAction", "must be one of"),
        InvalidCase("FelixConfiguration", "ipipMTU: 20", name: "default", field: "spec.ipipMTU", "68-65535"),
        InvalidCase("FelixConfiguration", "natOutgoingAddress: 2001:db8::1", name: "default",
                    field: "spec.natOutgoingAddress", "not an IPv4"),
        InvalidCase("FelixConfiguration", "bpfEnabled: true", name: "default", field: "spec.bpfEnabled", "eBPF"),
        InvalidCase("FelixConfiguration", "madeUpParameter: 1", name: "default", field: "spec.madeUpParameter",
                    "unknown field"),
        InvalidCase("FelixConfiguration", "ipipEnabled: true", name: "global", field: "spec", "node.<nodename>"),
        InvalidCase("FelixConfiguration", "failsafeInboundHostPorts: [{protocol: icmp, port: 22}]", name: "default",
                    field: "spec.failsafeInboundHostPorts[0].protocol", "TCP, UDP or SCTP"),
        // IPAM
        InvalidCase("IPAMConfiguration", "strictAffinity: false\nautoAllocateBlocks: false", name: "default",
                    field: "spec.autoAllocateBlocks", "needs strictAffinity"),
        InvalidCase("IPAMConfiguration", "maxBlocksPerHost: 4", name: "default", field: "spec.maxBlocksPerHost",
                    "needs strictAffinity"),
        InvalidCase("IPAMConfiguration", "strictAffinity: true", name: "other", field: "spec", "named \"default\""),
        InvalidCase("IPAMConfiguration", "ipCooldownSeconds: 5000", name: "default", field: "spec.ipCooldownSeconds",
                    "between 0 and 1200"),
        InvalidCase("BlockAffinity", "state: confirmed\nnode: n1\ncidr: 192.0.2.1/26", field: "spec.cidr", "host bits"),
        InvalidCase("BlockAffinity", "state: claimed\nnode: n1\ncidr: 192.0.2.0/26", field: "spec.state", "claimed"),
        InvalidCase("IPAMBlock", "cidr: 192.0.2.0/30\nallocations: [null, null]\nunallocated: [0, 1]\nattributes: []",
                    field: "spec.allocations", "one entry per address"),
        InvalidCase("IPAMBlock", "cidr: 192.0.2.0/31\nallocations: [0, null]\nunallocated: [1]\nattributes: []",
                    field: "spec.allocations[0]", "does not exist"),
        InvalidCase("IPAMBlock", "cidr: 192.0.2.0/31\nallocations: [null, null]\nunallocated: [0, 1, 2]\nattributes: []",
                    field: "spec.unallocated[2]", "outside the block"),
        InvalidCase("IPAMHandle", "block: {192.0.2.0/26: 1}", field: "spec.handleID", "required"),
    ]

    @Test("rejects", arguments: invalid)
    func rejects(_ invalid: InvalidCase) throws {
        let error = try expectRefused(invalid)
        #expect(error.source == "case.yaml")
        #expect(error.document == 1)
        #expect(error.description.contains(invalid.field))
    }

    static let valid: [String] = [
        manifest("IPPool", spec: "cidr: 192.0.2.0/24\nblockSize: 32"),
        manifest("IPPool", spec: "cidr: 192.0.2.0/26"),
        manifest("IPPool", spec: "cidr: 192.0.2.0/28\ndisabled: true"),
        manifest("IPPool", spec: "cidr: 2001:db8::/64\nblockSize: 128\nvxlanMode: CrossSubnet"),
        manifest("IPPool", spec: "cidr: 192.0.2.0/24\nallowedUses: [LoadBalancer]"),
        manifest("IPPool", spec: "cidr: 192.0.2.0/24\nipipMode: CrossSubnet\nvxlanMode: Never\nnodeSelector: zone == 'a'"),
        manifest("Node", spec: "bgp: {ipv4Address: 192.0.2.10/24, ipv4IPIPTunnelAddr: 10.244.0.1}\nvxlanTunnelMACAddr: 66:aa:bb:cc:dd:ee"),
        manifest("WorkloadEndpoint", namespace: "prod", spec: """
            node: n1
            interfaceName: cali0123456789a
            ipNetworks: [10.244.0.5/32, "2001:db8::5/128"]
            profiles: [kns.prod]
            ports: [{name: http, protocol: TCP, port: 8080}]
            """),
        manifest("HostEndpoint", spec: "node: n1\ninterfaceName: \"*\""),
        manifest("HostEndpoint", spec: "node: n1\nexpectedIPs: [192.0.2.10]"),
        manifest("GlobalNetworkPolicy", spec: """
            namespaceSelector: name not in {'kube-system', 'calico-system'}
            ingress:
            - action: Allow
              protocol: TCP
              source: {namespaceSelector: global(), nets: [198.51.100.7]}
              destination: {ports: [80, "8000:8080", http]}
            - action: Allow
              protocol: ICMP
              icmp: {type: 8, code: 0}
            - action: Pass
            egress:
            - action: Log
            - action: Deny
              protocol: 132
            """),
        manifest("NetworkPolicy", namespace: "prod", spec: "selector: role == 'db'\nserviceAccountSelector: all()"),
        manifest("Tier", spec: "order: 100\ndefaultAction: Pass"),
        manifest("Profile", spec: "labelsToApply: {pcns.name: prod}\ningress: [{action: Allow}]"),
        manifest("FelixConfiguration", name: "node.n1", spec: "vxlanVNI: 4096\nrouteRefreshInterval: 1m30s\nipipMTU: 0"),
        manifest("IPAMConfiguration", name: "default", spec: "strictAffinity: true\nmaxBlocksPerHost: 4"),
        manifest("BlockAffinity", name: "n1-192-0-2-0-26", spec: "state: confirmed\nnode: n1\ncidr: 192.0.2.0/26\ndeleted: \"false\""),
        manifest("IPAMBlock", name: "192-0-2-0-31", spec: """
            cidr: 192.0.2.0/31
            affinity: host:n1
            allocations: [0, null]
            unallocated: [1]
            attributes: [{handle_id: h1, secondary: {node: n1}}]
            sequenceNumber: 3
            sequenceNumberForAllocation: {"0": 2}
            """),
        manifest("IPAMHandle", name: "h1", spec: "handleID: h1\nblock: {192.0.2.0/31: 1}"),
    ]

    @Test("accepts", arguments: valid)
    func accepts(_ document: String) { expectAccepted(document) }

    @Test func policyTypesDefaultFromTheRules() throws {
        func types(_ spec: String) throws -> [PolicyType]? {
            try ResourceCodec.decodeOne(manifest("GlobalNetworkPolicy", spec: spec)).as(GlobalNetworkPolicy.self)?.spec.types
        }
        #expect(try types("selector: all()") == [.ingress])
        #expect(try types("ingress: [{action: Allow}]") == [.ingress])
        #expect(try types("egress: [{action: Allow}]") == [.egress])
        #expect(try types("ingress: [{action: Allow}]\negress: [{action: Deny}]") == [.ingress, .egress])
        #expect(try types("types: [Egress]") == [.egress])
    }

    @Test func v1BlockAffinityDeletedMayBeAString() throws {
        let text = """
            apiVersion: crd.projectcalico.org/v1
            kind: BlockAffinity
            metadata: {name: n1-a}
            spec: {state: confirmed, node: n1, cidr: 192.0.2.0/26, deleted: "true"}
            """
        let affinity = try ResourceCodec.decodeOne(text).as(BlockAffinity.self)
        #expect(affinity?.spec.deleted == true)
    }

    @Test func v1MetadataAnnotationIsUnpacked() throws {
        let text = """
            apiVersion: crd.projectcalico.org/v1
            kind: GlobalNetworkSet
            metadata:
              name: blocked
              annotations:
                projectcalico.org/metadata: '{"labels":{"role":"blocked"},"creationTimestamp":"2026-01-01T00:00:00Z"}'
            spec:
              nets: [198.51.100.0/24]
            """
        let set = try ResourceCodec.decodeOne(text)
        #expect(set.metadata.labels == ["role": "blocked"])
        #expect(set.metadata.annotations == nil)
        #expect(set.metadata.creationTimestamp == "2026-01-01T00:00:00Z")
    }

    @Test func namespaceWithPoolAnnotation() {
        let good = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: prod
              labels: {env: production}
              annotations:
                cni.projectcalico.org/ipv4pools: '["default-ipv4-ippool"]'
            """
        #expect(ResourceCodec.decode(good).errors.isEmpty)
        let bad = good.replacingOccurrences(of: "'[\"default-ipv4-ippool\"]'", with: "default-ipv4-ippool")
        let errors = ResourceCodec.decode(bad).errors
        #expect(errors.first?.field == "metadata.annotations.cni.projectcalico.org/ipv4pools")
        let wrongVersion = good.replacingOccurrences(of: "apiVersion: v1", with: "apiVersion: projectcalico.org/v3")
        #expect(ResourceCodec.decode(wrongVersion).errors.first?.field == "apiVersion")
    }

    @Test func documentLevelProblems() {
        let cases: [(String, String, String)] = [
            ("kind: IPPool\nmetadata: {name: p}\nspec: {cidr: 192.0.2.0/24}", "apiVersion", "apiVersion is required"),
            ("apiVersion: projectcalico.org/v2\nkind: IPPool\nmetadata: {name: p}", "apiVersion", "unsupported apiVersion"),
            ("apiVersion: projectcalico.org/v3\nkind: Widget\nmetadata: {name: p}", "kind", "unknown kind \"Widget\""),
            ("apiVersion: projectcalico.org/v3\nmetadata: {name: p}", "kind", "kind is required"),
            ("apiVersion: projectcalico.org/v3\nkind: Tier\nspec: {}", "metadata", "metadata with a name"),
            ("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {}", "metadata.name", "required field is missing"),
            ("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspce: {}", "spce", "unknown field"),
            ("apiVersion: projectcalico.org/v3\nkind: List\nitems: [{kind: Tier}]", "items[0].apiVersion", "required"),
        ]
        for (text, field, reason) in cases {
            let errors = ResourceCodec.decode(text, source: "d.yaml").errors
            #expect(errors.first?.field == field, "\(text)")
            #expect(errors.first?.reason.contains(reason) == true, "\(errors)")
        }
    }
}
