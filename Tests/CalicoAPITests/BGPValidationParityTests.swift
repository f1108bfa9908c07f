import Testing

@testable import CalicoAPI

/// Calico's validator rules for BGPConfiguration, BGPPeer and BGPFilter, as vectors: each invalid input refused at
/// its field, each valid one accepted.
@Suite("Validation parity: BGP kinds")
struct BGPValidationParityTests {
    static let invalid: [InvalidCase] = [
        // BGPPeer: peerIP, with an optional port.
        InvalidCase("BGPPeer", "peerIP: 192.0.2.300\nasNumber: 64513", field: "spec.peerIP", "not an IP address"),
        InvalidCase("BGPPeer", "peerIP: \"192.0.2.1:0\"\nasNumber: 64513", field: "spec.peerIP", "not an IP address"),
        InvalidCase("BGPPeer", "peerIP: \"[192.0.2.1]:179\"\nasNumber: 64513", field: "spec.peerIP", "not an IP"),
        // The exclusive pairs of validateBGPPeerSpec.
        InvalidCase("BGPPeer", "node: n1\nnodeSelector: all()\npeerIP: 192.0.2.1\nasNumber: 64513", field: "spec.node",
                    "node must be empty when nodeSelector is set"),
        InvalidCase("BGPPeer", "peerIP: 192.0.2.1\npeerSelector: all()", field: "spec.peerIP",
                    "peerIP must be empty when peerSelector is set"),
        InvalidCase("BGPPeer", "asNumber: 64513\npeerSelector: all()", field: "spec.asNumber",
                    "asNumber must be empty when peerSelector is set"),
        // Selectors, names, enumerations, numbers.
        InvalidCase("BGPPeer", "nodeSelector: \"rack == \"\npeerIP: 192.0.2.1\nasNumber: 64513",
                    field: "spec.nodeSelector", "invalid selector"),
        InvalidCase("BGPPeer", "peerSelector: \"has((\"", field: "spec.peerSelector", "invalid selector"),
        InvalidCase("BGPPeer", "node: Node_1\npeerIP: 192.0.2.1\nasNumber: 64513", field: "spec.node", "not a valid name"),
        InvalidCase("BGPPeer", "peerIP: 192.0.2.1\nasNumber: 64513\nsourceAddress: NodeIP", field: "spec.sourceAddress",
                    "not one of UseNodeIP, None"),
        InvalidCase("BGPPeer", "peerIP: 192.0.2.1\nasNumber: 4294967296", field: "spec.asNumber", "out of range"),
        InvalidCase("BGPPeer", "peerIP: 192.0.2.1\nasNumber: -1", field: "spec.asNumber", "out of range"),
        InvalidCase("BGPPeer", "peerIP: 192.0.2.1\nasNumber: 64513\nmaxRestartTime: soon", field: "spec.maxRestartTime",
                    "not a duration"),
        InvalidCase("BGPPeer", "peerIP: 192.0.2.1\nasNumber: 64513\nfilters: [Bad_Name]", field: "spec.filters[0]", "not a valid name"),
        InvalidCase(
            "BGPPeer", "peerIP: 192.0.2.1\nasNumber: 64513\npassword: {secretKeyRef: {name: bgp, key: ../x}}",
            field: "spec.password.secretKeyRef.key", "not a secret key"),
        // BGPConfiguration.
        InvalidCase("BGPConfiguration", "logSeverityScreen: Verbose", name: "default", field: "spec.logSeverityScreen",
                    "not one of Debug, Info, Warning, Error, Fatal"),
        InvalidCase("BGPConfiguration", "bindMode: All", name: "default", field: "spec.bindMode", "not one of None, NodeIP"),
        InvalidCase("BGPConfiguration", "listenPort: 0", name: "default", field: "spec.listenPort", "1 to 65535"),
        InvalidCase("BGPConfiguration", "asNumber: 0", name: "default", field: "spec.asNumber", "between 1 and"),
        InvalidCase("BGPConfiguration", "asNumber: 64512", name: "rack-1", field: "spec", "\"default\" or \"node.<nodename>\""),
        InvalidCase("BGPConfiguration", "serviceClusterIPs: [{cidr: 198.51.100.1/24}]", name: "default",
                    field: "spec.serviceClusterIPs[0].cidr", "not a network address"),
        InvalidCase(
            "BGPConfiguration",
            "communities: [{name: c1, value: \"65536:1\"}]\nprefixAdvertisements: [{cidr: 198.51.100.0/24, communities: [c1]}]",
            name: "default", field: "spec.communities[0].value", "does not fit in 16 bits"),
        InvalidCase("BGPConfiguration", "communities: [{name: c1, value: \"1:2\"}]", name: "default",
                    field: "spec.communities", "no prefixAdvertisements use them"),
        InvalidCase(
            "BGPConfiguration", "prefixAdvertisements: [{cidr: 198.51.100.0/24, communities: [undefined]}]",
            name: "default", field: "spec.prefixAdvertisements[0].communities[0]", "neither a community value"),
        InvalidCase("BGPConfiguration", "ignoredInterfaces: [\"eth 0\"]", name: "default",
                    field: "spec.ignoredInterfaces[0]", "not an interface name pattern"),
        InvalidCase("BGPConfiguration", "nodeMeshMaxRestartTime: 2 minutes", name: "default",
                    field: "spec.nodeMeshMaxRestartTime", "not a duration"),
        // BGPFilter.
        InvalidCase("BGPFilter", "exportV4: [{action: Allow}]", field: "spec.exportV4[0].action", "not one of Accept, Reject"),
        InvalidCase("BGPFilter", "exportV4: [{cidr: 198.51.100.0/24, action: Accept}]", field: "spec.exportV4[0].matchOperator",
                    "needs a matchOperator"),
        InvalidCase("BGPFilter", "importV4: [{matchOperator: In, action: Reject}]", field: "spec.importV4[0].cidr",
                    "needs a cidr"),
        InvalidCase("BGPFilter", "exportV4: [{cidr: \"2001:db8::/32\", matchOperator: In, action: Accept}]",
                    field: "spec.exportV4[0].cidr", "not an IPv4 CIDR"),
        InvalidCase(
            "BGPFilter", "exportV4: [{cidr: 198.51.100.0/24, matchOperator: In, prefixLength: {max: 33}, action: Accept}]",
            field: "spec.exportV4[0].prefixLength.max", "from 0 to 32"),
        InvalidCase(
            "BGPFilter",
            "exportV6: [{cidr: \"2001:db8::/32\", matchOperator: In, prefixLength: {min: 64, max: 48}, action: Accept}]",
            field: "spec.exportV6[0].prefixLength", "greater than max"),
        InvalidCase("BGPFilter", "importV4: [{source: Anywhere, action: Accept}]", field: "spec.importV4[0].source",
                    "not one of RemotePeers"),
    ]

    @Test("rejects", arguments: invalid)
    func rejects(_ invalid: InvalidCase) throws { try expectRefused(invalid) }

    static let valid: [String] = [
        manifest("BGPPeer", spec: "peerIP: 192.0.2.1\nasNumber: 64513"),
        manifest("BGPPeer", spec: "peerIP: \"192.0.2.1:1790\"\nasNumber: 64513\nnode: node-1"),
        manifest("BGPPeer", spec: "peerIP: \"[2001:db8::1]:1790\"\nasNumber: 4294967295"),
        manifest("BGPPeer", spec: "peerIP: \"2001:db8::1\"\nasNumber: 1\nnodeSelector: rack == 'r1'"),
        manifest("BGPPeer", spec: "nodeSelector: all()\npeerSelector: has(route-reflector)"),
        manifest(
            "BGPPeer",
            spec: """
                peerIP: 192.0.2.1
                asNumber: 64513
                keepOriginalNextHop: true
                sourceAddress: None
                maxRestartTime: 2m
                ttlSecurity: 1
                numAllowedLocalASNumbers: 2
                filters: [edge]
                password: {secretKeyRef: {name: bgp-secrets, key: rr-password}}
                """),
        // Calico accepts these; Tabby warns (they make no session).
        manifest("BGPPeer", spec: "peerIP: 192.0.2.1"),
        manifest("BGPPeer", spec: "node: node-1"),
        manifest(
            "BGPConfiguration", name: "default",
            spec: """
                logSeverityScreen: Warning
                nodeToNodeMeshEnabled: false
                asNumber: 64512
                listenPort: 1790
                bindMode: NodeIP
                serviceClusterIPs: [{cidr: 198.51.100.0/24}]
                serviceExternalIPs: [{cidr: "2001:db8:1::/64"}]
                communities: [{name: fabric, value: "64512:100"}, {name: large, value: "64512:1:2"}]
                prefixAdvertisements: [{cidr: 203.0.113.0/24, communities: [fabric, large, "64512:300"]}]
                ignoredInterfaces: [docker*, "eth1.*"]
                nodeMeshMaxRestartTime: 120s
                nodeMeshPassword: {secretKeyRef: {name: bgp, key: mesh}}
                """),
        manifest("BGPConfiguration", name: "node.node-1", spec: "logSeverityScreen: Debug\nlistenPort: 1791"),
        manifest(
            "BGPFilter",
            spec: """
                exportV4:
                - {cidr: 198.51.100.0/24, matchOperator: In, prefixLength: {min: 24, max: 28}, action: Accept}
                - {action: Reject}
                importV4: [{cidr: 203.0.113.0/24, matchOperator: NotIn, source: RemotePeers, action: Reject}]
                exportV6: [{cidr: "2001:db8::/32", matchOperator: Equal, interface: "cali*", action: Accept}]
                """),
    ]

    @Test("accepts", arguments: valid)
    func accepts(_ document: String) { expectAccepted(document) }

    @Test func defaultOnlyFieldsInANodeConfigurationAreWarnings() {
        let decoded = ResourceCodec.decode(
            manifest("BGPConfiguration", name: "node.node-1", spec: "nodeToNodeMeshEnabled: false\nasNumber: 64600"))
        #expect(decoded.errors.isEmpty)
        #expect(Set(decoded.warnings.map(\.field)) == ["spec.nodeToNodeMeshEnabled", "spec.asNumber"], "\(decoded.warnings)")
    }
}
