import CalicoAPI
import Foundation
import Synchronization

/// A datastore held in memory, with the file datastore's semantics (validation, resourceVersions,
/// compare-and-swap, watch snapshot then `.synced`), for unit tests of the modules above it.
///
/// A watch takes its snapshot when `watch` is called, so a test that writes right after starting a watch sees
/// the write as an event after `.synced`.
public actor InMemoryDatastore: Datastore {
    private struct State {
        var resources: [ResourceKey: AnyResource] = [:]
        var revision: UInt64 = 0
        var watchers: [UUID: Watcher] = [:]
    }

    private struct Watcher {
        var kinds: Set<ResourceKind>
        var continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    }

    // A mutex rather than actor isolation alone: `watch` is synchronous and must register its watcher and take
    // its snapshot atomically with respect to writes.
    private let state = Mutex(State())

    /// A datastore holding `resources`, each validated and stamped as `create` would. An invalid resource is a
    /// mistake in the test that passes it: it stops the test with the validation errors.
    public init(_ resources: [AnyResource] = []) {
        state.withLock { state in
            for given in resources {
                var resource: AnyResource
                do {
                    resource = try WriteRules.validated(given)
                } catch {
                    preconditionFailure("InMemoryDatastore: \(error)")
                }
                state.revision += 1
                WriteRules.stamp(&resource, revision: state.revision, replacing: nil)
                state.resources[resource.key] = resource
            }
        }
    }

    public func get(_ key: ResourceKey) async throws(DatastoreError) -> AnyResource {
        try WriteRules.checkKey(key)
        guard let resource = state.withLock({ $0.resources[key] }) else { throw .notFound(key) }
        return resource
    }

    public func list(_ kind: ResourceKind, namespace: String?) async throws(DatastoreError) -> DatastoreListing {
        if kind.isNamespaced, let namespace { try WriteRules.checkNamespace(namespace, kind: kind) }
        let resources = state.withLock { state in
            state.resources.values.filter { resource in
                resource.kind == kind
                    && (namespace == nil || !kind.isNamespaced || resource.metadata.namespace == namespace)
            }
        }
        return DatastoreListing(resources: resources.sorted { $0.key < $1.key })
    }

    public func create(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        let resource = try WriteRules.validated(resource)
        return try state.withLock { state throws(DatastoreError) -> AnyResource in
            let key = resource.key
            if state.resources[key] != nil { throw .alreadyExists(key) }
            try PoolWriteRules.check(resource, replacing: nil, storedResources: Self.lister(state))
            return Self.store(resource, replacing: nil, in: &state)
        }
    }

    public func update(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        let resource = try WriteRules.validated(resource)
        return try state.withLock { state throws(DatastoreError) -> AnyResource in
            let key = resource.key
            guard let stored = state.resources[key] else { throw .notFound(key) }
            try WriteRules.check(expected: resource.metadata.resourceVersion, stored: stored)
            try PoolWriteRules.check(resource, replacing: stored, storedResources: Self.lister(state))
            return Self.store(resource, replacing: stored, in: &state)
        }
    }

    public func delete(_ key: ResourceKey, resourceVersion: String?) async throws(DatastoreError) -> AnyResource {
        try WriteRules.checkKey(key)
        return try state.withLock { state throws(DatastoreError) -> AnyResource in
            guard let stored = state.resources[key] else { throw .notFound(key) }
            try WriteRules.check(expected: resourceVersion, stored: stored)
            state.resources[key] = nil
            Self.notify(.deleted(stored), kind: key.kind, in: state)
            return stored
        }
    }

    public nonisolated func watch(_ kinds: Set<ResourceKind>?) -> AsyncThrowingStream<WatchEvent, any Error> {
        let kinds = kinds ?? Set(ResourceKind.allCases)
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
        let id = UUID()
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in state.watchers[id] = nil }
        }
        state.withLock { state in
            let snapshot = state.resources.values.filter { kinds.contains($0.kind) }.sorted { $0.key < $1.key }
            for resource in snapshot { continuation.yield(.added(resource)) }
            continuation.yield(.synced)
            state.watchers[id] = Watcher(kinds: kinds, continuation: continuation)
        }
        return stream
    }

    private static func store(_ resource: AnyResource, replacing stored: AnyResource?, in state: inout State)
        -> AnyResource
    {
        var resource = resource
        let revision = WriteRules.nextRevision(counter: state.revision, stored: stored)
        state.revision = revision
        WriteRules.stamp(&resource, revision: revision, replacing: stored)
        state.resources[resource.key] = resource
        notify(stored == nil ? .added(resource) : .modified(resource), kind: resource.kind, in: state)
        return resource
    }

    /// What `PoolWriteRules` reads: the stored resources of a kind.
    private static func lister(_ state: State) -> (ResourceKind) -> [AnyResource] {
        { kind in state.resources.values.filter { $0.kind == kind } }
    }

    private static func notify(_ event: WatchEvent, kind: ResourceKind, in state: State) {
        for watcher in state.watchers.values where watcher.kinds.contains(kind) {
            watcher.continuation.yield(event)
        }
    }
}
