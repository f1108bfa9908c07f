import CalicoAPI

/// Where Calico resources are kept: read, written with revision checks, and watched.
///
/// Every write validates the resource first (Calico's defaults, then validation) and stamps a new
/// `metadata.resourceVersion`; an update or delete that names a resourceVersion succeeds only when it is still
/// the stored one (compare-and-swap), which is how several agents share one datastore safely.
public protocol Datastore: Sendable {
    /// The stored resource; `.notFound` when there is none, `.problem` when its file is broken.
    func get(_ key: ResourceKey) async throws(DatastoreError) -> AnyResource

    /// Every resource of `kind` (in `namespace`, or in all namespaces when nil; the namespace is ignored for kinds
    /// that have none), sorted by key, with every stored object that could not be read reported beside them
    /// rather than hiding them.
    func list(_ kind: ResourceKind, namespace: String?) async throws(DatastoreError) -> DatastoreListing

    /// Stores a new resource; `.alreadyExists` when its key is taken. Returns what was stored: defaults applied,
    /// a new resourceVersion, and a uid and creationTimestamp when the resource had none.
    func create(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource

    /// Replaces a stored resource. With `metadata.resourceVersion` nil the write is unconditional; otherwise it
    /// must equal the stored one or the update fails with `.conflict`. `.notFound` when there is nothing to
    /// replace. The stored uid and creationTimestamp are kept when the resource leaves them out.
    func update(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource

    /// Removes a stored resource and returns it; when `resourceVersion` is given it must still be the stored one.
    func delete(_ key: ResourceKey, resourceVersion: String?) async throws(DatastoreError) -> AnyResource

    /// The resources of `kinds` (all kinds when nil) as they change: first one `.added` per stored resource
    /// (and one `.problem` per broken object), then `.synced`, then each change as it happens, including
    /// changes made by other processes. A datastore behind a network reports losing contact with `.resyncing`
    /// and recovers by itself rather than ending the stream. Cancelling the consuming task (or dropping the
    /// stream) stops the watch.
    func watch(_ kinds: Set<ResourceKind>?) -> AsyncThrowingStream<WatchEvent, any Error>
}

/// The answer to `list`: the resources that could be read and the stored objects that could not.
public struct DatastoreListing: Sendable {
    /// Sorted by key.
    public var resources: [AnyResource]
    /// Sorted by path.
    public var problems: [DatastoreProblem]

    public init(resources: [AnyResource] = [], problems: [DatastoreProblem] = []) {
        self.resources = resources
        self.problems = problems
    }
}

/// One change seen by a watch.
public enum WatchEvent: Sendable, Equatable {
    /// A resource appeared (or was there when the watch started).
    case added(AnyResource)
    /// A resource changed; carries the new content.
    case modified(AnyResource)
    /// A resource was removed; carries the last content the watch saw.
    case deleted(AnyResource)
    /// The initial snapshot is complete: the watcher now knows everything that was stored when it started.
    case synced
    /// A stored object cannot be read. The last good content (if any) stays in effect until it is fixed or
    /// removed; no `.deleted` is sent for it. A changed problem of the same object is sent again.
    case problem(DatastoreProblem)
    /// The stored object at `path` that had a problem was fixed or removed: sent before the `.added`,
    /// `.modified` or `.deleted` that the fix causes (if any; a file fixed back to its last good content causes
    /// none).
    case problemCleared(path: String)
    /// The watch lost its source for a while (etcd unreachable, a dropped stream, history compacted away):
    /// everything sent so far stays in effect, and the watcher is no longer in sync. The watch keeps trying by
    /// itself; once it is back it sends only what changed meanwhile (`.added`, `.modified`, `.deleted`,
    /// `.problem`, `.problemCleared`), then `.synced` again. `reason` says what was lost, naming the endpoint.
    case resyncing(reason: String)
}
