import Testing

@testable import CalicoAPI

/// A manifest with labels or annotations in its metadata (`metadata` is YAML flow-style mapping entries).
private func document(_ kind: String, metadata: String, spec: String = "{}") -> String {
    """
    apiVersion: projectcalico.org/v3
    kind: \(kind)
    metadata: {\(metadata)}
    spec: \(spec)
    """
}

private func invalid(_ text: String, field: String, _ reason: String) -> InvalidCase {
    var invalidCase = InvalidCase("Tier", "{}", field: field, reason)
    invalidCase.document = text
    return invalidCase
}

private let gnp = "GlobalNetworkPolicy"
private let np = "NetworkPolicy"
private let longLabel = String(repeating: "a", count: 63)
/// Annotations of exactly 256 KiB (key "key" and value), and one byte over.
private let fullAnnotations = "annotations: {key: \(String(repeating: "x", count: 256 * 1024 - 3))}"
private let overfullAnnotations = "annotations: {key: \(String(repeating: "x", count: 256 * 1024 - 2))}"

/// Vectors from Calico's validator (libcalico-go/lib/validator/v3 and the v3 API's CRD rules), translated into
/// manifests and run through the same decoding and validation as `tabbyctl validate`.
@Suite("Validation parity with Calico: policy, rules, tiers, network sets, metadata")
struct PolicyValidationParityTests {
    static let invalidCases: [InvalidCase] = [
        // Ports.
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: TCP, destination: {ports: [0]}}]",
                    field: "spec.ingress[0].destination.ports[0]", "port 0 is not a port"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: TCP, destination: {notPorts: [\"0:100\"]}}]",
                    field: "spec.ingress[0].destination.notPorts[0]", "includes port 0"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: UDP, source: {ports: [\"0:0\"]}}]",
                    field: "spec.ingress[0].source.ports[0]", "includes port 0"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: ICMP, destination: {notPorts: [http]}}]",
                    field: "spec.ingress[0].destination.notPorts", "must set protocol to TCP, UDP or SCTP"),
        InvalidCase(gnp, "ingress: [{action: Allow, destination: {ports: [http, 80]}}]",
                    field: "spec.ingress[0].destination.ports", "match port numbers must set protocol"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: 7, source: {ports: [1]}}]",
                    field: "spec.ingress[0].source.ports", "must set protocol to TCP, UDP or SCTP"),
        InvalidCase(np, "egress: [{action: Allow, protocol: TCP, destination: {ports: [80], services: {name: s}}}]",
                    namespace: "default", field: "spec.egress[0].destination.ports", "together with services"),
        InvalidCase(np, "egress: [{action: Allow, protocol: TCP, destination: {notPorts: [80], services: {name: s}}}]",
                    namespace: "default", field: "spec.egress[0].destination.notPorts", "together with services"),
        // Nets.
        InvalidCase(gnp, "ingress: [{action: Allow, source: {notNets: [0.0.0.0/0]}}]",
                    field: "spec.ingress[0].source.notNets[0]", "excludes every IPv4 address"),
        InvalidCase(gnp, "egress: [{action: Allow, destination: {notNets: [\"::/0\"]}}]",
                    field: "spec.egress[0].destination.notNets[0]", "excludes every IPv6 address"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {nets: [192.0.2.0/26]}, destination: {nets: [\"2001:db8::/122\"]}}]",
                    field: "spec.ingress[0].destination.nets[0]", "split it into two rules"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {nets: [\"2001:db8::1\"]}, destination: {notNets: [192.0.2.0/32]}}]",
                    field: "spec.ingress[0].destination.notNets[0]", "but spec.ingress[0].source.nets is IPv6"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {nets: [192.0.2.0/24, \"2001:db8::/64\"]}}]",
                    field: "spec.ingress[0].source.nets[1]", "one rule matches one address family"),
        InvalidCase(gnp, "ingress: [{action: Allow, ipVersion: 6, source: {nets: [192.0.2.0/10]}}]",
                    field: "spec.ingress[0].source.nets[0]", "not an IPv6 network"),
        InvalidCase(gnp, "ingress: [{action: Allow, ipVersion: 4, destination: {notNets: [\"2001:db8::1/128\"]}}]",
                    field: "spec.ingress[0].destination.notNets[0]", "not an IPv4 network"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {nets: [192.0.2.1/24]}}]",
                    field: "spec.ingress[0].source.nets[0]", "did you mean 192.0.2.0/24"),
        // Protocol.
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: tcp}]", field: "spec.ingress[0].protocol",
                    "case-sensitive: write \"TCP\""),
        InvalidCase(gnp, "ingress: [{action: Allow, notProtocol: icmpv6}]", field: "spec.ingress[0].notProtocol",
                    "write \"ICMPv6\""),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: UDPlite}]", field: "spec.ingress[0].protocol",
                    "write \"UDPLite\""),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: tcpfoo}]", field: "spec.ingress[0].protocol",
                    "unknown protocol"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: \"0\"}]", field: "spec.ingress[0].protocol",
                    "1 to 255"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: 1, ipVersion: 6}]", field: "spec.ingress[0].protocol",
                    "IPv4-only"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: 58, ipVersion: 4}]", field: "spec.ingress[0].protocol",
                    "IPv6-only"),
        InvalidCase(gnp, "ingress: [{action: Allow, notProtocol: ICMP, ipVersion: 6}]",
                    field: "spec.ingress[0].notProtocol", "IPv4-only"),
        InvalidCase(gnp, "ingress: [{action: Allow, ipVersion: 4, icmp: {type: 0}}]", field: "spec.ingress[0].icmp",
                    "ICMP or ICMPv6"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: ICMP, icmp: {type: -1}}]",
                    field: "spec.ingress[0].icmp.type", "between 0 and 254"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: ICMPv6, icmp: {type: 128, code: 256}}]",
                    field: "spec.ingress[0].icmp.code", "between 0 and 255"),
        // HTTP matches.
        InvalidCase(gnp, "egress: [{action: Allow, http: {methods: [GET]}}]", field: "spec.egress[0].http",
                    "not allowed in egress rules"),
        InvalidCase(np, "egress: [{action: Allow, http: {methods: [GET]}}]", namespace: "default",
                    field: "spec.egress[0].http", "not allowed in egress rules"),
        InvalidCase(gnp, "ingress: [{action: Allow, protocol: UDP, http: {methods: [GET]}}]",
                    field: "spec.ingress[0].http", "need protocol TCP"),
        InvalidCase(gnp, "ingress: [{action: Allow, http: {methods: [GET, GET, Foo]}}]",
                    field: "spec.ingress[0].http.methods[1]", "listed more than once"),
        InvalidCase(gnp, "ingress: [{action: Allow, http: {paths: [{exact: /foo, prefix: /bar}]}}]",
                    field: "spec.ingress[0].http.paths[0]", "only one of exact or prefix"),
        InvalidCase(gnp, "ingress: [{action: Allow, http: {paths: [{}]}}]", field: "spec.ingress[0].http.paths[0]",
                    "set one of exact or prefix"),
        InvalidCase(gnp, "ingress: [{action: Allow, http: {paths: [{exact: \"/fo?o\"}]}}]",
                    field: "spec.ingress[0].http.paths[0].exact", "must not contain \"?\""),
        InvalidCase(gnp, "ingress: [{action: Allow, http: {paths: [{exact: \"/fo o\"}]}}]",
                    field: "spec.ingress[0].http.paths[0].exact", "must not contain \" \""),
        InvalidCase(gnp, "ingress: [{action: Allow, http: {paths: [{prefix: \"/f#oo\"}]}}]",
                    field: "spec.ingress[0].http.paths[0].prefix", "must not contain \"#\""),
        InvalidCase(gnp, "ingress: [{action: Allow, http: {paths: [{prefix: foo}]}}]",
                    field: "spec.ingress[0].http.paths[0].prefix", "must start with \"/\""),
        // Service and service-account matches.
        InvalidCase(np, "egress: [{action: Allow, source: {services: {name: s, namespace: default}}}]",
                    namespace: "default", field: "spec.egress[0].source.services", "not allowed in an egress rule source"),
        InvalidCase(np, "ingress: [{action: Allow, destination: {services: {name: s, namespace: default}}}]",
                    namespace: "default", field: "spec.ingress[0].destination.services",
                    "not allowed in an ingress rule destination"),
        InvalidCase(gnp, "egress: [{action: Allow, destination: {services: {name: s}}}]",
                    field: "spec.egress[0].destination.services.namespace", "must name the service's namespace"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {services: {name: s}}}]",
                    field: "spec.ingress[0].source.services.namespace", "must name the service's namespace"),
        InvalidCase(np, "egress: [{action: Allow, destination: {services: {name: s}, namespaceSelector: all()}}]",
                    namespace: "default", field: "spec.egress[0].destination.services", "with namespaceSelector"),
        InvalidCase(np, "egress: [{action: Allow, destination: {services: {name: s}, notSelector: a == 'b'}}]",
                    namespace: "default", field: "spec.egress[0].destination.services", "with selector or notSelector"),
        InvalidCase(np, "egress: [{action: Allow, destination: {services: {name: s}, serviceAccounts: {names: [sa]}}}]",
                    namespace: "default", field: "spec.egress[0].destination.services", "with serviceAccounts"),
        InvalidCase(np, "egress: [{action: Allow, destination: {services: {name: s}, notNets: [192.0.2.0/24]}}]",
                    namespace: "default", field: "spec.egress[0].destination.services", "with nets or notNets"),
        InvalidCase(np, "egress: [{action: Allow, destination: {services: {name: Bad_Service}}}]", namespace: "default",
                    field: "spec.egress[0].destination.services.name", "not a valid name"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {serviceAccounts: {names: [\"\"]}}}]",
                    field: "spec.ingress[0].source.serviceAccounts.names[0]", "must not be empty"),
        // global().
        InvalidCase(gnp, "ingress: [{action: Allow, source: {namespaceSelector: \" global() && all()\"}}]",
                    field: "spec.ingress[0].source.namespaceSelector", "cannot be combined"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {namespaceSelector: \"global()||all()\"}}]",
                    field: "spec.ingress[0].source.namespaceSelector", "cannot be combined"),
        InvalidCase(np, "egress: [{action: Allow, destination: {namespaceSelector: \"!global()\"}}]",
                    namespace: "default", field: "spec.egress[0].destination.namespaceSelector", "cannot be combined"),
        InvalidCase(gnp, "ingress: [{action: Allow, source: {selector: \"global() && bad\"}}]",
                    field: "spec.ingress[0].source.selector", "invalid selector"),
        InvalidCase(gnp, "selector: global()", field: "spec.selector", "global()"),
        InvalidCase(gnp, "serviceAccountSelector: global()", field: "spec.serviceAccountSelector", "global()"),
        InvalidCase(np, "serviceAccountSelector: global()", namespace: "default", field: "spec.serviceAccountSelector",
                    "global()"),
        // preDNAT, doNotTrack, performanceHints, rule metadata.
        InvalidCase(gnp, "preDNAT: true\napplyOnForward: true\ntypes: [Egress]", field: "spec.types", "ingress only"),
        InvalidCase(gnp, "preDNAT: true\napplyOnForward: true\ntypes: [Ingress, Egress]", field: "spec.types",
                    "ingress only"),
        InvalidCase(gnp, "preDNAT: true\napplyOnForward: false", field: "spec.applyOnForward", "preDNAT policies"),
        InvalidCase(gnp, "types: [Egress, Egress]", field: "spec.types", "more than once"),
        InvalidCase(gnp, "performanceHints: [AssumeNeededOnEveryNode, AssumeNeededOnEveryNode]",
                    field: "spec.performanceHints[1]", "listed more than once"),
        InvalidCase(np, "performanceHints: [AssumeNeededOnEveryNode, AssumeNeededOnEveryNode]", namespace: "default",
                    field: "spec.performanceHints[1]", "listed more than once"),
        InvalidCase(gnp, "ingress: [{action: Allow, metadata: {annotations: {\"...\": bar}}}]",
                    field: "spec.ingress[0].metadata.annotations....", "invalid annotation key"),
        InvalidCase(gnp, "ingress: [{action: Allow, metadata: {\(overfullAnnotations)}}]",
                    field: "spec.ingress[0].metadata.annotations", "over the limit of 262144"),
        // Policy names and the tier prefix.
        InvalidCase(gnp, "{}", name: "t.h.i.ng", field: "metadata.name", "at most one dot"),
        InvalidCase(gnp, "{}", name: "knp.default.thing", field: "metadata.name", "at most one dot"),
        InvalidCase(np, "{}", namespace: "default", name: "t.h.i.ng", field: "metadata.name", "knp.default."),
        InvalidCase(gnp, "{}", name: "tHiNg", field: "metadata.name", "not a valid name"),
        InvalidCase(gnp, "{}", name: "security.allow", field: "spec.tier", "puts it in tier \"security\""),
        InvalidCase(np, "tier: security", namespace: "default", name: "other.allow", field: "spec.tier",
                    "but its tier is \"security\""),
        InvalidCase(gnp, "tier: a.b", field: "spec.tier", "a tier name has no dots"),
        InvalidCase(np, "tier: \(longLabel)b", namespace: "default", field: "spec.tier", "at most 63 characters"),
        // Tiers.
        InvalidCase("Tier", "order: 10", name: "a.b", field: "metadata.name", "a tier name has no dots"),
        InvalidCase("Tier", "order: 10", name: longLabel + "b", field: "metadata.name", "at most 63 characters"),
        InvalidCase("Tier", "order: 5", name: "default", field: "spec.order", "must have order 1000000"),
        InvalidCase("Tier", "defaultAction: Deny", name: "default", field: "spec.order", "(got none)"),
        InvalidCase("Tier", "order: 1000000\ndefaultAction: Pass", name: "default", field: "spec.defaultAction",
                    "must have defaultAction Deny"),
        InvalidCase("Tier", "order: 1000", name: "kube-admin", field: "spec.defaultAction",
                    "must have defaultAction Pass (got Deny, the default"),
        InvalidCase("Tier", "order: 2000\ndefaultAction: Pass", name: "kube-admin", field: "spec.order",
                    "must have order 1000 "),
        InvalidCase("Tier", "order: 10000000\ndefaultAction: Deny", name: "kube-baseline",
                    field: "spec.defaultAction", "must have defaultAction Pass"),
        InvalidCase("Tier", "defaultAction: Pass", name: "kube-baseline", field: "spec.order",
                    "must have order 10000000"),
        // Metadata and network sets.
        invalid(document("GlobalNetworkSet", metadata: "name: s, labels: {projectcalico.org/namespace: foo}"),
                field: "metadata.labels.projectcalico.org/namespace", "reserved for Calico"),
        invalid(document("NetworkSet", metadata: "name: s, namespace: default, labels: {projectcalico.org/namespace: foo}"),
                field: "metadata.labels.projectcalico.org/namespace", "reserved for Calico"),
        invalid(document("GlobalNetworkSet", metadata: "name: test$set"), field: "metadata.name", "not a valid name"),
        invalid(document("IPPool", metadata: "name: p, \(overfullAnnotations)", spec: "{cidr: 192.0.2.0/24}"),
                field: "metadata.annotations", "1 over the limit"),
        invalid(document(gnp, metadata: "name: p, annotations: {projectcalico.org$label: v}"),
                field: "metadata.annotations.projectcalico.org$label", "invalid annotation key"),
        invalid(document(gnp, metadata: "name: p, labels: {ProjectCalico.org/label: v}"),
                field: "metadata.labels.ProjectCalico.org/label", "invalid label key"),
    ]

    @Test("rejects", arguments: invalidCases)
    func rejects(_ invalid: InvalidCase) throws { try expectRefused(invalid, source: "parity.yaml") }

    static let validCases: [String] = [
        // Ports: named ports need no protocol; TCP given as a number; full range.
        manifest(gnp, spec: "ingress: [{action: Allow, destination: {ports: [http, metrics]}}]"),
        manifest(gnp, spec: "ingress: [{action: Allow, protocol: 6, source: {ports: [foo, 1, \"1:65535\"]}}]"),
        manifest(gnp, spec: "ingress: [{action: Allow, protocol: 100, source: {notPorts: []}}]"),
        manifest(gnp, spec: "ingress: [{action: Allow, protocol: SCTP, destination: {ports: [1]}}]"),
        // Nets: one family per rule, bare addresses, notNets that exclude something.
        manifest(gnp, spec: "ingress: [{action: Allow, source: {nets: [192.0.2.0/26, 198.51.100.7]}, destination: {notNets: [203.0.113.0/24]}}]"),
        manifest(gnp, spec: "egress: [{action: Allow, ipVersion: 6, destination: {nets: [\"2001:db8::/32\"], notNets: [\"2001:db8:1::/48\"]}}]"),
        manifest(gnp, spec: "ingress: [{action: Allow, source: {nets: [0.0.0.0/0]}}]"),
        // Protocols, exactly spelled, and ICMP.
        manifest(gnp, spec: "ingress: [{action: Allow, protocol: UDPLite}, {action: Allow, protocol: \"255\"}, {action: Deny, protocol: 1}]"),
        manifest(gnp, spec: "ingress: [{action: Allow, protocol: ICMP, icmp: {type: 0}}, {action: Allow, protocol: ICMPv6, ipVersion: 6, icmp: {type: 128, code: 255}}]"),
        manifest(gnp, spec: "ingress: [{action: Allow, protocol: ICMP, ipVersion: 4, icmp: {type: 254}}]"),
        // HTTP matches on ingress Allow rules.
        manifest(gnp, spec: "ingress: [{action: Allow, http: {methods: [GET, PUT], paths: [{exact: /foo}, {prefix: /bar}]}}]"),
        manifest(gnp, spec: "ingress: [{action: Allow, protocol: TCP, http: {methods: [GET]}}]"),
        manifest("Profile", spec: "egress: [{action: Allow, http: {methods: [GET]}}]"),
        // Services on the remote side; ports on an ingress source service.
        manifest(np, namespace: "default", spec: "egress: [{action: Allow, destination: {services: {name: service1}}}]"),
        manifest(np, namespace: "default", spec: "ingress: [{action: Allow, protocol: TCP, source: {services: {name: service1, namespace: default}, ports: [80], notPorts: [81]}}]"),
        manifest(gnp, spec: "egress: [{action: Allow, destination: {services: {name: service1, namespace: default}}}]"),
        // global() on its own in a rule's namespaceSelector; in a GNP's namespaceSelector (a documented difference).
        manifest(gnp, spec: "ingress: [{action: Allow, source: {namespaceSelector: \"  global()  \"}, destination: {namespaceSelector: projectcalico.org/name == 'test'}}]"),
        manifest(np, namespace: "default", spec: "ingress: [{action: Allow, source: {namespaceSelector: global()}}]"),
        manifest(gnp, spec: "namespaceSelector: global()"),
        // Types that leave out a direction with rules (Calico allows it); preDNAT ingress; hints.
        manifest(gnp, spec: "types: [Egress]\ningress: [{action: Allow}]"),
        manifest(np, namespace: "default", spec: "types: [Ingress]\negress: [{action: Allow}]"),
        manifest(gnp, spec: "preDNAT: true\napplyOnForward: true\ntypes: [Ingress]\ningress: [{action: Allow}]"),
        manifest(gnp, spec: "doNotTrack: true\napplyOnForward: true"),
        manifest(gnp, spec: "performanceHints: [AssumeNeededOnEveryNode]"),
        manifest(gnp, spec: "ingress: [{action: Allow, metadata: {annotations: {foo: bar, Example.com/Key: v}}}]"),
        // Names: one dot carrying the tier, translated-policy prefixes, long names.
        manifest(gnp, name: "security.allow-dns", spec: "tier: security"),
        manifest(gnp, name: "default.allow-dns", spec: "order: 1"),
        manifest(np, name: "security.allow-dns", namespace: "default", spec: "tier: security"),
        manifest(np, name: "allow-dns", namespace: "default", spec: "tier: security"),
        manifest(np, name: "knp.default.thing", namespace: "default", spec: "{}"),
        manifest(np, name: "ossg.default.sg.with.dots", namespace: "default", spec: "{}"),
        manifest(np, name: String(repeating: "x", count: 253), namespace: "default", spec: "{}"),
        // Tiers: built-ins with their fixed order and default action; a 63-character name.
        manifest("Tier", name: "default", spec: "order: 1000000\ndefaultAction: Deny"),
        manifest("Tier", name: "default", spec: "order: 1000000"),
        manifest("Tier", name: "kube-admin", spec: "order: 1000\ndefaultAction: Pass"),
        manifest("Tier", name: "kube-baseline", spec: "order: 10000000\ndefaultAction: Pass"),
        manifest("Tier", name: longLabel, spec: "order: 1"),
        // Metadata: upper-case annotation keys, annotations of exactly 256 KiB, ordinary set labels.
        document(gnp, metadata: "name: p, annotations: {ProjectCalico.org/Label: value}"),
        document("IPPool", metadata: "name: pool.name, \(fullAnnotations)", spec: "{cidr: 192.0.2.0/24}"),
        document("IPPool", metadata: "name: p, labels: {projectcalico.org/Label: \(longLabel)}", spec: "{cidr: 192.0.2.0/24}"),
        document("GlobalNetworkSet", metadata: "name: testset, labels: {a: b}", spec: "{nets: [198.51.100.1, \"2001:db8::/96\"]}"),
        document("NetworkSet", metadata: "name: testset, namespace: default, labels: {projectcalico.org/name: x}", spec: "{nets: [198.51.100.0/24]}"),
    ]

    @Test("accepts", arguments: validCases)
    func accepts(_ text: String) { expectAccepted(text) }
}
