import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import Testing

@Suite("EtcdClient watches", .disabled(if: EtcdTestServer.skipReason != nil), .timeLimit(.minutes(1)))
struct EtcdClientWatchTests {
    @Test func fromARevisionSeesPutsAndDeletesInOrder() async throws {
        try await withEtcdClient { client, _ in
            let first = try await put(client, "/w/a", "1")
            _ = try await put(client, "/w/a", "2")
            _ = try await client.txn(
                EtcdTxnRequest(compare: [], success: [.delete(key: "/w/a".bytes, rangeEnd: nil, prevKV: false)]))
            _ = try await put(client, "/other", "not watched")
            let prefix = "/w/".bytes
            var events: [EtcdWatchResponse.Event] = []
            for try await response in client.watch(
                EtcdWatchRequest(key: prefix, rangeEnd: EtcdRangeRequest.prefixEnd(of: prefix), startRevision: first.revision))
            {
                events += response.events
                if events.count == 3 { break }
            }
            #expect(events.map(\.type) == [.put, .put, .delete])
            #expect(events.map(\.kv.modRevision) == [first.revision, first.revision + 1, first.revision + 2])
            #expect(events[1].kv.value == "2".bytes && events[1].previous?.value == "1".bytes)
            #expect(events[2].kv.value.isEmpty && events[2].previous?.value == "2".bytes)

            // A live one sees a later put.
            var live = client.watch(EtcdWatchRequest(key: "/live".bytes, startRevision: 0)).makeAsyncIterator()
            try await Task.sleep(for: .milliseconds(200))
            let written = try await put(client, "/live", "now")
            let response = try await live.next()
            #expect(response?.events.map(\.kv.value) == ["now".bytes] && response?.revision == written.revision)
        }
    }

    @Test func fromACompactedRevisionThrowsCompacted() async throws {
        try await withEtcdClient { client, server in
            let first = try await put(client, "/c", "1")
            let second = try await put(client, "/c", "2")
            try await client.compact(revision: second.revision)
            await #expect(throws: EtcdError.compacted(endpoint: server.endpoint, compactRevision: second.revision)) {
                for try await _ in client.watch(EtcdWatchRequest(key: "/c".bytes, startRevision: first.revision)) {}
            }
        }
    }
}
