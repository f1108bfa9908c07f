import CalicoAPI
import Datastore
import Synchronization

/// An in-memory datastore that can be switched out of reach, as an etcd cluster is when every member is down:
/// each call then fails as the etcd datastore's do (an I/O error naming the endpoint). Its watch forwards the
/// in-memory store's events and any the test sends (`.resyncing`, `.synced`).
final class SwitchableDatastore: Datastore {
    static let endpoint = "http://192.0.2.1:2379"
    let inner: InMemoryDatastore
    private let reachable: Mutex<Bool>
    private let injected: Mutex<[AsyncThrowingStream<WatchEvent, any Error>.Continuation]> = Mutex([])

    init(_ resources: [AnyResource], reachable: Bool = true) {
        inner = InMemoryDatastore(resources)
        self.reachable = Mutex(reachable)
    }

    var isReachable: Bool {
        get { reachable.withLock { $0 } }
        set { reachable.withLock { $0 = newValue } }
    }

    /// Sends `event` to every running watch.
    func send(_ event: WatchEvent) {
        for continuation in injected.withLock({ $0 }) { continuation.yield(event) }
    }

    private func check() throws(DatastoreError) {
        if !isReachable { throw .io(path: Self.endpoint, operation: "range", errno: "ECONNREFUSED") }
    }

    func get(_ key: ResourceKey) async throws(DatastoreError) -> AnyResource {
        try check()
        return try await inner.get(key)
    }

    func list(_ kind: ResourceKind, namespace: String?) async throws(DatastoreError) -> DatastoreListing {
        try check()
        return try await inner.list(kind, namespace: namespace)
    }

    func create(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        try check()
        return try await inner.create(resource)
    }

    func update(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        try check()
        return try await inner.update(resource)
    }

    func delete(_ key: ResourceKey, resourceVersion: String?) async throws(DatastoreError) -> AnyResource {
        try check()
        return try await inner.delete(key, resourceVersion: resourceVersion)
    }

    func watch(_ kinds: Set<ResourceKind>?) -> AsyncThrowingStream<WatchEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent.self)
        injected.withLock { $0.append(continuation) }
        let events = inner.watch(kinds)
        let forwarding = Task {
            do {
                for try await event in events { continuation.yield(event) }
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in forwarding.cancel() }
        return stream
    }
}
