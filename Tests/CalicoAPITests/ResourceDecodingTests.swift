import NetworkAddress
import Testing

@testable import CalicoAPI

@Suite("Decoding manifests")
struct ResourceDecodingTests {
    static let seedPool = """
        apiVersion: crd.projectcalico.org/v1
        kind: IPPool
        metadata:
          name: default-pool
        spec:
          cidr: 10.233.64.0/18
          blockSize: 24
          ipipMode: Always
          natOutgoing: true
          nodeSelector: all()
          allowedUses: [Workload, Tunnel]
        """

    @Test func seedIPPoolDecodesWithDefaults() throws {
        let resource = try ResourceCodec.decodeOne(Self.seedPool, source: "pool.yaml")
        let pool = try #require(resource.as(IPPool.self))
        #expect(pool.metadata.name == "default-pool")
        #expect(pool.spec.cidr == CIDR("10.233.64.0/18"))
        #expect(pool.spec.blockSize == 24)
        #expect(pool.spec.ipipMode == .always)
        #expect(pool.spec.vxlanMode == .never)
        #expect(pool.spec.natOutgoing == true)
        #expect(pool.spec.allowedUses == [.workload, .tunnel])
        #expect(pool.spec.assignmentMode == .automatic)
    }

    @Test func defaultsFillBlockSizeByFamily() throws {
        let v4 = try ResourceCodec.decodeOne(pool(cidr: "192.0.2.0/24")).as(IPPool.self)
        let v6 = try ResourceCodec.decodeOne(pool(cidr: "2001:db8::/64")).as(IPPool.self)
        #expect(v4?.spec.blockSize == 26)
        #expect(v6?.spec.blockSize == 122)
        #expect(v4?.spec.nodeSelector == "all()")
    }

    @Test func jsonDocumentsDecode() throws {
        let json = """
            {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
             "metadata": {"name": "p"}, "spec": {"cidr": "198.51.100.0/24", "blockSize": 28}}
            """
        let pool = try ResourceCodec.decodeOne(json).as(IPPool.self)
        #expect(pool?.spec.blockSize == 28)
    }

    @Test func multiDocumentStreamAndListDecode() throws {
        let text = """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: security}
            spec: {order: 100}
            ---
            apiVersion: projectcalico.org/v3
            kind: List
            items:
            - apiVersion: projectcalico.org/v3
              kind: GlobalNetworkSet
              metadata: {name: a, labels: {role: db}}
              spec: {nets: [198.51.100.0/28]}
            - apiVersion: projectcalico.org/v3
              kind: NetworkSet
              metadata: {name: b, namespace: prod}
              spec: {nets: [203.0.113.7]}
            """
        let resources = try ResourceCodec.decodeAll(text)
        #expect(resources.map(\.kind) == [.tier, .globalNetworkSet, .networkSet])
        #expect(resources[0].as(Tier.self)?.spec.defaultAction == .deny)
        #expect(resources[2].key == ResourceKey(kind: .networkSet, namespace: "prod", name: "b"))
    }

    @Test func unknownFieldIsNamedWithItsPathAndLine() {
        let text = """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata:
              name: p
            spec:
              cidr: 192.0.2.0/24
              blockSzie: 26
            """
        let decoded = ResourceCodec.decode(text, source: "pools.yaml")
        #expect(decoded.resources.isEmpty)
        let error = decoded.errors.first
        #expect(error?.field == "spec.blockSzie")
        #expect(error?.location?.line == 7)
        #expect(error?.description == "pools.yaml: document 1 (line 7): IPPool \"p\": spec.blockSzie: unknown field \"blockSzie\"")
    }

    @Test func quotedNumberIsNotAnInteger() {
        let decoded = ResourceCodec.decode(pool(cidr: "192.0.2.0/24", extra: "blockSize: \"26\""))
        #expect(decoded.errors.first?.field == "spec.blockSize")
        #expect(decoded.errors.first?.reason == "expected an integer, got the string \"26\"")
    }

    @Test func oneBadDocumentDoesNotHideTheOthers() {
        let text = pool(cidr: "192.0.2.0/24") + "\n---\n" + pool(cidr: "192.0.2.1/24", name: "bad") + "\n---\n"
            + pool(cidr: "198.51.100.0/24", name: "third")
        let decoded = ResourceCodec.decode(text, source: "f.yaml")
        #expect(decoded.resources.map(\.metadata.name) == ["p", "third"])
        #expect(decoded.errors.count == 1)
        #expect(decoded.errors.first?.document == 2)
        #expect(decoded.errors.first?.name == "bad")
        #expect(decoded.errors.first?.field == "spec.cidr")
    }

    @Test func syntaxErrorNamesTheLineAndReturnsNothing() {
        let text = pool(cidr: "192.0.2.0/24") + "\n---\nkind: [unclosed\n"
        let decoded = ResourceCodec.decode(text, source: "f.yaml")
        #expect(decoded.resources.isEmpty)
        #expect(decoded.errors.first?.location?.line != nil)
        #expect(decoded.errors.first?.description.hasPrefix("f.yaml") == true)
    }

    @Test func yamlRoundTripKeepsTheResource() throws {
        let original = try ResourceCodec.decodeOne(Self.seedPool)
        let text = ResourceCodec.yaml(original)
        let again = try ResourceCodec.decodeOne(text)
        #expect(again == original)
        #expect(text.hasPrefix("apiVersion: projectcalico.org/v3\nkind: IPPool\n"))
        let json = ResourceCodec.json(original)
        #expect(try ResourceCodec.decodeOne(json) == original)
    }

    func pool(cidr: String, name: String = "p", extra: String = "") -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata:
          name: \(name)
        spec:
          cidr: \(cidr)
          \(extra)
        """
    }
}
