import CalicoAPI
import Datastore
import Testing

/// What every datastore must do, run against the file datastore and the in-memory one alike.
@Suite("Datastore semantics")
struct DatastoreSemanticsTests {
    @Test(arguments: Backend.allCases)
    func createStampsVersionIdentityAndDefaults(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let stored = try await store.create(ipPool("pool-a"))
            let version = try #require(stored.metadata.resourceVersion)
            #expect(UInt64(version) != nil)
            #expect(stored.metadata.uid?.count == 36)
            #expect(stored.metadata.creationTimestamp?.hasSuffix("Z") == true)
            // Calico's defaults are applied on the way in.
            #expect(stored.as(IPPool.self)?.spec.blockSize == 26)
            #expect(try await store.get(stored.key) == stored)

            let other = try await store.create(ipPool("pool-b", cidr: "198.51.100.0/24"))
            #expect(UInt64(other.metadata.resourceVersion ?? "")! > UInt64(version)!)
            #expect(other.metadata.uid != stored.metadata.uid)
        }
    }

    @Test(arguments: Backend.allCases)
    func createFailsWhenTheKeyIsTaken(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            _ = try await store.create(ipPool("pool-a"))
            let error = await failure { () async throws(DatastoreError) in try await store.create(ipPool("pool-a")) }
            #expect(error == .alreadyExists(ResourceKey(kind: .ipPool, name: "pool-a")))
        }
    }

    @Test(arguments: Backend.allCases)
    func unconditionalUpdateKeepsIdentity(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let created = try await store.create(globalNetworkSet("set-a", labels: ["tier": "1"]))
            var changed = globalNetworkSet("set-a", labels: ["tier": "2"])
            #expect(changed.metadata.resourceVersion == nil)
            changed = try await store.update(changed)
            #expect(changed.metadata.labels == ["tier": "2"])
            #expect(changed.metadata.uid == created.metadata.uid)
            #expect(changed.metadata.creationTimestamp == created.metadata.creationTimestamp)
            #expect(UInt64(changed.metadata.resourceVersion!)! > UInt64(created.metadata.resourceVersion!)!)
            #expect(try await store.get(changed.key) == changed)
        }
    }

    @Test(arguments: Backend.allCases)
    func updateOfAMissingResourceFails(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let error = await failure { () async throws(DatastoreError) in try await store.update(ipPool("nowhere")) }
            #expect(error == .notFound(ResourceKey(kind: .ipPool, name: "nowhere")))
        }
    }

    @Test(arguments: Backend.allCases)
    func compareAndSwapLetsOneOfTwoWritersWin(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let base = try await store.create(globalNetworkSet("shared", labels: ["owner": "nobody"]))
            var first = base
            first.metadata.labels = ["owner": "first"]
            var second = base
            second.metadata.labels = ["owner": "second"]

            let winner = try await store.update(first)
            let error = await failure { () async throws(DatastoreError) in try await store.update(second) }
            let expected = DatastoreError.conflict(
                base.key, expected: base.metadata.resourceVersion!, actual: winner.metadata.resourceVersion!)
            #expect(error == expected)
            #expect(
                error?.description
                    == "conflict: GlobalNetworkSet \"shared\" was changed since resourceVersion "
                    + "\(base.metadata.resourceVersion!) (now \(winner.metadata.resourceVersion!)); "
                    + "read it again and retry")
            #expect(try await store.get(base.key).metadata.labels == ["owner": "first"])

            // Read again, retry: now it goes through.
            var retry = try await store.get(base.key)
            retry.metadata.labels = ["owner": "second"]
            #expect(try await store.update(retry).metadata.labels == ["owner": "second"])
        }
    }

    @Test(arguments: Backend.allCases)
    func deleteChecksTheVersionWhenGiven(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let created = try await store.create(ipPool("pool-a"))
            let updated = try await store.update(created)
            let stale = await failure { () async throws(DatastoreError) in
                try await store.delete(created.key, resourceVersion: created.metadata.resourceVersion)
            }
            #expect(
                stale
                    == .conflict(
                        created.key, expected: created.metadata.resourceVersion!,
                        actual: updated.metadata.resourceVersion!))
            #expect(try await store.get(created.key) == updated)

            #expect(try await store.delete(created.key, resourceVersion: updated.metadata.resourceVersion) == updated)
            let gone = await failure { () async throws(DatastoreError) in try await store.get(created.key) }
            #expect(gone == .notFound(created.key))
            let again = await failure { () async throws(DatastoreError) in
                try await store.delete(created.key, resourceVersion: nil)
            }
            #expect(again == .notFound(created.key))
        }
    }

    @Test(arguments: Backend.allCases)
    func invalidResourcesAreNeverStored(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let error = await failure { () async throws(DatastoreError) in
                // Host bits set: a pool CIDR must be a network address.
                try await store.create(ipPool("pool-a", cidr: "192.0.2.1/24"))
            }
            guard case .invalid(let key, let errors)? = error else {
                Issue.record("expected .invalid, got \(String(describing: error))")
                return
            }
            #expect(key == ResourceKey(kind: .ipPool, name: "pool-a"))
            #expect(errors.contains { $0.field == "spec.cidr" && $0.kind == "IPPool" && $0.name == "pool-a" })
            #expect(try await store.list(.ipPool, namespace: nil).resources.isEmpty)

            // Nor does a bad update replace a good resource.
            let good = try await store.create(ipPool("pool-b"))
            var bad = good
            bad = ipPool("pool-b", cidr: "169.254.0.0/16")
            let rejected = await failure { () async throws(DatastoreError) in try await store.update(bad) }
            if case .invalid? = rejected {
            } else {
                Issue.record("expected .invalid, got \(String(describing: rejected))")
            }
            #expect(try await store.get(good.key) == good)
        }
    }

    @Test(arguments: Backend.allCases)
    func keysThatCannotBeNamesAreRejected(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            for name in ["../escape", "a/b", ".hidden", ""] {
                let key = ResourceKey(kind: .ipPool, name: name)
                let error = await failure { () async throws(DatastoreError) in try await store.get(key) }
                guard case .invalid(key?, let errors)? = error else {
                    Issue.record("get(\(name)) should be .invalid, got \(String(describing: error))")
                    continue
                }
                #expect(errors.first?.field == "metadata.name")
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func listFiltersByKindAndNamespaceAndSortsByKey(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            _ = try await store.create(networkSet("web", namespace: "prod"))
            _ = try await store.create(networkSet("db", namespace: "prod"))
            _ = try await store.create(networkSet("web", namespace: "dev"))
            _ = try await store.create(globalNetworkSet("everyone"))
            _ = try await store.create(blockAffinity("node-a-203-0-113-0-26"))

            let prod = try await store.list(.networkSet, namespace: "prod")
            #expect(prod.resources.map(\.key.name) == ["db", "web"])
            #expect(prod.problems.isEmpty)
            let all = try await store.list(.networkSet, namespace: nil)
            #expect(
                all.resources.map { "\($0.metadata.namespace!)/\($0.metadata.name)" } == [
                    "dev/web", "prod/db", "prod/web",
                ])
            #expect(try await store.list(.networkSet, namespace: "staging").resources.isEmpty)
            #expect(try await store.list(.globalNetworkSet, namespace: nil).resources.map(\.key.name) == ["everyone"])
            #expect(try await store.list(.blockAffinity, namespace: nil).resources.count == 1)
            #expect(try await store.list(.ipPool, namespace: nil).resources.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func listRejectsANamespaceThatCannotBeOne(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let error = await failure { () async throws(DatastoreError) in
                try await store.list(.networkSet, namespace: "../ippools")
            }
            guard case .invalid(nil, let errors)? = error else {
                Issue.record("expected .invalid, got \(String(describing: error))")
                return
            }
            #expect(errors.first?.field == "metadata.namespace")
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentWritersWithRetriesLoseNoUpdate(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            let key = try await store.create(globalNetworkSet("counter", labels: ["count": "0"])).key
            let writers = 6
            let increments = 15
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<writers {
                    group.addTask {
                        for _ in 0..<increments {
                            while true {
                                var resource = try await store.get(key)
                                let count = Int(resource.metadata.labels?["count"] ?? "") ?? -1000
                                resource.metadata.labels = ["count": String(count + 1)]
                                if await failure({ () async throws(DatastoreError) in try await store.update(resource) }
                                )
                                    == nil
                                {
                                    break
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.get(key).metadata.labels == ["count": String(writers * increments)])
        }
    }

    @Test(arguments: Backend.allCases)
    func watchSendsTheSnapshotThenSyncedThenChanges(_ backend: Backend) async throws {
        try await withDatastore(backend) { store in
            // Created out of order, and named so that file-name order ("pool-a-b.yaml" < "pool-a.yaml") differs
            // from key order: the snapshot comes in key order.
            let longer = try await store.create(ipPool("pool-a-b", cidr: "203.0.113.0/24"))
            let existing = try await store.create(ipPool("pool-a"))
            _ = try await store.create(globalNetworkSet("not-watched"))
            var events = store.watch([.ipPool]).makeAsyncIterator()
            #expect(try await events.next() == .added(existing))
            #expect(try await events.next() == .added(longer))
            #expect(try await events.next() == .synced)

            let added = try await store.create(ipPool("pool-b", cidr: "198.51.100.0/24"))
            #expect(try await events.next() == .added(added))
            _ = try await store.update(globalNetworkSet("not-watched", labels: ["changed": "yes"]))
            let modified = try await store.update(existing)
            #expect(try await events.next() == .modified(modified))
            let deleted = try await store.delete(added.key, resourceVersion: nil)
            #expect(try await events.next() == .deleted(deleted))
        }
    }
}
