import Datastore
@testable import Etcd
import EtcdTestSupport
import Foundation
import Testing

@Suite("EtcdClient ranges and transactions", .disabled(if: EtcdTestServer.skipReason != nil), .timeLimit(.minutes(1)))
struct EtcdClientKVTests {
    @Test func putGetAndRangeWithPrefixAndLimit() async throws {
        try await withEtcdClient { client, _ in
            for name in ["a", "b", "c"] { _ = try await put(client, "/p/\(name)", "value-\(name)") }
            _ = try await put(client, "/q/x", "outside")
            let one = try await client.range(EtcdRangeRequest(key: "/p/b".bytes))
            #expect(one.kvs.map(\.value) == ["value-b".bytes])
            #expect(one.kvs[0].version == 1 && one.kvs[0].createRevision == one.kvs[0].modRevision)
            let prefix = "/p/".bytes
            let all = try await client.range(EtcdRangeRequest(key: prefix, rangeEnd: EtcdRangeRequest.prefixEnd(of: prefix)))
            #expect(all.kvs.map(\.key) == ["/p/a".bytes, "/p/b".bytes, "/p/c".bytes])
            #expect(all.count == 3 && !all.more)
            let limited = try await client.range(
                EtcdRangeRequest(key: prefix, rangeEnd: EtcdRangeRequest.prefixEnd(of: prefix), limit: 2))
            #expect(limited.kvs.count == 2 && limited.more && limited.count == 3)
            let missing = try await client.range(EtcdRangeRequest(key: "/nothing".bytes))
            #expect(missing.kvs.isEmpty && missing.revision == all.revision)
        }
    }

    @Test func compareAndSwap() async throws {
        try await withEtcdClient { client, _ in
            let key = "/cas".bytes
            let create = EtcdTxnRequest(
                compare: [EtcdCompare(key: key, .version(0), .equal)],
                success: [.put(key: key, value: "one".bytes, prevKV: false)],
                failure: [.range(EtcdRangeRequest(key: key))])
            let created = try await client.txn(create)
            #expect(created.succeeded)
            let again = try await client.txn(create)
            #expect(!again.succeeded)
            guard case .range(let existing) = again.results.first else { Issue.record("no range result"); return }
            #expect(existing.kvs.first?.value == "one".bytes)
            let revision = existing.kvs[0].modRevision

            let update = EtcdTxnRequest(
                compare: [EtcdCompare(key: key, .modRevision(revision), .equal)],
                success: [.put(key: key, value: "two".bytes, prevKV: true)])
            let updated = try await client.txn(update)
            #expect(updated.succeeded && updated.revision > revision)
            #expect(updated.results == [.put(previous: existing.kvs[0])])
            #expect(try await client.txn(update).succeeded == false)

            let delete = try await client.txn(
                EtcdTxnRequest(compare: [], success: [.delete(key: key, rangeEnd: nil, prevKV: true)]))
            guard case .delete(let deleted, let previous) = delete.results.first else { Issue.record("no delete"); return }
            #expect(deleted == 1 && previous.map(\.value) == ["two".bytes])
        }
    }

    @Test func compareOverARangeWithCreateRevision() async throws {
        try await withEtcdClient { client, _ in
            let prefix = "/r/".bytes
            let end = EtcdRangeRequest.prefixEnd(of: prefix)
            let first = try await put(client, "/r/1", "x")
            _ = try await put(client, "/r/2", "y")
            // Every key of the range was created at or after `first`: holds; before it: does not.
            let holds = try await client.txn(
                EtcdTxnRequest(
                    compare: [EtcdCompare(key: prefix, rangeEnd: end, .createRevision(first.revision - 1), .greater)],
                    success: [.range(EtcdRangeRequest(key: prefix, rangeEnd: end, countOnly: true))]))
            #expect(holds.succeeded)
            guard case .range(let counted) = holds.results.first else { Issue.record("no range"); return }
            #expect(counted.count == 2)
            let fails = try await client.txn(
                EtcdTxnRequest(
                    compare: [EtcdCompare(key: prefix, rangeEnd: end, .createRevision(first.revision), .greater)],
                    success: []))
            #expect(!fails.succeeded)
            let value = try await client.txn(
                EtcdTxnRequest(compare: [EtcdCompare(key: "/r/1".bytes, .value("x".bytes), .equal)], success: []))
            #expect(value.succeeded)
        }
    }

    @Test func statusAndCompaction() async throws {
        try await withEtcdClient { client, server in
            let written = try await put(client, "/s", "1")
            _ = try await put(client, "/s", "2")
            let status = try await client.status()
            #expect(status.isLeader && status.endpoint == server.endpoint && status.version.hasPrefix("3."))
            #expect(status.revision == written.revision + 1 && status.raftTerm >= 1)
            try await client.compact(revision: written.revision + 1)
            await #expect(throws: EtcdError.compacted(endpoint: server.endpoint, compactRevision: 0)) {
                _ = try await client.range(EtcdRangeRequest(key: "/s".bytes, revision: written.revision))
            }
        }
    }

    @Test func aServerErrorNamesTheEndpoint() async throws {
        try await withEtcdClient { client, server in
            // etcd refuses two operations on one key in a transaction.
            let key = "/dup".bytes
            let error = await #expect(throws: EtcdError.self) {
                _ = try await client.txn(
                    EtcdTxnRequest(
                        compare: [],
                        success: [.put(key: key, value: [], prevKV: false), .put(key: key, value: [1], prevKV: false)]))
            }
            #expect(error?.description == "etcd \(server.endpoint): duplicate key given in txn request (code 3)")
        }
    }

    @Test func tenThousandKeysDecodeQuickly() async throws {
        try await withEtcdClient { client, _ in
            let value = String(repeating: "v", count: 1000).bytes
            // 100 transactions of 100 puts each.
            for batch in 0..<100 {
                let puts = (0..<100).map { index in
                    EtcdOperation.put(key: "/big/\(batch)/\(index)".bytes, value: value, prevKV: false)
                }
                _ = try await client.txn(EtcdTxnRequest(compare: [], success: puts))
            }
            let prefix = "/big/".bytes
            let start = ContinuousClock.now
            let all = try await client.range(EtcdRangeRequest(key: prefix, rangeEnd: EtcdRangeRequest.prefixEnd(of: prefix)))
            let elapsed = ContinuousClock.now - start
            #expect(all.kvs.count == 10_000 && all.kvs.allSatisfy { $0.value == value })
            print("EtcdClient: a range of 10,000 1 KB values took \(elapsed) (etcd's gateway itself: about 250 ms)")
        }
    }

    @Test func decodingTenThousandValuesIsFast() throws {
        let value = Base64.encode(Array(repeating: UInt8(ascii: "v"), count: 1000))
        let kvs = (0..<10_000).map { index in
            "{\"key\":\"\(Base64.encode(Array("/big/\(index)".utf8)))\",\"create_revision\":\"\(index + 2)\","
                + "\"mod_revision\":\"\(index + 2)\",\"version\":\"1\",\"value\":\"\(value)\"}"
        }
        let body = Array(("{\"header\":{\"revision\":\"10002\"},\"kvs\":[" + kvs.joined(separator: ",") + "],\"count\":\"10000\"}").utf8)
        let start = ContinuousClock.now
        let responses = GatewayResponses(endpoint: "test")
        let range = try responses.range(try responses.document(body))
        let elapsed = ContinuousClock.now - start
        print("EtcdClient: decoding 10,000 1 KB values (\(body.count) bytes) took \(elapsed)")
        #expect(range.kvs.count == 10_000 && range.revision == 10002 && range.kvs[9999].value.count == 1000)
    }
}
