import CalicoAPI
import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import NetworkAddress
import Testing

/// The etcd datastore against a real etcd member: Calico's shape both ways (checked with etcdctl), bad values,
/// compare-and-swap of pools and blocks.
@Suite("Etcd store", .enabled(if: EtcdTestServer.skipReason == nil, "etcd is not installed"))
struct StoreTests {
    @Test func whatEtcdctlPutsTheStoreReads() async throws {
        try await withEtcdStore { store, server in
            let poolKey = calicoPoolKey + "default-ipv4-ippool"
            try Etcdctl.put(server.endpoint, poolKey, StoreCodecTests.calicoctlPool)
            try Etcdctl.put(
                server.endpoint,
                "/calico/resources/v3/projectcalico.org/workloadendpoints/default/node1-k8s-pod1-eth0",
                StoreCodecTests.calicoEndpoint)
            try Etcdctl.put(server.endpoint, "/calico/v1/config/LogSeverityScreen", "Info")  // Felix's: ignored

            let pool = try await store.get(ResourceKey(kind: .ipPool, name: "default-ipv4-ippool"))
            #expect(pool.as(IPPool.self)?.spec.cidr == CIDR("10.244.0.0/16"))
            let revision = try #require(pool.metadata.resourceVersion.flatMap { Int64($0) })
            #expect(revision > 0)
            let endpoints = try await store.list(.workloadEndpoint, namespace: "default")
            #expect(endpoints.resources.map(\.key.name) == ["node1-k8s-pod1-eth0"])
            #expect(endpoints.problems.isEmpty)
            #expect(try await store.list(.workloadEndpoint, namespace: "other").resources.isEmpty)

            // A CAS update on etcd's revision.
            var changed = pool
            changed.metadata.labels = ["edited": "yes"]
            let updated = try await store.update(changed)
            #expect(Int64(updated.metadata.resourceVersion!)! > revision)
            #expect(updated.metadata.uid == pool.metadata.uid)
        }
    }

    @Test func whatTheStoreWritesEtcdctlReadsInCalicosShape() async throws {
        try await withEtcdStore { store, server in
            let created = try await store.create(pool("pool-a", cidr: "192.0.2.0/24"))
            let value = try Etcdctl.json(server.endpoint, calicoPoolKey + "pool-a")
            #expect(value["apiVersion"] as? String == "projectcalico.org/v3")
            #expect(value["kind"] as? String == "IPPool")
            let metadata = try #require(value["metadata"] as? [String: Any])
            #expect(metadata["name"] as? String == "pool-a")
            #expect(metadata["uid"] as? String == created.metadata.uid)
            #expect(metadata["resourceVersion"] == nil)
            let spec = try #require(value["spec"] as? [String: Any])
            #expect(spec["cidr"] as? String == "192.0.2.0/24")
            #expect(spec["blockSize"] as? Int == 26)

            // IPAM objects in Calico's model.
            var block = IPAMBlockSpec()
            block.cidr = CIDR("192.0.2.0/26")
            block.affinity = "host:node-1"
            block.allocations = Array(repeating: nil, count: 64)
            block.unallocated = Array(0..<64)
            block.sequenceNumber = 7
            _ = try await store.create(AnyResource(IPAMBlock(name: "192-0-2-0-26", spec: block)))
            let blockValue = try Etcdctl.json(server.endpoint, "/calico/ipam/v2/assignment/ipv4/block/192.0.2.0-26")
            #expect(blockValue["cidr"] as? String == "192.0.2.0/26")
            #expect(blockValue["affinity"] as? String == "host:node-1")
            #expect((blockValue["unallocated"] as? [Int])?.count == 64)
            #expect(blockValue["sequenceNumber"] as? Int == 7)
            #expect(blockValue["metadata"] == nil)

            var affinity = BlockAffinitySpec(state: .confirmed, node: "node-1", cidr: CIDR("192.0.2.0/26")!)
            affinity.type = "host"
            let stored = try await store.create(AnyResource(BlockAffinity(name: "node-1-192-0-2-0-26", spec: affinity)))
            let affinityValue = try Etcdctl.json(server.endpoint, "/calico/ipam/v2/host/node-1/ipv4/block/192.0.2.0-26")
            #expect(affinityValue["state"] as? String == "confirmed")
            #expect(affinityValue["deleted"] as? Bool == false)
            #expect(try await store.get(stored.key) == stored)
            #expect(try await store.delete(stored.key, resourceVersion: stored.metadata.resourceVersion) == stored)
            #expect(try Etcdctl.get(server.endpoint, "/calico/ipam/v2/host/node-1/ipv4/block/192.0.2.0-26") == nil)
        }
    }

    @Test func badValuesAreProblemsNamingTheirKey() async throws {
        try await withEtcdStore { store, server in
            _ = try await store.create(pool("good", cidr: "192.0.2.0/24"))
            let badKey = calicoPoolKey + "broken"
            try Etcdctl.put(server.endpoint, badKey, "{not json")
            let listing = try await store.list(.ipPool, namespace: nil)
            #expect(listing.resources.map(\.key.name) == ["good"])
            #expect(listing.problems.map(\.path) == [badKey])
            let error = await failure { () async throws(DatastoreError) in
                try await store.get(ResourceKey(kind: .ipPool, name: "broken"))
            }
            guard case .problem(let problem)? = error else {
                Issue.record("expected .problem, got \(String(describing: error))")
                return
            }
            #expect(problem.description.contains(badKey))
            // An unconditional update replaces it.
            _ = try await store.update(pool("broken", cidr: "198.51.100.0/24"))
            #expect(try await store.list(.ipPool, namespace: nil).problems.isEmpty)
        }
    }

    @Test func anUnreachableEndpointIsUnavailableNamingIt() async throws {
        let store = try EtcdDatastore(settings: EtcdSettings(endpoints: ["http://127.0.0.1:9"]))
        defer { Task { await store.close() } }
        let error = await failure { () async throws(DatastoreError) in
            try await store.get(ResourceKey(kind: .ipPool, name: "any"))
        }
        guard case .unavailable(let reason)? = error else {
            Issue.record("expected .unavailable, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("127.0.0.1:9"))
    }

    @Test func overlappingPoolsFromTwoWritersOnlyOneWins() async throws {
        try await withEtcdStore { store, server in
            let other = try EtcdDatastore(settings: EtcdSettings(endpoints: [server.endpoint]))
            defer { Task { await other.close() } }
            for round in 0..<8 {
                let first = pool("first-\(round)", cidr: "10.\(round).0.0/16")
                let second = pool("second-\(round)", cidr: "10.\(round).128.0/17")
                async let a = failure { () async throws(DatastoreError) in try await store.create(first) }
                async let b = failure { () async throws(DatastoreError) in try await other.create(second) }
                let results = await [a, b]
                #expect(results.filter { $0 == nil }.count == 1, "round \(round): \(results)")
                for case .invalid(_, let errors)? in results {
                    #expect(errors.first?.reason.contains("overlaps") == true)
                }
            }
        }
    }

    @Test func overlappingBlocksFromTwoWritersOnlyOneWins() async throws {
        try await withEtcdStore { store, server in
            let other = try EtcdDatastore(settings: EtcdSettings(endpoints: [server.endpoint]))
            defer { Task { await other.close() } }
            func block(_ cidr: String) -> AnyResource {
                var spec = IPAMBlockSpec()
                let network = CIDR(cidr)!
                spec.cidr = network
                let size = Int(network.addressCount!)
                spec.allocations = Array(repeating: nil, count: size)
                spec.unallocated = Array(0..<size)
                return AnyResource(
                    IPAMBlock(name: String(cidr.map { $0 == "." || $0 == "/" ? "-" : $0 }), spec: spec))
            }
            for round in 0..<8 {
                async let a = failure { () async throws(DatastoreError) in
                    try await store.create(block("10.\(round).0.0/26"))
                }
                async let b = failure { () async throws(DatastoreError) in
                    try await other.create(block("10.\(round).0.0/27"))
                }
                let results = await [a, b]
                #expect(results.filter { $0 == nil }.count == 1, "round \(round): \(results)")
            }
        }
    }
}
