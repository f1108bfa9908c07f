import CalicoAPI
import Datastore

/// The etcd v3 datastore, in Calico's key layout (`EtcdKeyLayout`) with Calico's values (`EtcdValueCodec`), so
/// that calicoctl, calico-node and Tabby can share one cluster. See Docs/datastore.md, "The etcd datastore".
///
/// A resource's `resourceVersion` is its key's mod revision. Every write is one etcd transaction that
/// compares what the write depends on: `version == 0` for a create, the mod revision read (or named) for an
/// update or delete, and for IPPool writes and IPAM block creates (`PoolWriteRules.dependsOnStored`) that no
/// pool or block was created since the ones checked. An IPAM block update (every address assigned or released)
/// is one transaction on the block's mod revision.
public final class EtcdDatastore: Datastore {
    let kv: any EtcdKV
    private let closeClient: (@Sendable () async -> Void)?

    /// How often a write that lost a race with another writer is tried again before giving up.
    static let attempts = 100

    /// A datastore over an etcd client the caller owns (and closes).
    public init(client: any EtcdKV) {
        kv = client
        closeClient = nil
    }

    init(client: any EtcdKV, close: @escaping @Sendable () async -> Void) {
        kv = client
        closeClient = close
    }

    /// Closes the client when this datastore opened it; watches end soon after.
    public func close() async {
        await closeClient?()
    }

    // MARK: Reading

    public func get(_ key: ResourceKey) async throws(DatastoreError) -> AnyResource {
        try WriteRules.checkKey(key)
        guard let found = try await find(key) else { throw .notFound(key) }
        switch found.object {
        case .problem(let problem): throw .problem(problem)
        case .resource(let resource): return resource
        }
    }

    public func list(_ kind: ResourceKind, namespace: String?) async throws(DatastoreError) -> DatastoreListing {
        if kind.isNamespaced, let namespace { try WriteRules.checkNamespace(namespace, kind: kind) }
        var values: [EtcdKeyValue] = []
        var revision: Int64 = 0
        for range in EtcdKeyLayout.ranges(of: kind, namespace: kind.isNamespaced ? namespace : nil) {
            let response = try await self.range(range, revision: revision)
            revision = response.revision
            values += response.kvs
        }
        return Self.listing(of: values, kind: kind)
    }

    /// The decoded values of one kind, sorted as `list` promises.
    static func listing(of values: [EtcdKeyValue], kind: ResourceKind) -> DatastoreListing {
        var listing = DatastoreListing()
        for object in ParallelMap.map(values, EtcdValueCodec.decode) {
            switch object {
            case .resource(let resource)? where resource.kind == kind: listing.resources.append(resource)
            case .problem(let problem)? where problem.error.kind == kind.rawValue: listing.problems.append(problem)
            default: continue
            }
        }
        listing.resources.sort { $0.key < $1.key }
        listing.problems.sort { $0.path < $1.path }
        return listing
    }

    /// The stored value for `key` and the etcd key it is under; nil when there is none.
    private func find(_ key: ResourceKey) async throws(DatastoreError) -> (etcdKey: String, kv: EtcdKeyValue,
        object: EtcdObject)?
    {
        for candidate in EtcdKeyLayout.candidateKeys(of: key) {
            if let kv = try await value(at: candidate), let object = EtcdValueCodec.decode(kv) {
                return (candidate, kv, object)
            }
        }
        guard key.kind == .blockAffinity else { return nil }
        // A long name shortened with a hash does not split back into node and block: look through them all.
        for range in EtcdKeyLayout.ranges(of: .blockAffinity) {
            for kv in try await self.range(range, revision: 0).kvs {
                let etcdKey = String(decoding: kv.key, as: UTF8.self)
                if case .object(let stored)? = EtcdKeyLayout.parse(etcdKey), stored.key == key,
                    let object = EtcdValueCodec.decode(kv)
                {
                    return (etcdKey, kv, object)
                }
            }
        }
        return nil
    }

    // MARK: Writing

    public func create(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        var resource = try WriteRules.validated(resource)
        let key = resource.key
        try WriteRules.checkKey(key)
        let etcdKey = try EtcdKeyLayout.key(of: resource)
        let keyBytes = Array(etcdKey.utf8)
        WriteRules.stamp(&resource, revision: 0, replacing: nil)
        let value = EtcdValueCodec.encode(resource)
        let guarded = PoolWriteRules.dependsOnStored(resource.kind, creating: true)
        for _ in 0..<Self.attempts {
            var compare = [EtcdCompare(key: keyBytes, .version(0), .equal)]
            if guarded {
                let state = try await poolState(reading: nil)
                try PoolWriteRules.check(resource, replacing: nil) { kind in state.resources(kind) }
                compare += Self.nothingCreatedSince(state.revision)
            }
            let response = try await txn(
                EtcdTxnRequest(
                    compare: compare, success: [.put(key: keyBytes, value: value, prevKV: false)],
                    failure: [.range(EtcdRangeRequest(key: keyBytes, countOnly: true))]))
            if response.succeeded { return try stored(value, at: etcdKey, revision: response.revision) }
            if !guarded || Self.failureFoundKey(response) { throw .alreadyExists(key) }
            // A pool or block appeared since the check: check again.
        }
        throw Self.contention(key)
    }

    public func update(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        let resource = try WriteRules.validated(resource)
        let key = resource.key
        try WriteRules.checkKey(key)
        let etcdKey = try EtcdKeyLayout.key(of: resource)
        let keyBytes = Array(etcdKey.utf8)
        let expected = resource.metadata.resourceVersion
        let guarded = PoolWriteRules.dependsOnStored(resource.kind, creating: false)
        // Nothing to keep from the stored object: one transaction on the named revision.
        if let expected, let revision = Int64(expected), !guarded,
            resource.kind.isIPAM || (resource.metadata.uid != nil && resource.metadata.creationTimestamp != nil)
        {
            let value = EtcdValueCodec.encode(resource)
            let response = try await txn(
                EtcdTxnRequest(
                    compare: [EtcdCompare(key: keyBytes, .modRevision(revision), .equal)],
                    success: [.put(key: keyBytes, value: value, prevKV: false)],
                    failure: [.range(EtcdRangeRequest(key: keyBytes, keysOnly: true))]))
            if response.succeeded { return try stored(value, at: etcdKey, revision: response.revision) }
            guard let actual = Self.failureModRevision(response) else { throw .notFound(key) }
            throw .conflict(key, expected: expected, actual: String(actual))
        }
        for _ in 0..<Self.attempts {
            var state: PoolState?
            let current: EtcdKeyValue?
            if guarded {
                let read = try await poolState(reading: keyBytes)
                state = read
                current = read.current
            } else {
                current = try await value(at: etcdKey)
            }
            guard let current else { throw .notFound(key) }
            var previous: AnyResource?
            switch EtcdValueCodec.decode(current) {
            case .problem(let problem)?:
                // Nobody can hold a version of a broken value; only an unconditional update replaces it.
                if expected != nil { throw .problem(problem) }
            case .resource(let stored)?:
                previous = stored
            case nil:
                break
            }
            if let expected, expected != String(current.modRevision) {
                throw .conflict(key, expected: expected, actual: String(current.modRevision))
            }
            var compare = [EtcdCompare(key: keyBytes, .modRevision(current.modRevision), .equal)]
            if let state {
                try PoolWriteRules.check(resource, replacing: previous) { kind in state.resources(kind) }
                compare += Self.nothingCreatedSince(state.revision)
            }
            var replacement = resource
            WriteRules.stamp(&replacement, revision: 0, replacing: previous)
            let value = EtcdValueCodec.encode(replacement)
            let response = try await txn(
                EtcdTxnRequest(
                    compare: compare, success: [.put(key: keyBytes, value: value, prevKV: false)],
                    failure: [.range(EtcdRangeRequest(key: keyBytes, keysOnly: true))]))
            if response.succeeded { return try stored(value, at: etcdKey, revision: response.revision) }
            guard let actual = Self.failureModRevision(response) else { throw .notFound(key) }
            if let expected, expected != String(actual) {
                throw .conflict(key, expected: expected, actual: String(actual))
            }
            // Changed between the read and the write (or a pool or block appeared): read again.
        }
        throw Self.contention(key)
    }

    public func delete(_ key: ResourceKey, resourceVersion: String?) async throws(DatastoreError) -> AnyResource {
        try WriteRules.checkKey(key)
        guard let found = try await find(key) else { throw .notFound(key) }
        let keyBytes = Array(found.etcdKey.utf8)
        var current = found.kv
        for _ in 0..<Self.attempts {
            let stored: AnyResource
            switch EtcdValueCodec.decode(current) {
            case .problem(let problem)?: throw .problem(problem)
            case .resource(let resource)?: stored = resource
            case nil: throw .notFound(key)
            }
            if let resourceVersion, resourceVersion != String(current.modRevision) {
                throw .conflict(key, expected: resourceVersion, actual: String(current.modRevision))
            }
            let response = try await txn(
                EtcdTxnRequest(
                    compare: [EtcdCompare(key: keyBytes, .modRevision(current.modRevision), .equal)],
                    success: [.delete(key: keyBytes, rangeEnd: nil, prevKV: false)],
                    failure: [.range(EtcdRangeRequest(key: keyBytes))]))
            if response.succeeded { return stored }
            guard case .range(let now)? = response.results.first, let kv = now.kvs.first else {
                throw .notFound(key)
            }
            current = kv
        }
        throw Self.contention(key)
    }

    /// What a write returns: exactly what a `get` reads back (a Calico IPAM value keeps no uid, for one).
    private func stored(_ value: [UInt8], at etcdKey: String, revision: Int64) throws(DatastoreError) -> AnyResource {
        let kv = EtcdKeyValue(
            key: Array(etcdKey.utf8), value: value, createRevision: revision, modRevision: revision, version: 1)
        switch EtcdValueCodec.decode(kv) {
        case .resource(let resource)?: return resource
        case .problem(let problem)?: throw .problem(problem)
        case nil: throw .unavailable("etcd key \(etcdKey) is outside Calico's layout")
        }
    }

    // MARK: Pools and blocks (PoolWriteRules, atomically)

    /// The pools and blocks at one revision (and the key being written, at the same revision).
    private struct PoolState {
        var revision: Int64
        var pools: [AnyResource]
        var blocks: [AnyResource]
        var current: EtcdKeyValue?

        func resources(_ kind: ResourceKind) -> [AnyResource] {
            kind == .ipPool ? pools : kind == .ipamBlock ? blocks : []
        }
    }

    private func poolState(reading key: [UInt8]?) async throws(DatastoreError) -> PoolState {
        let pools = try await range(EtcdKeyLayout.ranges(of: .ipPool)[0], revision: 0)
        let blocks = try await range(EtcdKeyLayout.ranges(of: .ipamBlock)[0], revision: pools.revision)
        var current: EtcdKeyValue?
        if let key {
            current = try await request(EtcdRangeRequest(key: key, revision: pools.revision)).kvs.first
        }
        return PoolState(
            revision: pools.revision, pools: Self.listing(of: pools.kvs, kind: .ipPool).resources,
            blocks: Self.listing(of: blocks.kvs, kind: .ipamBlock).resources, current: current)
    }

    /// Fails the transaction when a pool or block was created after `revision`.
    private static func nothingCreatedSince(_ revision: Int64) -> [EtcdCompare] {
        [EtcdKeyLayout.ranges(of: .ipPool)[0], EtcdKeyLayout.ranges(of: .ipamBlock)[0]].map { range in
            let (key, end) = range.request
            return EtcdCompare(key: key, rangeEnd: end, .createRevision(revision + 1), .less)
        }
    }

    private static func failureFoundKey(_ response: EtcdTxnResponse) -> Bool {
        guard case .range(let found)? = response.results.first else { return false }
        return found.count > 0 || !found.kvs.isEmpty
    }

    private static func failureModRevision(_ response: EtcdTxnResponse) -> Int64? {
        guard case .range(let found)? = response.results.first else { return nil }
        return found.kvs.first?.modRevision
    }

    private static func contention(_ key: ResourceKey) -> DatastoreError {
        .unavailable("\(key): gave up after \(attempts) attempts, other writers kept changing it")
    }

    // MARK: etcd calls

    private func value(at key: String) async throws(DatastoreError) -> EtcdKeyValue? {
        try await request(EtcdRangeRequest(key: Array(key.utf8))).kvs.first
    }

    func range(_ range: EtcdKeyLayout.KeyRange, revision: Int64) async throws(DatastoreError) -> EtcdRangeResponse {
        let (key, end) = range.request
        return try await request(EtcdRangeRequest(key: key, rangeEnd: end, revision: revision))
    }

    private func request(_ request: EtcdRangeRequest) async throws(DatastoreError) -> EtcdRangeResponse {
        do {
            return try await kv.range(request)
        } catch {
            throw .unavailable(error.description)
        }
    }

    private func txn(_ request: EtcdTxnRequest) async throws(DatastoreError) -> EtcdTxnResponse {
        do {
            return try await kv.txn(request)
        } catch {
            throw .unavailable(error.description)
        }
    }

    // MARK: Watching

    public func watch(_ kinds: Set<ResourceKind>?) -> AsyncThrowingStream<WatchEvent, any Error> {
        EtcdWatcher.stream(kv: kv, kinds: kinds ?? Set(ResourceKind.allCases))
    }
}
