import CalicoAPI
import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import NetworkAddress
import Testing

/// The etcd datastore's watch against real members: changes by other clients, bad values, and losing etcd.
@Suite("Etcd store watch", .enabled(if: EtcdTestServer.skipReason == nil, "etcd is not installed"))
struct StoreWatchTests {
    static func poolJSON(_ name: String, cidr: String, label: String = "x") -> String {
        #"{"kind":"IPPool","apiVersion":"projectcalico.org/v3","metadata":{"name":"\#(name)","labels":{"l":"\#(label)"}},"#
            + #""spec":{"cidr":"\#(cidr)"}}"#
    }

    @Test func changesByAnotherClientBadValuesAndFixes() async throws {
        try await withEtcdStore { store, server in
            let existing = try await store.create(pool("pool-a", cidr: "192.0.2.0/24"))
            var events = store.watch([.ipPool]).makeAsyncIterator()
            #expect(try await nextEvent(&events) == .added(existing))
            #expect(try await nextEvent(&events) == .synced)

            let key = calicoPoolKey + "pool-b"
            try Etcdctl.put(server.endpoint, key, Self.poolJSON("pool-b", cidr: "198.51.100.0/24"))
            guard case .added(let added) = try await nextEvent(&events) else {
                Issue.record("expected .added")
                return
            }
            #expect(added.key.name == "pool-b")
            // Not watched: nothing arrives for it.
            try Etcdctl.put(server.endpoint, "/calico/resources/v3/projectcalico.org/globalnetworksets/gns", "{}")
            try Etcdctl.put(server.endpoint, key, Self.poolJSON("pool-b", cidr: "198.51.100.0/24", label: "y"))
            guard case .modified(let modified) = try await nextEvent(&events) else {
                Issue.record("expected .modified")
                return
            }
            #expect(modified.metadata.labels == ["l": "y"])

            try Etcdctl.put(server.endpoint, key, "{broken")
            guard case .problem(let problem) = try await nextEvent(&events) else {
                Issue.record("expected .problem")
                return
            }
            #expect(problem.path == key)
            try Etcdctl.put(server.endpoint, key, Self.poolJSON("pool-b", cidr: "198.51.100.0/24", label: "z"))
            #expect(try await nextEvent(&events) == .problemCleared(path: key))
            guard case .modified(let fixed) = try await nextEvent(&events) else {
                Issue.record("expected .modified after the fix")
                return
            }
            #expect(fixed.metadata.labels == ["l": "z"])

            try Etcdctl.delete(server.endpoint, key)
            #expect(try await nextEvent(&events) == .deleted(fixed))
        }
    }

    /// The store's only endpoint is killed while the watch runs; the other two members keep the cluster going
    /// and take writes (and a compaction past them); once the member is back the watch reports `.resyncing`,
    /// then exactly what changed meanwhile, then `.synced`.
    @Test func aMemberKilledAndRestartedSendsResyncingThenOnlyTheDifferences() async throws {
        let cluster = try EtcdTestCluster.start()
        defer { cluster.stop() }
        let first = cluster.endpoints[0]
        let other = cluster.endpoints[1]
        let store = try EtcdDatastore(settings: EtcdSettings(endpoints: [first]))
        defer { Task { await store.close() } }
        let kept = try await store.create(pool("kept", cidr: "192.0.2.0/26"))
        let changed = try await store.create(pool("changed", cidr: "192.0.2.64/26"))
        let removed = try await store.create(pool("removed", cidr: "192.0.2.128/26"))
        var events = store.watch([.ipPool]).makeAsyncIterator()
        var snapshot: [WatchEvent] = []
        for _ in 0..<4 { snapshot.append(try await nextEvent(&events)) }
        #expect(snapshot == [.added(changed), .added(kept), .added(removed), .synced])

        cluster.kill(0)
        guard case .resyncing(let reason) = try await nextEvent(&events) else {
            Issue.record("expected .resyncing")
            return
        }
        #expect(reason.contains("127.0.0.1"), "\(reason)")
        // The killed member may have been the leader: the first write waits for the election.
        try Etcdctl.whileElecting {
            try Etcdctl.put(other, calicoPoolKey + "changed", Self.poolJSON("changed", cidr: "192.0.2.64/26", label: "new"))
        }
        try Etcdctl.whileElecting { try Etcdctl.delete(other, calicoPoolKey + "removed") }
        try Etcdctl.whileElecting {
            try Etcdctl.put(other, calicoPoolKey + "added", Self.poolJSON("added", cidr: "198.51.100.0/24"))
        }
        // Compact away the history of those writes, as a long outage would.
        let status = try Etcdctl.whileElecting { try Etcdctl.run(other, ["endpoint", "status", "--write-out", "json"]) }
        if let revision = status.split(separator: "\"revision\":").dropFirst().first?.prefix(while: \.isNumber) {
            try Etcdctl.run(other, ["compact", String(revision)])
        }
        try cluster.restart(0)

        var differences: [WatchEvent] = []
        while true {
            let event = try await nextEvent(&events, within: 30)
            if event == .synced { break }
            differences.append(event)
        }
        let names = differences.map { event -> String in
            switch event {
            case .added(let resource): "added \(resource.key.name)"
            case .modified(let resource): "modified \(resource.key.name) \(resource.metadata.labels?["l"] ?? "")"
            case .deleted(let resource): "deleted \(resource.key.name)"
            default: "\(event)"
            }
        }
        #expect(names.sorted() == ["added added", "deleted removed", "modified changed new"])
    }

    /// Two of three members killed: the third keeps the watch open but has no leader. The liveness check
    /// notices, the watch says `.resyncing`, and once quorum is back it is in sync again by itself.
    @Test func quorumLossIsNoticedAndRecoveredFrom() async throws {
        let cluster = try EtcdTestCluster.start()
        defer { cluster.stop() }
        let store = try EtcdDatastore(settings: EtcdSettings(endpoints: [cluster.endpoints[0]]))
        defer { Task { await store.close() } }
        let existing = try await store.create(pool("pool-a", cidr: "192.0.2.0/24"))
        var events = store.watch([.ipPool]).makeAsyncIterator()
        #expect(try await nextEvent(&events) == .added(existing))
        #expect(try await nextEvent(&events) == .synced)

        cluster.kill(1)
        cluster.kill(2)
        guard case .resyncing = try await nextEvent(&events, within: 30) else {
            Issue.record("expected .resyncing")
            return
        }
        try cluster.restart(1, waitUntilHealthy: false)
        try cluster.restart(2)
        #expect(try await nextEvent(&events, within: 30) == .synced)
        let added = try await store.create(pool("pool-b", cidr: "198.51.100.0/24"))
        #expect(try await nextEvent(&events) == .added(added))
    }
}
