import CalicoAPI
import Datastore
import Etcd
import EtcdTestSupport
import NetworkAddress
import Synchronization
import Testing

/// How many etcd calls a write costs: an address assigned or released is one IPAM block update, the hot path
/// of every IPAM operation, and must not read the other pools and blocks (only a block create depends on them).
@Suite("Etcd store round trips", .enabled(if: EtcdTestServer.skipReason == nil, "etcd is not installed"))
struct StoreRoundTripTests {
    @Test func aBlockUpdateIsOneTransactionAndABlockCreateChecksTheOthers() async throws {
        let server = try EtcdTestServer.start()
        defer { server.stop() }
        let client = try EtcdClient(settings: EtcdSettings(endpoints: [server.endpoint]))
        let counting = CountingKV(client)
        let store = EtcdDatastore(client: counting)
        var spec = IPAMBlockSpec()
        spec.cidr = CIDR("203.0.113.0/26")!
        spec.affinity = "host:node-a"
        spec.allocations = Array(repeating: nil, count: 64)
        spec.unallocated = Array(0..<64)
        _ = try await store.create(AnyResource(IPPool(name: "p", spec: IPPoolSpec(cidr: CIDR("203.0.113.0/24")!))))

        counting.reset()
        var block = try await store.create(AnyResource(IPAMBlock(name: "203-0-113-0-26", spec: spec))).as(
            IPAMBlock.self)!
        #expect(counting.ranges >= 2, "a block create reads the pools and blocks it must not overlap")
        #expect(counting.transactions == 1)

        counting.reset()
        block.spec.allocations[0] = 0
        block.spec.unallocated.removeFirst()
        block.spec.attributes = [.init(handleID: "k8s-pod-network.a", secondary: nil)]
        let updated = try await store.update(AnyResource(block))
        #expect(
            counting.ranges == 0 && counting.transactions == 1,
            "\(counting.ranges) ranges, \(counting.transactions) txns")
        #expect(updated.as(IPAMBlock.self)?.spec.allocations[0] == 0)

        // A stale version still fails as a conflict, in the same one transaction.
        counting.reset()
        await #expect(throws: DatastoreError.self) { try await store.update(AnyResource(block)) }
        #expect(counting.transactions == 1 && counting.ranges == 0)
        await client.close()
    }
}

/// An `EtcdKV` that counts the calls it passes on to a real client.
final class CountingKV: EtcdKV {
    private let kv: any EtcdKV
    private let counts = Mutex((ranges: 0, transactions: 0))

    init(_ kv: any EtcdKV) { self.kv = kv }

    var ranges: Int { counts.withLock { $0.ranges } }
    var transactions: Int { counts.withLock { $0.transactions } }
    func reset() { counts.withLock { $0 = (0, 0) } }

    func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse {
        counts.withLock { $0.ranges += 1 }
        return try await kv.range(request)
    }

    func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse {
        counts.withLock { $0.transactions += 1 }
        return try await kv.txn(request)
    }

    func watch(_ request: EtcdWatchRequest) -> AsyncThrowingStream<EtcdWatchResponse, any Error> { kv.watch(request) }
}
