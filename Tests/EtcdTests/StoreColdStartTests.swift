import CalicoAPI
import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import Testing

/// A cold start from etcd: 10,000 WorkloadEndpoints in Calico's shape, listed and watched to `.synced`. The
/// figure is printed (bench/ reports it); the test checks that every endpoint arrives and none is a problem.
@Suite("Etcd store cold start", .enabled(if: EtcdTestServer.skipReason == nil, "etcd is not installed"))
struct StoreColdStartTests {
    static let count = 10_000

    static func endpointJSON(_ index: Int) -> String {
        let name = "node1-k8s-pod\(index)-eth0"
        return #"{"kind":"WorkloadEndpoint","apiVersion":"projectcalico.org/v3","metadata":{"name":"\#(name)","#
            + #""namespace":"default","uid":"00000000-0000-4000-8000-\#(String(format: "%012d", index))","#
            + #""creationTimestamp":"2024-05-01T10:00:00Z","labels":{"app":"web","projectcalico.org/namespace":"default","#
            + #""projectcalico.org/orchestrator":"k8s"}},"spec":{"orchestrator":"k8s","node":"node1","#
            + #""containerID":"c\#(index)","pod":"pod\#(index)","endpoint":"eth0","serviceAccountName":"default","#
            + #""ipNetworks":["10.\#(index / 65536 + 100).\#(index / 256 % 256).\#(index % 256)/32"],"#
            + #""profiles":["kns.default","ksa.default.default"],"interfaceName":"cali\#(String(format: "%011d", index))","#
            + #""mac":"ee:ee:ee:ee:ee:ee"}}"#
    }

    @Test func tenThousandEndpointsReachSynced() async throws {
        try await withEtcdStore { store, server in
            let client = try EtcdClient(settings: EtcdSettings(endpoints: [server.endpoint]))
            defer { Task { await client.close() } }
            // etcd takes at most 128 operations per transaction.
            for start in stride(from: 0, to: Self.count, by: 128) {
                let puts = (start..<min(start + 128, Self.count)).map { index in
                    EtcdOperation.put(
                        key: Array(
                            "/calico/resources/v3/projectcalico.org/workloadendpoints/default/node1-k8s-pod\(index)-eth0"
                                .utf8),
                        value: Array(Self.endpointJSON(index).utf8), prevKV: false)
                }
                _ = try await client.txn(EtcdTxnRequest(compare: [], success: puts))
            }
            let clock = ContinuousClock()
            let started = clock.now
            var events = store.watch(nil).makeAsyncIterator()
            var added = 0
            while let event = try await events.next() {
                if case .added = event { added += 1 } else if event == .synced { break } else {
                    Issue.record("unexpected \(event)")
                }
            }
            let watched = clock.now - started
            let listStarted = clock.now
            let listing = try await store.list(.workloadEndpoint, namespace: nil)
            let listed = clock.now - listStarted
            let rangeStarted = clock.now
            let prefix = Array("/calico/resources/v3/projectcalico.org/workloadendpoints/".utf8)
            let range = try await client.range(
                EtcdRangeRequest(key: prefix, rangeEnd: EtcdRangeRequest.prefixEnd(of: prefix)))
            let ranged = clock.now - rangeStarted
            print("etcd cold start: the range alone (\(range.kvs.count) values) in \(ranged)")
            print("etcd cold start: \(added) endpoints to .synced in \(watched); list in \(listed)")
            #expect(added == Self.count)
            #expect(listing.resources.count == Self.count)
            #expect(listing.problems.isEmpty)
        }
    }
}
