import CalicoAPI
import Datastore
import Testing

@Suite("In-memory datastore")
struct InMemoryDatastoreTests {
    @Test func startsWithTheGivenResourcesStampedAsCreated() async throws {
        let store = InMemoryDatastore([ipPool("pool-b", cidr: "198.51.100.0/24"), ipPool("pool-a")])
        let pools = try await store.list(.ipPool, namespace: nil).resources
        #expect(pools.map(\.key.name) == ["pool-a", "pool-b"])
        #expect(pools.map(\.metadata.resourceVersion) == ["2", "1"])
        #expect(pools.allSatisfy { $0.metadata.uid != nil && $0.as(IPPool.self)?.spec.blockSize == 26 })
    }

    @Test func aWriteRightAfterWatchArrivesAfterSynced() async throws {
        let store = InMemoryDatastore()
        var events = store.watch(nil).makeAsyncIterator()
        let created = try await store.create(ipPool("pool-a"))
        #expect(try await events.next() == .synced)
        #expect(try await events.next() == .added(created))
    }
}
