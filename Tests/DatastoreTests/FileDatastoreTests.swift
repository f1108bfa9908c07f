import CalicoAPI
import Foundation
import NetworkAddress
import Testing

@testable import Datastore

/// The file datastore's own promises: its layout, files placed and broken by hand, temporary files.
@Suite("File datastore")
struct FileDatastoreTests {
    @Test func createsTheLayoutAndWritesOneFilePerResource() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory + "/store")
            let root = directory + "/store"
            for path in ["ippools", "networkpolicies", "ipam/ipamblocks", "ipam/blockaffinities", ".tabby"] {
                #expect(FileManager.default.fileExists(atPath: root + "/" + path), "\(path) is missing")
            }
            let pool = try await store.create(ipPool("pool-a"))
            let set = try await store.create(networkSet("web", namespace: "prod"))
            let affinity = try await store.create(blockAffinity("node-a-203-0-113-0-26"))

            for (resource, path) in [
                (pool, "ippools/pool-a.yaml"), (set, "networksets/prod/web.yaml"),
                (affinity, "ipam/blockaffinities/node-a-203-0-113-0-26.yaml"),
            ] {
                let text = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
                #expect(try ResourceCodec.decodeOne(text) == resource, "\(path) does not hold \(resource)")
                #expect(text == ResourceCodec.yaml(resource))
            }
            let revision = try String(contentsOfFile: root + "/.tabby/revision", encoding: .utf8)
            #expect(revision == affinity.metadata.resourceVersion! + "\n")
            // No temporary file is left behind by a successful write.
            let names = try FileManager.default.contentsOfDirectory(atPath: root + "/ippools")
            #expect(names == ["pool-a.yaml"])
        }
    }

    /// A killed writer's temporary file is removed by a datastore opened for housekeeping (tabbyd, tabbyctl), left
    /// by one opened without (the CNI plugin), and read as a resource by neither.
    @Test func leftoverTemporaryFilesAreRemovedOnlyWhenAsked() async throws {
        try await withTemporaryDirectory { directory in
            let leftover = directory + "/ippools/.pool-a.yaml.tmp"
            _ = try FileDatastore(directory: directory)
            try "kind: IPPool\n".write(toFile: leftover, atomically: false, encoding: .utf8)
            let plugin = try FileDatastore(directory: directory, removingLeftovers: false)
            #expect(FileManager.default.fileExists(atPath: leftover))
            #expect(try await plugin.list(.ipPool, namespace: nil).resources.isEmpty)
            _ = try FileDatastore(directory: directory)
            #expect(!FileManager.default.fileExists(atPath: leftover))
        }
    }

    @Test func aBrokenFileIsAProblemAndDoesNotHideTheOthers() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let good = try await store.create(ipPool("good"))
            try writeByHand(directory + "/ippools/garbled.yaml", "kind: IPPool\nmetadata: [unclosed\n")
            try writeByHand(
                directory + "/ippools/bad-cidr.yaml",
                handWrittenPool.replacingOccurrences(of: "by-hand", with: "bad-cidr")
                    .replacingOccurrences(of: "198.51.100.0/24", with: "198.51.100.0/33"))
            try writeByHand(directory + "/ippools/misnamed.yaml", handWrittenPool)
            try writeByHand(directory + "/ippools/README", "not a resource")

            let listing = try await store.list(.ipPool, namespace: nil)
            #expect(listing.resources == [good])
            let paths = listing.problems.map { ($0.path as NSString).lastPathComponent }
            #expect(paths == ["bad-cidr.yaml", "garbled.yaml", "misnamed.yaml"])
            for problem in listing.problems {
                #expect(problem.description.hasPrefix(problem.path), "\(problem) does not name its file first")
            }
            let cidrProblem = try #require(listing.problems.first)
            #expect(cidrProblem.error.field == "spec.cidr")
            let misnamed = try #require(listing.problems.last)
            #expect(misnamed.error.reason.contains("\"by-hand\""))

            let key = ResourceKey(kind: .ipPool, name: "garbled")
            let error = await failure { () async throws(DatastoreError) in try await store.get(key) }
            guard case .problem(let problem)? = error else {
                Issue.record("expected .problem, got \(String(describing: error))")
                return
            }
            #expect(problem.path == directory + "/ippools/garbled.yaml")
        }
    }

    @Test func aBrokenFileIsReplacedOnlyByAnUnconditionalUpdate() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            try writeByHand(directory + "/ippools/pool-a.yaml", "this: is not a pool\n")
            var replacement = ipPool("pool-a")
            replacement.metadata.resourceVersion = "7"
            let conditional = await failure { () async throws(DatastoreError) in try await store.update(replacement) }
            if case .problem? = conditional {
            } else {
                Issue.record("expected .problem, got \(String(describing: conditional))")
            }
            let create = await failure { () async throws(DatastoreError) in try await store.create(ipPool("pool-a")) }
            #expect(create == .alreadyExists(replacement.key))

            let repaired = try await store.update(ipPool("pool-a"))
            #expect(try await store.get(repaired.key) == repaired)
        }
    }

    @Test func aFilePlacedByHandGetsAStableContentVersion() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let path = directory + "/ippools/by-hand.yaml"
            try writeByHand(path, handWrittenPool)
            let key = ResourceKey(kind: .ipPool, name: "by-hand")
            let first = try await store.get(key)
            let version = try #require(first.metadata.resourceVersion)
            #expect(version.hasPrefix("h") && version.count == 17)
            // The same in another datastore instance (another process would compute the same).
            #expect(try await FileDatastore(directory: directory).get(key).metadata.resourceVersion == version)

            // An operator edits the file: the version changes, so a writer holding the old one conflicts.
            try writeByHand(path, handWrittenPool.replacingOccurrences(of: "198.51.100.0/24", with: "203.0.113.0/24"))
            let edited = try await store.get(key)
            #expect(edited.metadata.resourceVersion != version)
            let stale = await failure { () async throws(DatastoreError) in try await store.update(first) }
            #expect(stale == .conflict(key, expected: version, actual: edited.metadata.resourceVersion!))

            // Compare-and-swap against the content version works.
            let written = try await store.update(edited)
            #expect(UInt64(written.metadata.resourceVersion!) != nil)
            #expect(written.as(IPPool.self)?.spec.cidr == CIDR("203.0.113.0/24"))
        }
    }

    @Test func namespacedFilesOutsideANamespaceDirectoryAreProblems() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let web = try await store.create(networkSet("web", namespace: "prod"))
            try writeByHand(directory + "/networksets/stray.yaml", "anything")
            let listing = try await store.list(.networkSet, namespace: nil)
            #expect(listing.resources == [web])
            #expect(listing.problems.map(\.path) == [directory + "/networksets/stray.yaml"])
            #expect(listing.problems.first?.error.reason.contains("networksets/<namespace>/<name>.yaml") == true)

            // A file in the wrong namespace's directory.
            try FileManager.default.createDirectory(
                atPath: directory + "/networksets/dev", withIntermediateDirectories: false)
            try FileManager.default.copyItem(
                atPath: directory + "/networksets/prod/web.yaml", toPath: directory + "/networksets/dev/web.yaml")
            let dev = try await store.list(.networkSet, namespace: "dev")
            #expect(dev.resources.isEmpty)
            #expect(dev.problems.first?.error.field == "metadata.namespace")
        }
    }

    @Test func temporaryFilesAreIgnoredAndRemovedOnOpen() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let pool = try await store.create(ipPool("pool-a"))
            // What a writer killed between writing and renaming leaves behind.
            let leftover = directory + "/ippools/.pool-b.yaml.tmp"
            try writeByHand(leftover, "apiVersion: projectcalico.org/v3\nkind: IPP")
            let listing = try await store.list(.ipPool, namespace: nil)
            #expect(listing.resources == [pool])
            #expect(listing.problems.isEmpty)

            _ = try FileDatastore(directory: directory)
            #expect(!FileManager.default.fileExists(atPath: leftover))
            #expect(FileManager.default.fileExists(atPath: directory + "/ippools/pool-a.yaml"))
        }
    }

    @Test func twoInstancesOnOneDirectoryShareVersionsAndConflicts() async throws {
        try await withTemporaryDirectory { directory in
            let first = try FileDatastore(directory: directory)
            let second = try FileDatastore(directory: directory)
            let created = try await first.create(ipPool("pool-a"))
            let updated = try await second.update(created)
            #expect(UInt64(updated.metadata.resourceVersion!)! > UInt64(created.metadata.resourceVersion!)!)
            let error = await failure { () async throws(DatastoreError) in try await first.update(created) }
            #expect(
                error
                    == .conflict(
                        created.key, expected: created.metadata.resourceVersion!,
                        actual: updated.metadata.resourceVersion!))
        }
    }

    @Test func versionsOfAKeyGrowEvenIfTheCounterIsLost() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            var pool = try await store.create(ipPool("pool-a"))
            for _ in 0..<5 { pool = try await store.update(pool) }
            try writeByHand(directory + "/.tabby/revision", "")
            let next = try await store.update(pool)
            #expect(UInt64(next.metadata.resourceVersion!)! > UInt64(pool.metadata.resourceVersion!)!)
        }
    }

    @Test func ioErrorsNameThePathTheOperationAndTheErrno() async throws {
        let error = await failure { () async throws(DatastoreError) in
            try FileDatastore(directory: "/proc/tabby-cannot-be-here")
        }
        #expect(error == .io(path: "/proc/tabby-cannot-be-here", operation: "mkdir", errno: "ENOENT"))
        #expect(error?.description == "mkdir /proc/tabby-cannot-be-here: ENOENT")
    }

    @Test func contentVersionIsFNV1a() {
        // Published FNV-1a 64-bit test vectors.
        #expect(ObjectFile.contentVersion([]) == "hcbf29ce484222325")
        #expect(ObjectFile.contentVersion(Array("a".utf8)) == "haf63dc4c8601ec8c")
    }
}
