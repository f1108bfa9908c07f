import Foundation
import Testing

@testable import CalicoAPI

/// The fast reader of Tabby's own YAML must give exactly Yams' tree (values, quoting, lines and columns) for
/// everything it accepts, accept everything the emitter writes for a resource, and leave the rest to Yams.
@Suite("Canonical YAML reader")
struct CanonicalYAMLReaderTests {
    /// Yams' root of a one-document text, or nil when Yams fails or finds another number of documents.
    static func yams(_ text: String) -> ManifestNode? {
        guard let documents = try? ManifestParser.parseWithYams(text), documents.count == 1 else { return nil }
        return documents[0].root
    }

    /// Checks that the fast reader either declines `text` or reads exactly what Yams reads; true if it read it.
    @discardableResult
    static func agrees(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        guard let fast = CanonicalYAMLReader.read(text) else { return false }
        let slow = yams(text)
        #expect(fast == slow, "the fast reader differs from Yams for:\n\(text)", sourceLocation: sourceLocation)
        return true
    }

    /// One resource of every kind, with the fields that make YAML interesting: lists of mappings, nested lists,
    /// quoted numbers, selectors with quotes and braces, label keys with dots and slashes, empty collections,
    /// strings that need quotes and escapes.
    static let everyKind = """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata:
          name: pool-a
          labels: {zone: "a", "example.org/quoted": "yes"}
          annotations:
            note: "line one\\nline two \\"quoted\\" and back\\\\slash\\ttab"
            empty: ""
            colon: "a: b"
            hash: "x #y"
            dash: "-"
            numeric: "80:90"
            date: "2026-01-01"
            tilde: "~"
        spec:
          cidr: 10.244.0.0/16
          blockSize: 26
          ipipMode: CrossSubnet
          vxlanMode: Never
          natOutgoing: true
          nodeSelector: zone in {'a', 'b'} && !has(edge)
          allowedUses: [Workload, Tunnel]
        ---
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata:
          name: node-a
          labels: {kubernetes.io/hostname: node-a, topology.kubernetes.io/zone: "1"}
        spec:
          bgp: {ipv4Address: 192.0.2.1/24, ipv6Address: "2001:db8::1/64", asNumber: 64512}
          ipv4VXLANTunnelAddr: 10.244.0.1
          vxlanTunnelMACAddr: "66:aa:bb:cc:dd:ee"
          orchRefs: [{nodeName: node-a, orchestrator: k8s}]
          addresses: [{address: 192.0.2.1, type: InternalIP}]
        ---
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata:
          name: node--a-k8s-pod--1-eth0
          namespace: prod
          labels: {projectcalico.org/namespace: prod, app: web}
        spec:
          orchestrator: k8s
          node: node-a
          pod: pod-1
          endpoint: eth0
          interfaceName: cali0123456789a
          ipNetworks: [10.244.0.5/32, "fd00::5/128"]
          ipNATs: [{internalIP: 10.244.0.5, externalIP: 198.51.100.5}]
          mac: "02:42:0a:00:00:05"
          profiles: [kns.prod, ksa.prod.default]
          ports: [{name: http, protocol: TCP, port: 80}, {name: dns, protocol: UDP, port: 53}]
        ---
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata:
          name: node-a-eth0
        spec:
          node: node-a
          interfaceName: eth0
          expectedIPs: [192.0.2.1]
          ports: [{name: ssh, protocol: TCP, port: 22}]
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata:
          name: security
        spec:
          order: 100.5
          defaultAction: Pass
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata:
          name: security.allow-dns
        spec:
          tier: security
          order: 10
          selector: all()
          namespaceSelector: projectcalico.org/name not in {'kube-system'}
          types: [Ingress, Egress]
          ingress:
          - action: Allow
            protocol: UDP
            source: {nets: [10.0.0.0/8], notNets: [], selector: "role == 'dns'"}
            destination: {ports: [53, "1000:2000", dns]}
          - action: Deny
            protocol: 1
            icmp: {type: 8, code: 0}
          egress:
          - action: Allow
            destination:
              serviceAccounts: {names: [a, b], selector: x == 'y'}
          - action: Log
          - action: Pass
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata:
          name: allow-web
          namespace: prod
        spec:
          selector: app == 'web'
          ingress:
          - action: Allow
            protocol: TCP
            source: {selector: app == 'lb'}
            destination: {ports: [80, 443]}
            http: {methods: [GET], paths: [{exact: /}, {prefix: /api}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata:
          name: kns.prod
        spec:
          ingress: [{action: Allow}]
          egress: [{action: Allow}]
          labelsToApply: {projectcalico.org/name: prod}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata:
          name: partners
          labels: {external: partner}
        spec:
          nets: [198.51.100.0/24, 203.0.113.7]
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkSet
        metadata:
          name: backends
          namespace: prod
        spec:
          nets: ["2001:db8::/64"]
        ---
        apiVersion: projectcalico.org/v3
        kind: FelixConfiguration
        metadata:
          name: default
        spec:
          routeRefreshInterval: 90s
          vxlanVNI: 4096
          mtuIfacePattern: ^((en|wl|ww|sl|ib)[Popsx].*|(eth|wlan|wwan).*)
          failsafeInboundHostPorts: [{protocol: TCP, port: 22}, {protocol: UDP, port: 68}]
          interfacePrefix: cali
          healthPort: 9099
          logSeverityScreen: Info
        ---
        apiVersion: projectcalico.org/v3
        kind: IPAMConfiguration
        metadata:
          name: default
        spec:
          strictAffinity: false
          maxBlocksPerHost: 0
        ---
        apiVersion: projectcalico.org/v3
        kind: BlockAffinity
        metadata:
          name: node-a-10-244-0-0-26
        spec:
          state: confirmed
          node: node-a
          cidr: 10.244.0.0/26
          deleted: false
        ---
        apiVersion: projectcalico.org/v3
        kind: IPAMBlock
        metadata:
          name: 10-244-0-0-30
        spec:
          cidr: 10.244.0.0/30
          affinity: host:node-a
          allocations: [0, 1, null, null]
          unallocated: [2, 3]
          attributes:
          - handle_id: vxlan-tunnel-addr-node-a
            secondary: {node: node-a, type: vxlanTunnelAddress}
          - handle_id: k8s-pod-network.abc
            secondary: {namespace: prod, node: node-a, pod: pod-1}
          sequenceNumber: 7
          sequenceNumberForAllocation: {"0": 1, "1": 7}
          strictAffinity: false
        ---
        apiVersion: projectcalico.org/v3
        kind: IPAMHandle
        metadata:
          name: k8s-pod-network.abc
        spec:
          handleID: k8s-pod-network.abc
          block: {10.244.0.0/30: 1}
        ---
        apiVersion: projectcalico.org/v3
        kind: BGPConfiguration
        metadata:
          name: default
        spec:
          logSeverityScreen: Info
          nodeToNodeMeshEnabled: false
          asNumber: 64512
          listenPort: 1790
          serviceClusterIPs: [{cidr: 198.51.100.0/24}]
          communities: [{name: fabric, value: "64512:100"}]
          prefixAdvertisements: [{cidr: 192.0.2.0/24, communities: [fabric, "64512:200:300"]}]
          ignoredInterfaces: [eth9, "dummy*"]
          nodeMeshPassword: {secretKeyRef: {name: bgp-secrets, key: mesh}}
          nodeMeshMaxRestartTime: 120s
        ---
        apiVersion: projectcalico.org/v3
        kind: BGPPeer
        metadata:
          name: rack1-tor
        spec:
          peerIP: "198.51.100.1:1790"
          asNumber: 64513
          nodeSelector: rack == 'rack-1'
          keepOriginalNextHop: true
          password: {secretKeyRef: {name: bgp-secrets, key: tor}}
          maxRestartTime: 2m
          ttlSecurity: 1
          filters: [only-pools]
        ---
        apiVersion: projectcalico.org/v3
        kind: BGPFilter
        metadata:
          name: only-pools
        spec:
          exportV4:
          - {cidr: 10.244.0.0/16, matchOperator: In, action: Accept}
          - {action: Reject}
          importV4:
          - {cidr: 203.0.113.0/24, prefixLength: {min: 24, max: 32}, matchOperator: NotIn, source: RemotePeers, action: Accept}
        ---
        apiVersion: v1
        kind: Namespace
        metadata:
          name: prod
          labels: {team: shop}
        spec:
          finalizers: [kubernetes]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-1
          namespace: prod
          labels: {app: web}
        spec:
          serviceAccountName: web
          containers:
          - name: nginx
            ports: [{name: http, containerPort: 80}]
        """

    static func resources(_ text: String) throws -> [AnyResource] {
        let decoded = ResourceCodec.decode(text, source: "test")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        return decoded.resources
    }

    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../examples/manifests").standardized

    @Test func everyKindIsCovered() throws {
        let kinds = Set(try Self.resources(Self.everyKind).map(\.kind))
        #expect(kinds == Set(ResourceKind.allCases))
    }

    /// What the file datastore writes for every kind (and for every example manifest) reads on the fast path,
    /// to the same tree as Yams and the same resource.
    @Test func theEmittersOutputReadsOnTheFastPathAsYamsReadsIt() throws {
        var texts = [Self.everyKind]
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.examples.path) where file.hasSuffix(".yaml") {
            texts.append(try String(contentsOfFile: Self.examples.appendingPathComponent(file).path, encoding: .utf8))
        }
        var count = 0
        for text in texts {
            for resource in try Self.resources(text) {
                var stamped = resource
                stamped.metadata.resourceVersion = "17"
                stamped.metadata.uid = "3f2c7a8e-9b41-4c55-8d0e-2a6b7f1e9c04"
                stamped.metadata.creationTimestamp = "2026-03-01T09:30:00Z"
                for candidate in [resource, stamped] {
                    let yaml = ResourceCodec.yaml(candidate)
                    #expect(Self.agrees(yaml), "the fast reader declined:\n\(yaml)")
                    let fast = ResourceCodec.decode(yaml)
                    #expect(fast.errors.isEmpty)
                    #expect(fast.resources == [candidate])
                    count += 1
                }
            }
        }
        #expect(count >= 40)
    }

    /// Scalars at the edges of what needs quotes, as keys and values, in mappings and lists.
    static let scalars: [String] = [
        "plain", "80", "-1", "-foo", "+1", "1e3", "0x1F", "0o17", "1_000", ".5", "-.5", "80:90", "2026-01-01",
        "2026-01-01T00:00:00Z", "true", "False", "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "", " ",
        " a", "a ", "a: b", "a:b", "a:", ":a", "#a", "a #b", "a#b", "-", "--", "---", "...", "- a", "?", "? a", "?a",
        ",a", "a,b", "[a]", "{a}", "]", "}", "k in {'a', 'b'}", "!has(a)", "&a", "*a", "|", ">", "'a'", "\"a\"",
        "%a", "@a", "`a", "a\tb", "a\nb", "a\rb", "a\\b", "é", "a\u{7f}", "a\u{1}", "=", "<<", "a b c", "a  b",
        "a=b", "a/b.c-d_e", "_x", "x.y/z", "all()", "has(a) && b == 'c' || d != \"e\"",
    ]

    static func scalar(_ text: String, quoted: Bool) -> ManifestNode {
        ManifestNode(.scalar(text, quoted: quoted))
    }

    @Test func scalarsAgreeWithYams() {
        var read = 0
        for text in Self.scalars {
            for quoted in [true, false] {
                let value = Self.scalar(text, quoted: quoted)
                let trees = [
                    ManifestNode(.mapping([.init(key: "k", value: value)])),
                    ManifestNode(.mapping([.init(key: text.isEmpty ? "k" : text, value: Self.scalar("v", quoted: true))])),
                    ManifestNode(.mapping([.init(key: "k", value: ManifestNode(.sequence([value, value])))])),
                    ManifestNode(
                        .mapping([
                            .init(key: "a", value: ManifestNode(.sequence([ManifestNode(.mapping([.init(key: "k", value: value)]))]))),
                            .init(key: "b", value: ManifestNode(.sequence([ManifestNode(.sequence([value]))]))),
                        ])),
                ]
                for tree in trees where Self.agrees(YAMLEmitter.emit(tree)) { read += 1 }
            }
        }
        // Most of them are read on the fast path; the rest (unquoted text that YAML would not read back) by Yams.
        #expect(read > Self.scalars.count * 4)
    }

    /// Hand-written YAML: whatever the fast reader accepts, it reads as Yams does; everything else it declines.
    static let handWritten: [String] = [
        "a: 1\n", "a: 1", "a: 1\n\n", "\na: 1\n", "# comment\na: 1\n", "a: 1 # comment\n", "a: 1\n# comment\n",
        "a:  1\n", "a: 1 \n", "a : 1\n", "a:\n  b: 1\n", "a:\n    b: 1\n", "a:\n - 1\n", "a:\n  - 1\n", "a:\n- 1\n",
        "a:\n- 1\n- 2\nb: 3\n", "a:\n- b: 1\n  c: 2\n- d: 3\n", "a:\n- b: 1\n   c: 2\n", "a:\n- - 1\n  - 2\n- 3\n",
        "a: [1, 2]\n", "a: {b: 1}\n", "a: {}\n", "a: []\n", "a: { }\n", "a: [ ]\n", "a: {} \n", "a: &x 1\nb: *x\n",
        "a: !!str 1\n", "a: 'q'\n", "a: \"q\"\n", "a: \"q\" \n", "a: \"q\"x\n", "a: \"\\u00e9\"\n", "a: \"\\x41\"\n",
        "a: \"\\/\"\n", "a: \"\\0\"\n", "a: \"q\nr\"\n", "a: |\n  x\n", "a: >\n  x\n", "a: b\n  c\n", "a: b\nc\n",
        "- a\n", "---\na: 1\n", "a: 1\n---\nb: 2\n", "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n", "a: 1\r\n",
        "a:\t1\n", "\ta: 1\n", "a: 1\na: 2\n", "a: 1\n\"a\": 2\n", "\"a\": 1\n", "\"a b\": 1\n", "\"a\":1\n",
        "a:1\n", "a.b/c: 1\n", "a: b: c\n", "a: -\n", "a: - b\n", "a:\n", "a:\nb: 1\n", "a: ~\n", "a: null\n",
        "é: 1\n", "a: é\n", "\u{FEFF}a: 1\n", "a:\n  b:\n  - 1\n  c: 2\n", "a:\n  b:\n    c: 1\n  d: 2\ne: 3\n",
        "a:\n- b:\n  - 1\n  c: 2\n", "a:\n -1\n", "a: 1\n b: 2\n", "a: 1\n  b: 2\n", "a:\n  b: 1\n c: 2\n",
        "a: \"unterminated\n", "a: [unclosed\n", "? a\n: 1\n", "a: 1\n- 2\n", "a:\n- 1\n  - 2\n",
        "<<: {a: 1}\n", "a: <<\n", "a: =\n", String(repeating: "k", count: 600) + ": 1\n",
        "k" + String(repeating: "0", count: 2000) + ": 1\n",
    ]

    @Test func handWrittenYAMLAgreesWithYamsOrIsDeclined() {
        var read = 0
        for text in Self.handWritten where Self.agrees(text) { read += 1 }
        #expect(read > 10)
        // These are Yams' to report or to read.
        for text in ["a: 1\na: 2\n", "a: [unclosed\n", "a: \"unterminated\n", "a: 1\n- 2\n", "a: 1\n---\nb: 2\n"] {
            #expect(CanonicalYAMLReader.read(text) == nil, "\(text)")
        }
    }

    /// Random trees of the scalars above, written by the emitter: the fast reader agrees with Yams on every one
    /// it reads, and reads most of them.
    @Test func randomTreesAgreeWithYams() {
        var generator = SeededTestRandom(seed: 0x7ab_b1e5)
        let keys = ["a", "b", "c.d/e", "f-g", "h_i", "j", "kk", "l0"]
        func tree(_ depth: Int) -> ManifestNode {
            let roll = generator.next() % 10
            if depth >= 4 || roll < 4 {
                let text = Self.scalars[Int(generator.next() % UInt64(Self.scalars.count))]
                return Self.scalar(text, quoted: generator.next() % 4 != 0)
            }
            let count = Int(generator.next() % 4)
            if roll < 7 {
                var entries: [ManifestNode.Entry] = []
                for key in keys.shuffled(using: &generator).prefix(count) {
                    entries.append(.init(key: key, value: tree(depth + 1)))
                }
                return ManifestNode(.mapping(entries))
            }
            return ManifestNode(.sequence((0..<count).map { _ in tree(depth + 1) }))
        }
        var read = 0
        let total = 3000
        for _ in 0..<total {
            var entries: [ManifestNode.Entry] = []
            for key in keys.prefix(1 + Int(generator.next() % 4)) { entries.append(.init(key: key, value: tree(1))) }
            if Self.agrees(YAMLEmitter.emit(ManifestNode(.mapping(entries)))) { read += 1 }
        }
        #expect(read > total / 4)
    }
}
