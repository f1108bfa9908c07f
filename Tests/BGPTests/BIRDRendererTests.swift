import CalicoAPI
import Foundation
import NetworkAddress
import Testing

@testable import BGP

/// The renderer against Calico's BGP semantics; every rendered text is also parsed by the real BIRD
/// (`bird -p`) when bird2 is installed.
@Suite struct BIRDRendererTests {
    static let cluster = """
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: a, labels: {rack: r1}}
        spec: {bgp: {ipv4Address: 192.0.2.11/24}}
        ---
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: b, labels: {rack: r1}}
        spec: {bgp: {ipv4Address: 192.0.2.12/24, asNumber: 64512}}
        ---
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: c, labels: {rack: r2}}
        spec: {bgp: {ipv4Address: 198.51.100.13/24, ipv6Address: "2001:db8::13/64"}}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: routed}
        spec: {cidr: 203.0.113.0/25, blockSize: 28, ipipMode: Never, vxlanMode: Never}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: tunnelled}
        spec: {cidr: 203.0.113.128/26, blockSize: 28, vxlanMode: Always}
        ---
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: private}
        spec: {cidr: 203.0.113.192/26, blockSize: 28, disableBGPExport: true}
        """

    static func resources(_ text: String) throws -> [AnyResource] {
        let decoded = ResourceCodec.decode(text, source: "test")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        return decoded.resources
    }

    static func inputs(_ node: String = "a", extra: String = "", blocks: [String] = []) throws -> BGPInputs {
        let all = try resources(cluster + (extra.isEmpty ? "" : "\n---\n" + extra))
        return BGPInputs(
            nodeName: node, nodes: all.compactMap { $0.as(Node.self) },
            configurations: all.compactMap { $0.as(BGPConfiguration.self) }, peers: all.compactMap { $0.as(BGPPeer.self) },
            filters: all.compactMap { $0.as(BGPFilter.self) }, pools: all.compactMap { $0.as(IPPool.self) },
            localBlocks: blocks.compactMap { CIDR($0) },
            secrets: [BGPPassword.SecretKeyRef(name: "bgp", key: "tor"): "s3cr\\et"])
    }

    /// `bird -p` on the text; nil when BIRD is not installed.
    static func birdParses(_ text: String) throws -> Bool? {
        guard let bird = ChildProcess.find("bird") else { return nil }
        let path = NSTemporaryDirectory() + "tabby-bird-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let result = ChildProcess.run(bird, ["-p", "-c", path])
        if result.status != 0 { Issue.record("bird -p: \(result.output)\n\(text)") }
        return result.status == 0
    }

    @Test func theMeshPeersWithEveryOtherNodeOnItsFamilyAndBIRDAcceptsIt() throws {
        let rendered = BIRDRenderer.render(try Self.inputs(blocks: ["203.0.113.0/28", "203.0.113.192/28"]))
        #expect(rendered.problems.isEmpty, "\(rendered.problems)")
        #expect(rendered.sessions.map(\.protocolName) == ["Mesh_192_0_2_12", "Mesh_198_51_100_13"])
        #expect(rendered.sessions.allSatisfy { $0.type == .nodeToNodeMesh && $0.peerASNumber == 64512 })
        #expect(rendered.text.contains("router id 192.0.2.11;"))
        #expect(rendered.text.contains("local 192.0.2.11 as 64512;"))
        #expect(rendered.text.contains("neighbor 198.51.100.13 port 179 as 64512;"))
        // Own block announced; the block of the pool with disableBGPExport not.
        #expect(rendered.text.contains("route 203.0.113.0/28 blackhole;"))
        #expect(!rendered.text.contains("route 203.0.113.192/28"))
        // The kernel gets BGP routes of the unencapsulated pools only (not the VXLAN one), never the node's own blocks.
        #expect(
            rendered.text.contains(
                "export filter { if source = RTS_BGP && net ~ [ 203.0.113.0/25+, 203.0.113.192/26+ ] && !(net ~ [ 203.0.113.0/28, 203.0.113.192/28 ]) then accept; reject; };"))
        #expect(
            rendered.text.contains(
                "import filter { if net ~ [ 203.0.113.0/25+, 203.0.113.128/26+, 203.0.113.192/26+ ] then reject; accept; };"))
        #expect(try Self.birdParses(rendered.text) != false)
    }

    @Test func equalInputsRenderByteEqualText() throws {
        let first = BIRDRenderer.render(try Self.inputs(blocks: ["203.0.113.0/28"]))
        let second = BIRDRenderer.render(try Self.inputs(blocks: ["203.0.113.0/28"]))
        #expect(first.text == second.text)
        let other = BIRDRenderer.render(try Self.inputs(blocks: ["203.0.113.16/28"]))
        #expect(other.text != first.text)
    }

    @Test func meshOffLeavesOnlyExplicitPeersGlobalAndNodeSpecificWithPortsPasswordsAndOptions() throws {
        let extra = """
            apiVersion: projectcalico.org/v3
            kind: BGPConfiguration
            metadata: {name: default}
            spec: {nodeToNodeMeshEnabled: false, asNumber: 64600, logSeverityScreen: Warning, listenPort: 1790}
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: tor}
            spec:
              peerIP: "192.0.2.254:1791"
              asNumber: 64513
              nodeSelector: rack == 'r1'
              password: {secretKeyRef: {name: bgp, key: tor}}
              maxRestartTime: 2m
              keepOriginalNextHop: true
              ttlSecurity: 1
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: a-only}
            spec: {node: a, peerIP: "2001:db8::ff", asNumber: 64514}
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: rack2}
            spec: {nodeSelector: rack == 'r2', peerIP: 203.0.113.250, asNumber: 64515}
            """
        let rendered = BIRDRenderer.render(try Self.inputs(extra: extra))
        #expect(rendered.sessions.map(\.protocolName) == ["Global_192_0_2_254_port_1791"])
        let tor = try #require(rendered.sessions.first)
        #expect(tor.type == .global && tor.port == 1791 && tor.peerASNumber == 64513 && tor.resource == "BGPPeer \"tor\"")
        #expect(rendered.text.contains("local 192.0.2.11 port 1790 as 64600;"))
        #expect(rendered.text.contains("password \"s3cr\\et\";"))
        #expect(rendered.text.contains("graceful restart time 120;"))
        #expect(rendered.text.contains("next hop keep;"))
        #expect(rendered.text.contains("ttl security on;"))
        #expect(rendered.text.contains("log stderr { warning, error, auth, fatal, bug };"))
        // Node a has no IPv6 address: the IPv6 node-specific peer is reported, not rendered.
        #expect(rendered.problems.map(\.resource) == ["BGPPeer \"a-only\""])
        #expect(try Self.birdParses(rendered.text) != false)
        let onC = BIRDRenderer.render(try Self.inputs("c", extra: extra))
        #expect(onC.sessions.map(\.protocolName) == ["Global_203_0_113_250"])
    }

    @Test func aRouteReflectorTakesNodesOutsideItsClusterAsClients() throws {
        let extra = """
            apiVersion: projectcalico.org/v3
            kind: BGPConfiguration
            metadata: {name: default}
            spec: {nodeToNodeMeshEnabled: false}
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: peer-with-rr}
            spec: {nodeSelector: all(), peerSelector: has(route-reflector)}
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: rr-to-all}
            spec: {nodeSelector: has(route-reflector), peerSelector: all()}
            """
        var inputs = try Self.inputs(extra: extra)
        inputs.nodes[0].metadata.labels?["route-reflector"] = "true"
        inputs.nodes[0].spec.bgp?.routeReflectorClusterID = "224.0.0.1"
        let reflector = BIRDRenderer.render(inputs)
        #expect(reflector.problems.isEmpty, "\(reflector.problems)")
        #expect(reflector.sessions.map(\.protocolName) == ["Global_192_0_2_12", "Global_198_51_100_13"])
        #expect(reflector.text.components(separatedBy: "rr client;").count == 3)
        #expect(reflector.text.contains("rr cluster id 224.0.0.1;"))
        #expect(try Self.birdParses(reflector.text) != false)
        inputs.nodeName = "b"
        let client = BIRDRenderer.render(inputs)
        #expect(client.sessions.map(\.protocolName) == ["Global_192_0_2_11"])
        #expect(!client.text.contains("rr client"))
    }

    @Test func filtersAndCommunitiesBecomeBIRDStatements() throws {
        let extra = """
            apiVersion: projectcalico.org/v3
            kind: BGPConfiguration
            metadata: {name: default}
            spec:
              nodeToNodeMeshEnabled: false
              communities: [{name: fabric, value: "64512:100"}]
              prefixAdvertisements: [{cidr: 203.0.113.0/25, communities: [fabric, "64512:1:2"]}]
              serviceClusterIPs: [{cidr: 198.51.100.128/25}]
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPFilter
            metadata: {name: edge}
            spec:
              exportV4: [{cidr: 203.0.113.0/25, matchOperator: In, prefixLength: {max: 28}, action: Accept}, {action: Reject}]
              importV4: [{cidr: 198.51.100.0/24, matchOperator: NotIn, source: RemotePeers, action: Reject}]
            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: tor}
            spec: {peerIP: 192.0.2.254, asNumber: 64513, filters: [edge, missing]}
            """
        let rendered = BIRDRenderer.render(try Self.inputs(extra: extra, blocks: ["203.0.113.0/28"]))
        #expect(rendered.text.contains("if net ~ [ 203.0.113.0/25+ ] then bgp_community.add((64512, 100));"))
        #expect(rendered.text.contains("bgp_large_community.add((64512, 1, 2));"))
        #expect(rendered.text.contains("route 198.51.100.128/25 blackhole;"))
        #expect(rendered.text.contains("export filter { if (net ~ [ 203.0.113.0/25{25,28} ]) then accept; reject; tabby_export_to_peers4(); };"))
        #expect(rendered.text.contains("import filter { if (net !~ [ 198.51.100.0/24{24,32} ]) && (source = RTS_BGP) then reject; accept; };"))
        #expect(rendered.problems == [BGPProblem(resource: "BGPPeer \"tor\"", field: "spec.filters[1]", reason: "no BGPFilter \"missing\"; the peer's sessions run without it")])
        #expect(try Self.birdParses(rendered.text) != false)
    }

    @Test func badPeersAreLeftOutNamingTheResourceAndField() throws {
        let extra = """
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: no-as}
            spec: {peerIP: 192.0.2.250}

            ---
            apiVersion: projectcalico.org/v3
            kind: BGPPeer
            metadata: {name: no-secret}
            spec: {peerIP: 192.0.2.252, asNumber: 64513, password: {secretKeyRef: {name: bgp, key: absent}}}
            """
        var inputs = try Self.inputs(extra: extra)
        // Validation refuses these two on the way in; the renderer still leaves them out should one get past.
        var badIP = BGPPeer(name: "bad-ip")
        badIP.spec.peerIP = "192.0.2.300"
        badIP.spec.asNumber = 64513
        var badSelector = BGPPeer(name: "bad-selector")
        badSelector.spec.nodeSelector = "rack == "
        badSelector.spec.peerIP = "192.0.2.251"
        badSelector.spec.asNumber = 64513
        var quoted = BGPPeer(name: "quoted-password")
        quoted.spec.peerIP = "192.0.2.249"
        quoted.spec.asNumber = 64513
        quoted.spec.password = BGPPassword(secretKeyRef: .init(name: "bgp", key: "quoted"))
        inputs.peers += [badIP, badSelector, quoted]
        inputs.secrets[BGPPassword.SecretKeyRef(name: "bgp", key: "quoted")] = "pass\"word"
        let rendered = BIRDRenderer.render(inputs)
        #expect(rendered.sessions.map(\.protocolName) == ["Mesh_192_0_2_12", "Mesh_198_51_100_13"])
        let fields = Set(rendered.problems.map { "\($0.resource) \($0.field)" })
        #expect(
            fields == [
                "BGPPeer \"no-as\" spec.asNumber", "BGPPeer \"bad-ip\" spec.peerIP", "BGPPeer \"bad-selector\" spec.nodeSelector",
                "BGPPeer \"no-secret\" spec.password.secretKeyRef",
                "BGPPeer \"quoted-password\" spec.password.secretKeyRef",
            ])
        #expect(try Self.birdParses(rendered.text) != false)
    }

    @Test func peerAddressesTakeAnOptionalPort() {
        #expect(BGPPeerAddress("192.0.2.1") == BGPPeerAddress(address: IPAddress("192.0.2.1")!))
        #expect(BGPPeerAddress("192.0.2.1:1790")?.port == 1790)
        #expect(BGPPeerAddress("[2001:db8::1]:1790") == BGPPeerAddress(address: IPAddress("2001:db8::1")!, port: 1790))
        #expect(BGPPeerAddress("2001:db8::1")?.port == nil)
        for bad in ["192.0.2.1:0", "192.0.2.1:70000", "[192.0.2.1]:179", "host:179", ""] { #expect(BGPPeerAddress(bad) == nil, "\(bad)") }
    }

    @Test func anUnreadableMeshPasswordIsOneProblemSayingWhy() throws {
        let extra = """
            apiVersion: projectcalico.org/v3
            kind: BGPConfiguration
            metadata: {name: default}
            spec: {nodeMeshPassword: {secretKeyRef: {name: bgp, key: mesh}}}
            """
        var inputs = try Self.inputs(extra: extra)
        inputs.unreadableSecrets[BGPPassword.SecretKeyRef(name: "bgp", key: "mesh")] =
            "/etc/tabby/bgp-secrets/bgp/mesh does not exist"
        let rendered = BIRDRenderer.render(inputs)
        #expect(rendered.sessions.isEmpty)
        // Two mesh peers, one problem; the reason names the file.
        #expect(rendered.problems.count == 1, "\(rendered.problems)")
        #expect(rendered.problems.first?.field == "spec.nodeMeshPassword.secretKeyRef")
        #expect(rendered.problems.first?.reason.contains("/etc/tabby/bgp-secrets/bgp/mesh does not exist") == true)
    }
}
