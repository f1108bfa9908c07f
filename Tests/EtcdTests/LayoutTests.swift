import CalicoAPI
import Datastore
import NetworkAddress
import Testing

@testable import Etcd

/// Calico's etcd key layout, both ways, with keys as Calico writes them.
@Suite("Etcd key layout")
struct LayoutTests {
    @Test(arguments: [
        ("10.244.1.0/26", "10-244-1-0-26", "/calico/ipam/v2/assignment/ipv4/block/10.244.1.0-26"),
        ("192.0.2.64/26", "192-0-2-64-26", "/calico/ipam/v2/assignment/ipv4/block/192.0.2.64-26"),
        ("2001:db8::/122", "2001-db8---122", "/calico/ipam/v2/assignment/ipv6/block/2001:db8::-122"),
        ("2001:db8:0:1::40/122", "2001-db8-0-1--40-122", "/calico/ipam/v2/assignment/ipv6/block/2001:db8:0:1::40-122"),
    ])
    func blockNamesAndKeys(_ cidrText: String, _ name: String, _ key: String) throws {
        let cidr = try #require(CIDR(cidrText))
        #expect(IPAMKeyNames.block(cidr) == name)
        #expect(IPAMKeyNames.blockCIDR(fromName: name) == cidr)
        #expect(EtcdKeyLayout.blockKey(cidr) == key)
        #expect(EtcdKeyLayout.candidateKeys(of: ResourceKey(kind: .ipamBlock, name: name)) == [key])
        #expect(
            EtcdKeyLayout.parse(key)
                == .object(.init(key: ResourceKey(kind: .ipamBlock, name: name), ipam: .block(cidr))))
    }

    @Test func blockNamesThatAreNotCanonicalNameNoBlock() {
        for name in ["10-244-1-1-26", "10-244-1-0", "010-244-1-0-26", "10-244-1-0-33", "node-a", "2001-DB8---122"] {
            #expect(IPAMKeyNames.blockCIDR(fromName: name) == nil, "\(name)")
        }
    }

    @Test func affinityKeysSplitTheNameIntoNodeAndBlock() throws {
        let cidr = try #require(CIDR("10.244.1.0/26"))
        let key = ResourceKey(kind: .blockAffinity, name: "node-1-10-244-1-0-26")
        let candidates = EtcdKeyLayout.candidateKeys(of: key)
        #expect(candidates.first == "/calico/ipam/v2/host/node-1/ipv4/block/10.244.1.0-26")
        #expect(candidates.contains("/calico/ipam/v2/virtual/node-1/ipv4/block/10.244.1.0-26"))
        #expect(
            EtcdKeyLayout.parse("/calico/ipam/v2/host/node-1/ipv4/block/10.244.1.0-26")
                == .object(.init(key: key, ipam: .affinity(node: "node-1", cidr: cidr, virtual: false))))
        // A node named like the start of an address: every split whose rest is a block is a candidate.
        let odd = IPAMKeyNames.affinitySplits("n-10-10-244-1-0-26")
        #expect(odd.map(\.node) == ["n-10"])
        let v6 = try #require(CIDR("2001:db8::/122"))
        #expect(
            EtcdKeyLayout.affinityKey(node: "node-1", cidr: v6, virtual: false)
                == "/calico/ipam/v2/host/node-1/ipv6/block/2001:db8::-122")
    }

    @Test func affinityWritesNeedTheNameTheirContentGives() throws {
        var spec = BlockAffinitySpec(state: .confirmed, node: "node-1", cidr: CIDR("10.244.1.0/26")!)
        let good = AnyResource(BlockAffinity(name: "node-1-10-244-1-0-26", spec: spec))
        #expect(try EtcdKeyLayout.key(of: good) == "/calico/ipam/v2/host/node-1/ipv4/block/10.244.1.0-26")
        spec.type = "virtual"
        let virtual = AnyResource(BlockAffinity(name: "node-1-10-244-1-0-26", spec: spec))
        #expect(try EtcdKeyLayout.key(of: virtual) == "/calico/ipam/v2/virtual/node-1/ipv4/block/10.244.1.0-26")
        let misnamed = AnyResource(BlockAffinity(name: "whatever", spec: spec))
        #expect(throws: DatastoreError.self) { try EtcdKeyLayout.key(of: misnamed) }
    }

    @Test func longAffinityNamesAreShortenedAsTheIPAMModuleDoes() throws {
        let node = String(repeating: "n", count: 250)
        let name = IPAMKeyNames.affinity(node: node, block: try #require(CIDR("10.244.1.0/26")))
        #expect(name.utf8.count <= 253)
        #expect(name.hasPrefix(String(repeating: "n", count: 200)))
        // `IPAMNames.affinity` in the IPAM module gives this for the same input (FNV-1a 64 of the whole name).
        #expect(IPAMKeyNames.handle(String(repeating: "H", count: 300)).utf8.count <= 253)
        #expect(IPAMKeyNames.handle("K8s-Pod-Network.ABC") == "k8s-pod-network.abc")
    }

    @Test func calicoKindsAndKubernetesKinds() {
        let pool = ResourceKey(kind: .ipPool, name: "default-ipv4-ippool")
        #expect(
            EtcdKeyLayout.candidateKeys(of: pool) == ["/calico/resources/v3/projectcalico.org/ippools/default-ipv4-ippool"])
        let endpoint = ResourceKey(kind: .workloadEndpoint, namespace: "default", name: "node1-k8s-pod1-eth0")
        let endpointKey = "/calico/resources/v3/projectcalico.org/workloadendpoints/default/node1-k8s-pod1-eth0"
        #expect(EtcdKeyLayout.candidateKeys(of: endpoint) == [endpointKey])
        #expect(EtcdKeyLayout.parse(endpointKey) == .object(.init(key: endpoint)))
        let pod = ResourceKey(kind: .pod, namespace: "default", name: "pod1")
        #expect(EtcdKeyLayout.candidateKeys(of: pod) == ["/calico/tabby/kubernetes/pods/default/pod1"])
        #expect(EtcdKeyLayout.parse("/calico/tabby/kubernetes/namespaces/default") == .object(
            .init(key: ResourceKey(kind: .namespace, name: "default"))))
        #expect(
            EtcdKeyLayout.candidateKeys(of: ResourceKey(kind: .ipamHandle, name: "k8s-pod-network.abc"))
                == ["/calico/ipam/v2/handle/k8s-pod-network.abc"])
        #expect(
            EtcdKeyLayout.candidateKeys(of: ResourceKey(kind: .ipamConfiguration, name: "default"))
                == ["/calico/ipam/v2/config"])
        #expect(
            EtcdKeyLayout.ranges(of: .networkPolicy, namespace: "prod")
                == [.init(prefix: "/calico/resources/v3/projectcalico.org/networkpolicies/prod/")])
    }

    @Test func keysThatAreNotTabbysAreIgnoredAndMisshapedOnesReported() {
        for key in [
            "/calico/v1/config/LogSeverityScreen", "/calico/v1/host/node1/metadata",
            "/calico/resources/v3/projectcalico.org/kubecontrollersconfigurations/default",
            "/calico/resources/v3/projectcalico.org/clusterinformations/default", "/calico/ipam/v2/unknown",
            "/calico/tabby/kubernetes/ippools/x", "/other/thing",
        ] {
            #expect(EtcdKeyLayout.parse(key) == nil, "\(key)")
        }
        for key in [
            "/calico/resources/v3/projectcalico.org/ippools/a/b",
            "/calico/resources/v3/projectcalico.org/workloadendpoints/only-name",
            "/calico/ipam/v2/assignment/ipv4/block/10.244.1.1-26", "/calico/ipam/v2/host/node/ipv6/block/10.0.0.0-26",
        ] {
            guard case .malformed? = EtcdKeyLayout.parse(key) else {
                Issue.record("\(key) should be malformed")
                continue
            }
        }
    }
}
