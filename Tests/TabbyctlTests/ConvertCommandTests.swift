import Foundation
import Testing

@testable import TabbyCtlCommands

private let v1Manifests = """
    apiVersion: v1
    kind: policy
    metadata:
      name: allow-tcp-6379
    spec:
      selector: role == 'database' && calico/k8s_ns == 'shop'
      order: 100
      ingress:
      - action: allow
        protocol: tcp
        source:
          tag: frontend
          selector: role == 'frontend'
        destination:
          ports: [6379]
      - action: next-tier
        source:
          net: 198.51.100.0/24
          nets: [203.0.113.0/24]
      egress:
      - action: deny
        protocol: udp
    ---
    apiVersion: v1
    kind: profile
    metadata:
      name: k8s_ns.shop
      labels: {team: a}
      tags: [shop]
    spec:
      ingress:
      - action: allow
    ---
    apiVersion: v1
    kind: ipPool
    metadata:
      cidr: 192.0.2.0/24
    spec:
      ipip:
        enabled: true
        mode: cross-subnet
      nat-outgoing: true
    ---
    apiVersion: v1
    kind: node
    metadata:
      name: Node-1.example.com
    spec:
      bgp:
        asNumber: 64512
        ipv4Address: 192.0.2.10/24
    ---
    apiVersion: v1
    kind: hostEndpoint
    metadata:
      name: eth0
      node: Node-1.example.com
      labels: {role: edge}
    spec:
      interfaceName: eth0
      expectedIPs: [192.0.2.10]
      profiles: [k8s_ns.shop]
    ---
    apiVersion: v1
    kind: workloadEndpoint
    metadata:
      name: eth0
      workload: shop.web-1
      orchestrator: k8s
      node: node-1.example.com
      activeInstanceID: 1234abcd
      labels: {calico/k8s_ns: shop, app: web}
    spec:
      interfaceName: cali0123456789a
      ipNetworks: [192.0.2.5/32]
      profiles: [k8s_ns.shop]
    """

@Suite("tabbyctl convert", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct ConvertCommandTests {
    @Test func v1ManifestsBecomeV3AsCalicoConvertsThem() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let result = try ctl.run("convert", "-f", try ctl.file("v1.yaml", v1Manifests))
        #expect(result.status == 0, "\(result.err)")
        let out = result.out
        #expect(out.hasPrefix("apiVersion: projectcalico.org/v3\nitems:\n") || out.contains("kind: List"))
        // policy: a GlobalNetworkPolicy in the default tier, selectors and tags converted, types inferred.
        #expect(out.contains("name: default.allow-tcp-6379"))
        #expect(out.contains("projectcalico.org/tier: default"))
        #expect(out.contains("selector: role == 'database' && projectcalico.org/namespace == 'shop'"))
        #expect(out.contains("selector: (role == 'frontend') && frontend == ''"))
        #expect(out.contains("action: Pass"))
        #expect(out.contains("protocol: TCP"))
        #expect(out.contains("- 198.51.100.0/24\n") && out.contains("- 203.0.113.0/24\n"))
        #expect(out.contains("- Ingress\n") && out.contains("- Egress\n"))
        // profile: k8s_ns. -> kns., tags merged into labelsToApply.
        #expect(out.contains("name: kns.shop"))
        #expect(out.contains("shop: ''") || out.contains("shop: \"\""))
        // ipPool: named from its CIDR, ipip -> ipipMode, nat-outgoing -> natOutgoing.
        #expect(out.contains("name: 192-0-2-0-24"))
        #expect(out.contains("ipipMode: CrossSubnet"))
        #expect(out.contains("natOutgoing: true"))
        #expect(out.contains("blockSize: 26"))
        // node and host endpoint: node names normalised.
        #expect(out.contains("name: node-1.example.com"))
        #expect(out.contains("ipv4Address: 192.0.2.10/24"))
        #expect(out.contains("name: node-1.example.com.eth0"))
        #expect(out.contains("- kns.shop"))
        // workload endpoint: the name from its identifiers, the namespace from the workload ID.
        #expect(out.contains("name: node--1.example.com-k8s-web--1-eth0"))
        #expect(out.contains("namespace: shop"))
        #expect(out.contains("containerID: 1234abcd"))
        #expect(out.contains("projectcalico.org/namespace: shop"))
        #expect(!out.contains("calico/k8s_ns"))

        // What convert prints, apply takes.
        let applied = try ctl.run("apply", "-f", try ctl.file("v3.yaml", out))
        #expect(applied.status == 0, "\(applied.err)")
    }

    @Test func crdV1ObjectsBecomeV3AndJSONIsAnOutput() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let crd = """
            apiVersion: crd.projectcalico.org/v1
            kind: IPPool
            metadata:
              name: default-pool
              resourceVersion: "4711"
              uid: 0b7e5e1c-0000-4000-8000-000000000000
            spec:
              cidr: 198.51.100.0/24
              vxlanMode: Always
            """
        let result = try ctl.run("convert", "-f", try ctl.file("crd.yaml", crd), "-o", "json")
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("\"apiVersion\" : \"projectcalico.org/v3\""))
        #expect(result.out.contains("\"vxlanMode\" : \"Always\""))
        #expect(!result.out.contains("4711"))
        #expect(!result.out.contains("uid"))
    }

    @Test func aKindWithoutAV3ModelIsAnErrorNamingTheDocument() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let peer = """
            apiVersion: v1
            kind: ipPool
            metadata: {cidr: 192.0.2.0/24}
            ---
            apiVersion: v1
            kind: bgpPeer
            metadata: {peerIP: 192.0.2.1, scope: global}
            spec: {asNumber: 64513}
            """
        let file = try ctl.file("peer.yaml", peer)
        let result = try ctl.run("convert", "-f", file)
        #expect(result.status == 2)
        #expect(result.out.isEmpty)
        #expect(result.err.contains("\(file): document 2 (kind bgpPeer)"))
        #expect(result.err.contains("no v3 model for BGPPeer"))
    }

    @Test func invalidResultsAreReportedUnlessValidationIsSkipped() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let bad = """
            apiVersion: v1
            kind: policy
            metadata: {name: p}
            spec:
              selector: "role =="
            """
        let file = try ctl.file("bad.yaml", bad)
        let result = try ctl.run("convert", "-f", file)
        #expect(result.status == 2)
        #expect(result.err.contains("spec.selector"))
        #expect(result.err.contains("--ignore-validation"))
        let raw = try ctl.run("convert", "-f", file, "--ignore-validation")
        #expect(raw.status == 0, "\(raw.err)")
        #expect(raw.out.contains("name: default.p"))

        let wrongShape = try ctl.run(
            "convert", "-f", try ctl.file("k8s.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"))
        #expect(wrongShape.status == 2)
        #expect(wrongShape.err.contains("not a Calico v1 kind"))
        let missing = try ctl.run("convert", "-f", "/nonexistent/file.yaml")
        #expect(missing.status == 2)
    }

    @Test func namesAreNormalisedAsCalicosUpgradeDoes() {
        #expect(V1Names.normalized("Foo_Bar/baz..-x-") == "foo-bar.baz.x")
        #expect(V1Names.normalized("a__b") == "a-b")
        #expect(V1Names.normalized("-.a.-b-") == "a.b")
        #expect(V1Names.converted("Foo_Bar/baz..-x-") == "foo-bar.baz.x-e5ceefe0")
        #expect(V1Names.converted("plain-name") == "plain-name")
        #expect(V1Names.profile("Prof_A") == "prof-a-14bb1c18")
        #expect(V1Names.convertedWithoutDots("a.b") == "a-b-" + String(SHA1Hex.of("a.b").prefix(8)))
        #expect(V1Names.pool("2001:db8::/32") == "2001-db8---32")
        #expect(
            V1RuleConversion.selector("has(calico/k8s_ns) || x == 'calico/k8s_ns'")
                == "has(projectcalico.org/namespace) || x == 'calico/k8s_ns'")
        #expect(V1RuleConversion.selector("calico/k8s_ns_other == 'a'") == "calico/k8s_ns_other == 'a'")
    }
}

/// The digest Calico qualifies renamed resources with.
private enum SHA1Hex {
    static func of(_ text: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha1sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(40))
    }
}
