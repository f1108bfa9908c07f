import CNI
import CalicoAPI
import Datastore
import Foundation
import IPAM
import NetworkAddress
import Testing

@Suite struct StoreGarbageCollectionTests {
    @Test func gcKeepsValidAttachmentsAndReleasesTheRest() async throws {
        let datastore = storeDatastore()
        let store = WorkloadStore(datastore: datastore)
        let dotted = "net.one"
        for container in ["keep", "stale1", "stale2"] {
            _ = try await store.add(containerIdentity(container, network: dotted))
        }
        // Not this GC's: another node's container, another network's, Calico's older workload handle, a tunnel.
        _ = try await store.add(containerIdentity("remote", node: "node-2", network: dotted))
        _ = try await store.add(containerIdentity("elsewhere", network: "net"))
        let ipam = IPAMClient(datastore: datastore)
        _ = try await ipam.assign(
            count: 1, handle: "net.one.shop.web-0", attributes: ["node": storeNode], node: storeNode)
        _ = try await ipam.assign(
            count: 1, handle: "vxlan-tunnel-addr-\(storeNode)", attributes: ["type": "vxlanTunnelAddress"],
            node: storeNode, use: .tunnel)

        let released = try await store.garbageCollect(network: dotted, node: storeNode, validContainerIDs: ["keep"])
        #expect(released == ["net.one.stale1", "net.one.stale2"])
        let handles = Set(try await allocatedAddresses(datastore).values)
        #expect(
            handles == [
                "net.one.keep", "net.one.remote", "net.elsewhere", "net.one.shop.web-0", "vxlan-tunnel-addr-node-1",
            ])
        let endpoints = try await datastore.list(.workloadEndpoint, namespace: nil).resources
            .compactMap { $0.as(WorkloadEndpoint.self)?.spec.containerID }
        #expect(Set(endpoints) == ["keep", "remote", "elsewhere"])
        // Nothing left to collect: a second GC releases nothing.
        #expect(try await store.garbageCollect(network: dotted, node: storeNode, validContainerIDs: ["keep"]).isEmpty)
    }

    @Test func aHandleThatHoldsNoAddressIsLeftToTheCheck() async throws {
        // What a plugin killed between counting and allocating leaves: a handle without allocations, whose node
        // nothing records (it may be another node's ADD in flight).
        var handle = IPAMHandle(name: "net.ghost", spec: IPAMHandleSpec(handleID: "net.ghost"))
        handle.spec.block = ["192.0.2.0/26": 1]
        handle.spec.deleted = false
        let datastore = storeDatastore(extra: [AnyResource(handle)])
        let store = WorkloadStore(datastore: datastore)
        #expect(try await store.garbageCollect(network: "net", node: storeNode, validContainerIDs: []).isEmpty)
        _ = try await datastore.get(ResourceKey(kind: .ipamHandle, name: "net.ghost"))
    }

    @Test func gcDeletesAStalePodsEndpointAndClearsItsAddresses() async throws {
        let datastore = storeDatastore(extra: [storePod("web-0"), storePod("web-1")])
        let store = WorkloadStore(datastore: datastore)
        _ = try await store.add(podIdentity("web-0", container: "live"))
        _ = try await store.add(podIdentity("web-1", container: "dead"))
        let released = try await store.garbageCollect(
            network: storeNetwork, node: storeNode, validContainerIDs: ["live"])
        #expect(released == ["k8s-pod-network.dead"])
        #expect(try await store.endpoint(for: podIdentity("web-1", container: "dead")) == nil)
        #expect(try await store.endpoint(for: podIdentity("web-0", container: "live")) != nil)
        let annotations = try await datastore.get(ResourceKey(kind: .pod, namespace: "shop", name: "web-1")).metadata
            .annotations
        #expect(annotations?["cni.projectcalico.org/podIP"] == "")
    }
}

@Suite struct StoreFileDatastoreTests {
    @Test func addAndDelAgainstTheFileDatastore() async throws {
        let directory = NSTemporaryDirectory() + "tabby-cni-store-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let datastore = try FileDatastore(directory: directory)
        var node = Node(name: storeNode)
        node.metadata.labels = ["zone": "here"]
        _ = try await datastore.create(AnyResource(node))
        _ = try await datastore.create(storePool("v4", "192.0.2.0/24"))
        _ = try await datastore.create(storePool("v6", "2001:db8::/120"))
        _ = try await datastore.create(storePod("web-0", labels: ["app": "web"]))
        let store = WorkloadStore(datastore: datastore)
        let identity = podIdentity()
        let addresses = try await store.add(identity, request: AddressRequest(assignIPv6: true))
        #expect(addresses.count == 2)

        // A fresh client sees what the first wrote.
        let reread = WorkloadStore(datastore: try FileDatastore(directory: directory))
        let endpoint = try #require(try await reread.endpoint(for: identity))
        #expect(endpoint.spec.ipNetworks == addresses)
        #expect(endpoint.metadata.labels?["app"] == "web")
        #expect(
            try await reread.assignAddresses(for: identity, pod: nil, request: .init(assignIPv6: true)) == addresses)

        try await reread.deleteEndpoint(for: identity)
        try await reread.releaseAddresses(for: identity)
        #expect(try await reread.endpoint(for: identity) == nil)
        #expect(try await allocatedAddresses(datastore).isEmpty)
        #expect(try await IPAMClient(datastore: datastore).check(repair: false).isClean)
    }
}
