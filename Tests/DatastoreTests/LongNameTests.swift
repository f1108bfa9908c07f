import CalicoAPI
import Datastore
import Foundation
import Testing

/// Names longer than a file name can be (Kubernetes allows 253 characters; a file name has 255 bytes, and the
/// temporary file's 10 more than the name): stored under a hashed file name, found by their real name.
@Suite("File datastore: long names", .timeLimit(.minutes(1)))
struct LongNameTests {
    /// A valid 253-character name: labels of 63 characters joined by dots, ending in `tail`.
    static func longName(_ tail: String = "a") -> String {
        let label = String(repeating: "n", count: 62)
        let name = [label + "1", label + "2", label + "3"].joined(separator: ".") + "."
        return name + String(repeating: "x", count: 253 - name.count - tail.count) + tail
    }

    static func node(_ name: String, address: String = "192.0.2.10/24") throws -> AnyResource {
        try ResourceCodec.decodeOne(
            """
            apiVersion: projectcalico.org/v3
            kind: Node
            metadata: {name: \(name)}
            spec: {bgp: {ipv4Address: \(address)}}
            """)
    }

    /// Every file name under `directory`, recursively.
    static func fileNames(under directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).map {
            ($0 as NSString).lastPathComponent
        }
    }

    @Test func aNodeOf253CharactersIsStoredListedUpdatedAndDeletedByItsName() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let name = Self.longName()
            #expect(name.count == 253)
            let key = ResourceKey(kind: .node, name: name)
            let created = try await store.create(try Self.node(name))
            #expect(created.key == key)
            #expect(try await store.get(key) == created)
            let again = try Self.node(name)
            #expect(
                await failure { () async throws(DatastoreError) in try await store.create(again) }
                    == .alreadyExists(key))

            // Its file name fits, is marked as hashed, and holds the real name.
            let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/nodes")
            #expect(files.count == 1)
            let file = try #require(files.first)
            #expect(file.utf8.count + 5 <= 255, "\(file)")
            #expect(file.contains("~") && file.hasSuffix(".yaml"))
            #expect(file.hasPrefix(String(name.prefix(150))))
            let text = try String(contentsOfFile: directory + "/nodes/" + file, encoding: .utf8)
            #expect(text.contains(name))

            let listing = try await store.list(.node, namespace: nil)
            #expect(listing.problems.isEmpty)
            #expect(listing.resources == [created])

            // Compare-and-swap by the real name.
            var changed = try Self.node(name, address: "192.0.2.11/24")
            changed.metadata.resourceVersion = "99"
            #expect(await failure { () async throws(DatastoreError) in try await store.update(changed) } != nil)
            changed.metadata.resourceVersion = created.metadata.resourceVersion
            let updated = try await store.update(changed)
            #expect(
                await failure { () async throws(DatastoreError) in
                    try await store.delete(key, resourceVersion: created.metadata.resourceVersion)
                }
                    == .conflict(
                        key, expected: created.metadata.resourceVersion!, actual: updated.metadata.resourceVersion!))
            #expect(try await store.delete(key, resourceVersion: updated.metadata.resourceVersion) == updated)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/nodes").isEmpty)
        }
    }

    @Test func longNamesThatShareTheirBeginningGetDifferentFiles() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let first = try await store.create(try Self.node(Self.longName("a")))
            let second = try await store.create(try Self.node(Self.longName("b")))
            let listing = try await store.list(.node, namespace: nil)
            #expect(listing.resources == [first, second])
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/nodes").count == 2)
            // Names that fit keep their own file name: the short-name layout is unchanged, up to 245 characters.
            let fits = String(repeating: "f", count: 245)
            _ = try await store.create(try Self.node(fits))
            #expect(FileManager.default.fileExists(atPath: directory + "/nodes/" + fits + ".yaml"))
        }
    }

    @Test func aHashedFileHoldingAnotherNameIsAProblem() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            _ = try await store.create(try Self.node(Self.longName("a")))
            let file = try #require(try FileManager.default.contentsOfDirectory(atPath: directory + "/nodes").first)
            // Copied by hand under another hashed file name: its content does not hash to that name.
            let copy = directory + "/nodes/copy~0123.yaml"
            try FileManager.default.copyItem(atPath: directory + "/nodes/" + file, toPath: copy)
            let listing = try await store.list(.node, namespace: nil)
            #expect(listing.resources.map(\.key.name) == [Self.longName("a")])
            #expect(listing.problems.map(\.path) == [copy])
            #expect(listing.problems.first?.error.field == "metadata.name")
        }
    }

    @Test func aWatchReportsLongNamesByTheirRealName() async throws {
        try await withTemporaryDirectory { directory in
            let store = try FileDatastore(directory: directory)
            let before = try await store.create(try Self.node(Self.longName("a")))
            var events = store.watch([.node, .blockAffinity]).makeAsyncIterator()
            #expect(try await events.next() == .added(before))
            #expect(try await events.next() == .synced)

            let affinityName = String(repeating: "b", count: 253)
            let affinity = try await store.create(blockAffinity(affinityName, node: Self.longName("a")))
            #expect(try await events.next() == .added(affinity))
            var changed = before
            changed.metadata.labels = ["changed": "yes"]
            let modified = try await store.update(changed)
            #expect(try await events.next() == .modified(modified))
            _ = try await store.delete(before.key, resourceVersion: nil)
            #expect(try await events.next() == .deleted(modified))
            _ = try await store.delete(affinity.key, resourceVersion: nil)
            #expect(try await events.next() == .deleted(affinity))
            #expect(Self.fileNames(under: directory).allSatisfy { $0.utf8.count <= 250 })
        }
    }
}
