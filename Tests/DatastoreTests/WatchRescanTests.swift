import CalicoAPI
import Foundation
import Glibc
import Testing

@testable import Datastore

/// The watcher's rescan after an inotify queue overflow, driven by hand: the kernel's queue (16384 events by
/// default) cannot be overflowed on purpose without changing a host-wide sysctl.
@Suite("File datastore watch rescan")
struct WatchRescanTests {
    @Test func anOverflowRescanReportsExactlyTheDifferences() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let a = try await store.create(ipPool("a", cidr: "192.0.2.0/26"))
            let b = try await store.create(ipPool("b", cidr: "192.0.2.64/26"))
            let c = try await store.create(ipPool("c", cidr: "192.0.2.128/26"))
            let web = try await store.create(networkSet("web", namespace: "prod"))

            let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
            var events = stream.makeAsyncIterator()
            let watcher = try DirectoryWatcher(
                layout: store.layout, kinds: [.ipPool, .networkSet], continuation: continuation)
            try watcher.snapshot()
            for expected in [WatchEvent.added(a), .added(b), .added(c), .added(web), .synced] {
                #expect(try await events.next() == expected)
            }

            // Changes whose inotify events this watcher never reads, as if the queue overflowed.
            let newB = try await store.update(b)
            _ = try await store.delete(c.key, resourceVersion: nil)
            let d = try await store.create(ipPool("d", cidr: "192.0.2.192/26"))
            try FileManager.default.removeItem(atPath: directory + "/networksets/prod")
            try writeByHand(directory + "/ippools/e.yaml", "not: a pool")

            try watcher.handle(Inotify.Event(watch: -1, mask: UInt32(IN_Q_OVERFLOW), name: ""))
            continuation.finish()
            var rescan: [WatchEvent] = []
            while let event = try await events.next() { rescan.append(event) }
            #expect(rescan.count == 5)
            #expect(rescan.prefix(3) == [.modified(newB), .added(d), rescan[2]])
            guard case .problem(let problem) = rescan[2] else {
                Issue.record("expected a problem for e.yaml, got \(rescan[2])")
                return
            }
            #expect(problem.path == directory + "/ippools/e.yaml")
            // Removals come last, in path order.
            #expect(rescan.suffix(2) == [.deleted(c), .deleted(web)])
        }
    }
}
