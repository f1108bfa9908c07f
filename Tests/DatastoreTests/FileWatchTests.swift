import CalicoAPI
import Datastore
import Foundation
import NetworkAddress
import Testing

/// Watching a file datastore: what inotify reports, turned into events.
@Suite("File datastore watch", .timeLimit(.minutes(1)))
struct FileWatchTests {
    @Test func aRewriteWithIdenticalContentSendsNothing() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let pool = try await store.create(ipPool("pool-a"))
            let path = directory + "/ippools/pool-a.yaml"
            var events = store.watch(nil).makeAsyncIterator()
            #expect(try await events.next() == .added(pool))
            #expect(try await events.next() == .synced)

            try writeByHand(path, try String(contentsOfFile: path, encoding: .utf8))
            // The next event is the next real change: the identical rewrite was not reported.
            let other = try await store.create(ipPool("pool-b", cidr: "203.0.113.0/24"))
            #expect(try await events.next() == .added(other))
        }
    }

    @Test func aFileBrokenByHandIsAProblemUntilFixed() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let path = directory + "/ippools/by-hand.yaml"
            var events = store.watch([.ipPool]).makeAsyncIterator()
            #expect(try await events.next() == .synced)

            try writeByHand(path, handWrittenPool)
            guard case .added(let placed)? = try await events.next() else {
                Issue.record("expected .added for the file placed by hand")
                return
            }
            #expect(placed.key == ResourceKey(kind: .ipPool, name: "by-hand"))

            try writeByHand(path, "kind: IPPool\nspec: {cidr: [\n")
            guard case .problem(let problem)? = try await events.next() else {
                Issue.record("expected .problem for the broken file")
                return
            }
            #expect(problem.path == path)

            // Fixed with different content: the problem is cleared and the good content is back. No .deleted was
            // sent in between.
            let fixed = handWrittenPool.replacingOccurrences(of: "198.51.100.0/24", with: "203.0.113.0/24")
            try writeByHand(path, fixed)
            #expect(try await events.next() == .problemCleared(path: path))
            guard case .modified(let repaired)? = try await events.next() else {
                Issue.record("expected .modified once the file is fixed")
                return
            }
            #expect(repaired.as(IPPool.self)?.spec.cidr == CIDR("203.0.113.0/24"))

            try FileManager.default.removeItem(atPath: path)
            #expect(try await events.next() == .deleted(repaired))
        }
    }

    @Test func aProblemIsClearedWhenItsFileIsRemovedOrFixedBackToItsLastContent() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let garbage = directory + "/ippools/garbage.yaml"
            try writeByHand(garbage, "not: [yaml\n")
            var events = store.watch([.ipPool]).makeAsyncIterator()
            guard case .problem(let problem)? = try await events.next() else {
                Issue.record("expected the garbage file's .problem in the snapshot")
                return
            }
            #expect(problem.path == garbage)
            #expect(try await events.next() == .synced)

            // A broken file that never held a resource: removing it clears its problem and deletes nothing.
            try FileManager.default.removeItem(atPath: garbage)
            #expect(try await events.next() == .problemCleared(path: garbage))

            // A good file broken, then written back as it was: the problem goes, nothing else changes.
            let pool = try await store.create(ipPool("pool-a"))
            #expect(try await events.next() == .added(pool))
            let path = directory + "/ippools/pool-a.yaml"
            let good = try String(contentsOfFile: path, encoding: .utf8)
            try writeByHand(path, "kind: IPPool\nspec: {cidr: [\n")
            guard case .problem? = try await events.next() else {
                Issue.record("expected .problem for the broken file")
                return
            }
            try writeByHand(path, good)
            #expect(try await events.next() == .problemCleared(path: path))
            let other = try await store.create(ipPool("pool-b", cidr: "203.0.113.0/24"))
            #expect(try await events.next() == .added(other))
        }
    }

    @Test func namespacesAppearingAndDisappearingAreFollowed() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            var events = store.watch([.networkSet]).makeAsyncIterator()
            #expect(try await events.next() == .synced)

            // The first resource of a namespace creates its directory, which the watch must pick up.
            let web = try await store.create(networkSet("web", namespace: "prod"))
            #expect(try await events.next() == .added(web))
            let db = try await store.create(networkSet("db", namespace: "prod"))
            #expect(try await events.next() == .added(db))

            // A namespace directory removed by hand takes its resources with it.
            try FileManager.default.removeItem(atPath: directory + "/networksets/prod")
            var deleted: [WatchEvent] = []
            for _ in 0..<2 { deleted.append(try #require(try await events.next())) }
            #expect(Set(deleted.map { "\($0)" }) == Set([WatchEvent.deleted(web), .deleted(db)].map { "\($0)" }))

            // And a namespace directory moved in brings its resources.
            let staging = directory + "/staging-prepared"
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
            try writeByHand(staging + "/web.yaml", ResourceCodec.yaml(networkSet("web", namespace: "staging")))
            try FileManager.default.moveItem(atPath: staging, toPath: directory + "/networksets/staging")
            guard case .added(let moved)? = try await events.next() else {
                Issue.record("expected .added for the moved-in namespace")
                return
            }
            #expect(moved.key == ResourceKey(kind: .networkSet, namespace: "staging", name: "web"))
        }
    }

    @Test func endingTheWatchClosesItsInotifyInstance() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let inode = try #require(
                (try FileManager.default.attributesOfItem(atPath: directory + "/ippools")[.systemFileNumber]
                    as? NSNumber)?.uint64Value)
            #expect(inotifyDescriptors(watching: inode).isEmpty)

            let consumer = Task {
                var count = 0
                for try await event in store.watch(nil) where event == .synced { count += 1 }
                return count
            }
            try await eventually { !inotifyDescriptors(watching: inode).isEmpty }
            consumer.cancel()
            _ = try await consumer.value
            try await eventually { inotifyDescriptors(watching: inode).isEmpty }

            // Dropping an unconsumed stream ends the watch too.
            do {
                let stream = store.watch(nil)
                var events = stream.makeAsyncIterator()
                #expect(try await events.next() == .synced)
                #expect(!inotifyDescriptors(watching: inode).isEmpty)
            }
            try await eventually { inotifyDescriptors(watching: inode).isEmpty }
        }
    }
}

/// This process's inotify descriptors that watch the directory with `inode` (from /proc/self/fdinfo).
func inotifyDescriptors(watching inode: UInt64) -> [String] {
    let fdinfo = "/proc/self/fdinfo"
    let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: fdinfo)) ?? []
    let needle = "ino:" + String(inode, radix: 16) + " "
    return descriptors.filter { descriptor in
        guard let text = try? String(contentsOfFile: fdinfo + "/" + descriptor, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0.hasPrefix("inotify ") && $0.contains(needle) }
    }
}

/// Waits (up to 10 s) for a condition that another thread makes true; fails the test if it never does.
func eventually(_ condition: () -> Bool, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
    for _ in 0..<1000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("condition not met within 10 s", sourceLocation: sourceLocation)
}
