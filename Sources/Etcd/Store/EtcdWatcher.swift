import CalicoAPI
import Datastore
import Dispatch
import Synchronization

/// Follows Calico's keys in etcd and turns what changes into `WatchEvent`s: one range per key prefix at one
/// revision (the snapshot), `.synced`, then one watch on `/calico/` from the next revision.
///
/// It remembers the last content it reported for every key, so that events can be compared against it: a
/// deleted key reports its last content, and after losing etcd (a dropped stream, unreachable members, a member
/// without a leader, history compacted away) it reports `.resyncing` once, lists again and reports only the
/// differences, then `.synced`. It never ends by itself; cancelling the consumer ends it.
final class EtcdWatcher {
    typealias Continuation = AsyncThrowingStream<WatchEvent, any Error>.Continuation

    /// How long the watch may be quiet before a liveness check, and how long that check may take.
    static let livenessInterval: Duration = .milliseconds(2500)
    static let livenessTimeout: Duration = .seconds(3)
    static let firstRetryDelay: Duration = .milliseconds(100)
    static let longestRetryDelay: Duration = .seconds(2)

    /// What was last reported for one key.
    private struct Seen {
        /// The last good content; it stays in effect while the value is broken.
        var resource: AnyResource?
        /// The value's current problem, if it is broken.
        var problem: DatastoreProblem?
    }

    private let kv: any EtcdKV
    private let kinds: Set<ResourceKind>
    private let ranges: [EtcdKeyLayout.KeyRange]
    private let continuation: Continuation
    private var seen: [String: Seen] = [:]

    /// Starts following and returns the events; ends when the consumer cancels or drops the stream.
    static func stream(kv: any EtcdKV, kinds: Set<ResourceKind>) -> AsyncThrowingStream<WatchEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
        let task = Task {
            let watcher = EtcdWatcher(kv: kv, kinds: kinds, continuation: continuation)
            await watcher.run()
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private init(kv: any EtcdKV, kinds: Set<ResourceKind>, continuation: Continuation) {
        self.kv = kv
        self.kinds = kinds
        self.continuation = continuation
        var ranges: [EtcdKeyLayout.KeyRange] = []
        for kind in kinds.sorted() {
            for range in EtcdKeyLayout.ranges(of: kind) where !ranges.contains(range) { ranges.append(range) }
        }
        self.ranges = ranges
    }

    /// Why the watch lost etcd.
    struct Interruption: Error {
        var reason: String
    }

    /// Snapshot and changes until cancelled, recovering from every interruption.
    private func run() async {
        var reported = false
        var delay = Self.firstRetryDelay
        while !Task.isCancelled {
            do throws(Interruption) {
                let revision = try await snapshot()
                reported = false
                delay = Self.firstRetryDelay
                try await follow(from: revision + 1)
            } catch {
                if Task.isCancelled { return }
                if !reported {
                    continuation.yield(.resyncing(reason: error.reason))
                    reported = true
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, Self.longestRetryDelay)
            }
        }
    }

    // MARK: Snapshot

    /// Keys per range request of the snapshot: a page is decoded while the next one is fetched.
    static let snapshotPageSize: Int64 = 500

    /// A decoded stored object with the key it was read from and the key it is reported in the order of.
    private typealias DecodedValue = (etcdKey: String, order: ResourceKey, object: EtcdObject)

    /// Lists every watched prefix at one revision, reports what differs from what was sent (everything, the first
    /// time), then `.synced`; returns the revision. The ranges are read in pages, each decoded on every core while
    /// etcd serves the next, so that a cold start costs about the larger of the two rather than their sum.
    private func snapshot() async throws(Interruption) -> Int64 {
        var revision: Int64 = 0
        var pages: [Task<[DecodedValue], Never>] = []
        defer { pages.forEach { $0.cancel() } }
        for range in ranges {
            let end: [UInt8]?
            var key: [UInt8]
            (key, end) = range.request  // an exact key (no end) is one value: never more than a page
            while true {
                let response: EtcdRangeResponse
                do {
                    response = try await kv.range(
                        EtcdRangeRequest(key: key, rangeEnd: end, revision: revision, limit: Self.snapshotPageSize))
                } catch {
                    throw Interruption(reason: "cannot list \(range.prefix) from etcd: \(error)")
                }
                if revision == 0 { revision = response.revision }
                pages.append(Self.decodeInBackground(response.kvs, kinds: kinds))
                guard response.more, let last = response.kvs.last else { break }
                key = last.key + [0]
            }
        }
        var decoded: [DecodedValue] = []
        for page in pages { decoded += await page.value }
        if Task.isCancelled { throw Interruption(reason: "cancelled") }
        decoded.sort { ($0.order, $0.etcdKey) < ($1.order, $1.etcdKey) }
        var present: Set<String> = []
        for (key, _, object) in decoded {
            present.insert(key)
            apply(object, at: key)
        }
        for key in seen.keys.filter({ !present.contains($0) }).sorted() { apply(nil, at: key) }
        continuation.yield(.synced)
        return revision
    }

    /// Decodes one page of values of the watched kinds on a dispatch thread (not the cooperative pool, which
    /// goes on fetching the next page).
    private static func decodeInBackground(_ values: [EtcdKeyValue], kinds: Set<ResourceKind>)
        -> Task<[DecodedValue], Never>
    {
        Task {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    let decoded = ParallelMap.map(values) { kv -> DecodedValue? in
                        let key = String(decoding: kv.key, as: UTF8.self)
                        guard let order = Self.order(of: key), kinds.contains(order.kind),
                            let object = EtcdValueCodec.decode(kv)
                        else { return nil }
                        return (key, order, object)
                    }
                    continuation.resume(returning: decoded.compactMap { $0 })
                }
            }
        }
    }

    /// The key a stored object is reported in the order of (a malformed key by its path).
    private static func order(of key: String) -> ResourceKey? {
        switch EtcdKeyLayout.parse(key) {
        case .object(let stored)?: stored.key
        case .malformed(let kind, _)?: ResourceKey(kind: kind, name: key)
        case nil: nil
        }
    }

    // MARK: Changes

    /// What the watch's child tasks report to it.
    private enum Signal: Sendable {
        case response(EtcdWatchResponse)
        case lost(Interruption)
    }

    /// When the watch last heard from etcd.
    private final class Activity: Sendable {
        private let last = Mutex(ContinuousClock.now)
        func touch() { last.withLock { $0 = .now } }
        var quietFor: Duration { ContinuousClock.now - last.withLock { $0 } }
    }

    /// Reports every change from `revision` on; returns only by throwing what interrupted it.
    private func follow(from revision: Int64) async throws(Interruption) {
        let prefix = Array(EtcdKeyLayout.calicoPrefix.utf8)
        let request = EtcdWatchRequest(
            key: prefix, rangeEnd: EtcdRangeRequest.prefixEnd(of: prefix), startRevision: revision,
            progressNotify: true, prevKV: true)
        let kv = self.kv
        let (signals, signal) = AsyncStream<Signal>.makeStream()
        let activity = Activity()
        let interruption: Interruption? = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await response in kv.watch(request) {
                        activity.touch()
                        signal.yield(.response(response))
                    }
                    signal.yield(.lost(Interruption(reason: "the etcd watch stream ended")))
                } catch {
                    signal.yield(.lost(Interruption(reason: "lost the etcd watch: \(error)")))
                }
            }
            group.addTask {
                // A member that lost its leader keeps a watch open but silent: ask it something it can only
                // answer with a leader.
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.livenessInterval)
                    if Task.isCancelled { return }
                    if activity.quietFor < Self.livenessInterval { continue }
                    if let failure = await Self.checkLiveness(kv) {
                        signal.yield(.lost(failure))
                        return
                    }
                    activity.touch()
                }
            }
            defer { group.cancelAll() }
            for await message in signals {
                switch message {
                case .response(let response): handle(response)
                case .lost(let interruption): return interruption
                }
            }
            return nil
        }
        throw interruption ?? Interruption(reason: "cancelled")
    }

    /// A linearizable read (it needs the cluster's leader) with a deadline; nil when it was answered.
    private static func checkLiveness(_ kv: any EtcdKV) async -> Interruption? {
        let key = Array(EtcdKeyLayout.calicoPrefix.utf8)
        return await withTaskGroup(of: Interruption??.self) { group in
            group.addTask {
                do {
                    _ = try await kv.range(EtcdRangeRequest(key: key, countOnly: true))
                    return .some(nil)
                } catch {
                    return .some(Interruption(reason: "etcd liveness check failed: \(error)"))
                }
            }
            group.addTask {
                try? await Task.sleep(for: livenessTimeout)
                if Task.isCancelled { return nil }
                return .some(Interruption(reason: "etcd did not answer a liveness check within \(livenessTimeout)"))
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? nil
        }
    }

    private func handle(_ response: EtcdWatchResponse) {
        for event in response.events {
            let key = String(decoding: event.kv.key, as: UTF8.self)
            guard let order = Self.order(of: key), kinds.contains(order.kind) else { continue }
            switch event.type {
            case .put: apply(EtcdValueCodec.decode(event.kv), at: key)
            case .delete: apply(nil, at: key)
            }
        }
    }

    /// Reports the difference between what a key holds now (nil: nothing) and what was last sent for it.
    private func apply(_ object: EtcdObject?, at key: String) {
        let previous = seen[key]
        switch object {
        case nil:
            seen[key] = nil
            if previous?.problem != nil { continuation.yield(.problemCleared(path: key)) }
            if let resource = previous?.resource { continuation.yield(.deleted(resource)) }
        case .resource(let resource)?:
            seen[key] = Seen(resource: resource, problem: nil)
            if previous?.problem != nil { continuation.yield(.problemCleared(path: key)) }
            if let old = previous?.resource {
                if old != resource { continuation.yield(.modified(resource)) }
            } else {
                continuation.yield(.added(resource))
            }
        case .problem(let problem)?:
            seen[key] = Seen(resource: previous?.resource, problem: problem)
            if previous?.problem != problem { continuation.yield(.problem(problem)) }
        }
    }
}
