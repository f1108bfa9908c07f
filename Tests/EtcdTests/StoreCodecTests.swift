@testable import CalicoAPI
import Datastore
import Foundation
import NetworkAddress
import Testing

@testable import Etcd

/// Values as Calico writes them under its keys, read into Tabby's resources and written back in Calico's shape.
@Suite("Etcd value codec")
struct StoreCodecTests {
    /// An IPPool as calicoctl stores it (compact JSON, no resourceVersion).
    static let calicoctlPool = """
        {"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"default-ipv4-ippool",\
        "uid":"3f1c9a51-0d4e-4b8a-9d51-7f3c2b1a0e11","creationTimestamp":"2024-05-01T10:00:00Z"},\
        "spec":{"cidr":"10.244.0.0/16","vxlanMode":"Always","ipipMode":"Never","natOutgoing":true,\
        "blockSize":26,"nodeSelector":"all()","allowedUses":["Workload","Tunnel"]}}
        """

    /// A WorkloadEndpoint as Calico's CNI plugin stores it on etcd.
    static let calicoEndpoint = """
        {"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"node1-k8s-pod1-eth0",\
        "namespace":"default","uid":"8b0e3c52-1111-4c2e-9a9e-5d2f6b7c8d90","creationTimestamp":"2024-05-01T10:01:00Z",\
        "labels":{"app":"web","projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"k8s"}},\
        "spec":{"orchestrator":"k8s","node":"node1","containerID":"1234abcd","pod":"pod1","endpoint":"eth0",\
        "serviceAccountName":"default","ipNetworks":["10.244.1.5/32"],"profiles":["kns.default","ksa.default.default"],\
        "interfaceName":"cali0123456789a","mac":"ee:ee:ee:ee:ee:ee"}}
        """

    /// An AllocationBlock as libcalico-go's IPAM writes it (4 addresses shown as a /30 to keep it short).
    static let calicoBlock = """
        {"cidr":"10.244.1.0/30","affinity":"host:node1","affinityClaimTime":"2024-05-01T10:00:00Z",\
        "strictAffinity":false,"allocations":[0,null,1,null],"unallocated":[1,3],\
        "attributes":[{"handle_id":"vxlan-tunnel-addr-node1","secondary":{"node":"node1","type":"vxlanTunnelAddress"}},\
        {"handle_id":"k8s-pod-network.1234abcd","secondary":{"namespace":"default","node":"node1","pod":"pod1"}}],\
        "deleted":false,"sequenceNumber":1714557600000000000,"sequenceNumberForAllocation":{"0":1714557600000000000,\
        "2":1714557600000000001}}
        """

    func kv(_ key: String, _ value: String, revision: Int64 = 42) -> EtcdKeyValue {
        EtcdKeyValue(key: Array(key.utf8), value: Array(value.utf8), createRevision: revision, modRevision: revision, version: 1)
    }

    func resource(_ object: EtcdObject?) throws -> AnyResource {
        guard case .resource(let resource)? = object else {
            throw TestServerFailure("expected a resource, got \(String(describing: object))")
        }
        return resource
    }

    @Test func calicoctlPoolReadsAndWritesBack() throws {
        let key = "/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool"
        let read = try resource(EtcdValueCodec.decode(kv(key, Self.calicoctlPool)))
        let pool = try #require(read.as(IPPool.self))
        #expect(pool.metadata.resourceVersion == "42")
        #expect(pool.metadata.uid == "3f1c9a51-0d4e-4b8a-9d51-7f3c2b1a0e11")
        #expect(pool.spec.cidr == CIDR("10.244.0.0/16"))
        #expect(pool.spec.blockSize == 26)
        // Written back: Calico's shape, without the resourceVersion (it is the mod revision).
        let written = try JSONSerialization.jsonObject(with: Data(EtcdValueCodec.encode(read))) as? [String: Any]
        #expect(written?["apiVersion"] as? String == "projectcalico.org/v3")
        #expect(written?["kind"] as? String == "IPPool")
        let metadata = written?["metadata"] as? [String: Any]
        #expect(metadata?["name"] as? String == "default-ipv4-ippool")
        #expect(metadata?["resourceVersion"] == nil)
        #expect((written?["spec"] as? [String: Any])?["cidr"] as? String == "10.244.0.0/16")
        #expect(try resource(EtcdValueCodec.decode(kv(key, String(decoding: EtcdValueCodec.encode(read), as: UTF8.self)))) == read)
    }

    @Test func calicoEndpointReads() throws {
        let key = "/calico/resources/v3/projectcalico.org/workloadendpoints/default/node1-k8s-pod1-eth0"
        let endpoint = try #require(try resource(EtcdValueCodec.decode(kv(key, Self.calicoEndpoint))).as(WorkloadEndpoint.self))
        #expect(endpoint.metadata.namespace == "default")
        #expect(endpoint.spec.ipNetworks == [CIDR("10.244.1.5/32")!])
        #expect(endpoint.spec.interfaceName == "cali0123456789a")
    }

    @Test func calicoBlockReadsAndWritesBackInCalicosShape() throws {
        let key = "/calico/ipam/v2/assignment/ipv4/block/10.244.1.0-30"
        let read = try resource(EtcdValueCodec.decode(kv(key, Self.calicoBlock)))
        let block = try #require(read.as(IPAMBlock.self))
        #expect(block.metadata.name == "10-244-1-0-30")
        #expect(block.metadata.resourceVersion == "42")
        #expect(block.spec.affinity == "host:node1")
        #expect(block.spec.allocations == [0, nil, 1, nil])
        #expect(block.spec.attributes[1].handleID == "k8s-pod-network.1234abcd")
        #expect(block.spec.attributes[0].secondary?["type"] == "vxlanTunnelAddress")
        #expect(block.spec.sequenceNumberForAllocation?["2"] == 1_714_557_600_000_000_001)
        let written = try #require(
            try JSONSerialization.jsonObject(with: Data(EtcdValueCodec.encode(read))) as? [String: Any])
        let expected = try #require(
            try JSONSerialization.jsonObject(with: Data(Self.calicoBlock.utf8)) as? [String: Any])
        func canonical(_ object: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(try canonical(written) == canonical(expected))
    }

    @Test func calicoAffinityHandleAndConfigRead() throws {
        let affinity = try #require(
            try resource(
                EtcdValueCodec.decode(
                    kv("/calico/ipam/v2/host/node1/ipv4/block/10.244.1.0-26", #"{"state":"confirmed","deleted":false}"#))
            ).as(BlockAffinity.self))
        #expect(affinity.metadata.name == "node1-10-244-1-0-26")
        #expect(affinity.spec.node == "node1")
        #expect(affinity.spec.state == .confirmed)
        #expect(affinity.spec.cidr == CIDR("10.244.1.0/26"))
        #expect(affinity.spec.type == "host")

        let handle = try #require(
            try resource(
                EtcdValueCodec.decode(
                    kv("/calico/ipam/v2/handle/k8s-pod-network.1234abcd", #"{"block":{"10.244.1.0/26":1},"deleted":false}"#))
            ).as(IPAMHandle.self))
        #expect(handle.spec.handleID == "k8s-pod-network.1234abcd")
        #expect(handle.spec.block == ["10.244.1.0/26": 1])

        let config = try #require(
            try resource(
                EtcdValueCodec.decode(
                    kv("/calico/ipam/v2/config", #"{"strict_affinity":true,"auto_allocate_blocks":true,"maxBlocksPerHost":4}"#))
            ).as(IPAMConfiguration.self))
        #expect(config.metadata.name == "default")
        #expect(config.spec.strictAffinity == true)
        #expect(config.spec.maxBlocksPerHost == 4)
        let written = String(decoding: EtcdValueCodec.encode(AnyResource(config)), as: UTF8.self)
        #expect(written.contains(#""strict_affinity":true"#))
        #expect(written.contains(#""auto_allocate_blocks":true"#))
    }

    @Test func badValuesAreProblemsNamingTheKey() {
        let poolKey = "/calico/resources/v3/projectcalico.org/ippools/pool-a"
        let cases: [(String, String, String)] = [
            (poolKey, "not json", "not a JSON object"),
            (poolKey, "{\"kind\":\"IPPool\",", "syntax error"),
            (poolKey, #"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-b"},"spec":{"cidr":"10.0.0.0/16"}}"#, "the key names \"pool-a\""),
            (poolKey, #"{"kind":"GlobalNetworkSet","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-a"}}"#, "holds a GlobalNetworkSet"),
            (poolKey, #"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"pool-a"},"spec":{"cidr":"10.0.0.1/16"}}"#, ""),
            ("/calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26", #"{"cidr":"10.244.2.0/26"}"#, "the key is the block 10.244.1.0/26"),
            ("/calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26", #"{"cidr":"10.244.1.0/26","allocations":"x"}"#, "expected a list"),
            ("/calico/ipam/v2/host/node1/ipv4/block/10.244.1.0-26", #"{"state":"sideways"}"#, "unknown state"),
        ]
        for (key, value, reason) in cases {
            guard case .problem(let problem)? = EtcdValueCodec.decode(kv(key, value)) else {
                Issue.record("\(value) under \(key) should be a problem")
                continue
            }
            #expect(problem.path == key)
            #expect(problem.description.contains(key), "\(problem)")
            #expect(reason.isEmpty || problem.description.contains(reason), "\(problem.description)")
        }
    }

    @Test func jsonFastPathGivesYamsTree() throws {
        for text in [Self.calicoctlPool, Self.calicoEndpoint, #"{"a":"\u00e9\n","b":[1,-2.5e3,true,null,{}],"c":{}}"#] {
            let fast = try #require(try ManifestParser.parse(text).first?.root)
            let documents = try #require(try ManifestParser.parseWithYams(text).first?.root)
            #expect(strip(fast) == strip(documents))
        }
    }
}

/// The tree without locations (the two readers agree on structure, scalars and quoting).
private func strip(_ node: ManifestNode) -> ManifestNode {
    switch node.value {
    case .scalar: return ManifestNode(node.value)
    case .sequence(let items): return ManifestNode(.sequence(items.map(strip)))
    case .mapping(let entries):
        return ManifestNode(.mapping(entries.map { ManifestNode.Entry(key: $0.key, keyLocation: nil, value: strip($0.value)) }))
    }
}

struct TestServerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
