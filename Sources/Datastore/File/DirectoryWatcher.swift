import CalicoAPI
import Foundation
import Glibc

/// Follows a file datastore's directory with inotify and turns what changes into `WatchEvent`s.
///
/// Runs on a thread of its own (blocked in `poll`, never on the cooperative pool) that ends, closing its file
/// descriptors, when the stream is terminated. It remembers the last content it reported for every file, so
/// that events can be compared against it: a file rewritten with the same content reports nothing, a deleted
/// file reports its last content, and after an inotify queue overflow a rescan reports just the differences.
final class DirectoryWatcher {
    typealias Continuation = AsyncThrowingStream<WatchEvent, any Error>.Continuation

    /// What a watched directory is in the layout.
    enum Role: Equatable {
        case root
        case ipam
        case kind(ResourceKind)
        case namespace(ResourceKind, String)
    }

    struct WatchedDirectory {
        var path: String
        var role: Role
    }

    /// What was last reported for one file.
    struct Seen {
        /// The last good content; it stays in effect while the file is broken.
        var resource: AnyResource?
        /// The file's current problem, if it is broken.
        var problem: DatastoreProblem?
    }

    private let layout: FileLayout
    private let kinds: [ResourceKind]
    private let continuation: Continuation
    private let inotify: Inotify
    private var directories: [Int32: WatchedDirectory] = [:]
    private var seen: [String: Seen] = [:]

    /// Starts a watcher thread and returns its events.
    static func stream(layout: FileLayout, kinds: Set<ResourceKind>) -> AsyncThrowingStream<WatchEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
        let wakeup: Wakeup
        do {
            wakeup = try Wakeup()
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        continuation.onTermination = { _ in wakeup.signal() }
        let sortedKinds = kinds.sorted()
        let thread = Thread {
            do {
                let watcher = try DirectoryWatcher(layout: layout, kinds: sortedKinds, continuation: continuation)
                try watcher.run(until: wakeup)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "tabby-datastore-watch"
        thread.start()
        return stream
    }

    init(layout: FileLayout, kinds: [ResourceKind], continuation: Continuation) throws(DatastoreError) {
        self.layout = layout
        self.kinds = kinds
        self.continuation = continuation
        inotify = try Inotify()
    }

    /// Starts watching and reports what is there, then `.synced`.
    func snapshot() throws(DatastoreError) {
        try scanAll()
        continuation.yield(.synced)
    }

    /// Snapshot, `.synced`, then events until `wakeup` is signalled.
    private func run(until wakeup: Wakeup) throws(DatastoreError) {
        try snapshot()
        var descriptors = [
            pollfd(fd: inotify.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeup.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .io("poll", "inotify", errno: errno)
            }
            if descriptors[1].revents != 0 { return }
            if descriptors[0].revents != 0 {
                for event in try inotify.readEvents() { try handle(event) }
            }
        }
    }

    // MARK: Scanning

    /// Watches and reads every directory of the watched kinds, reporting what differs from what was seen,
    /// including files that are gone. The first scan is the snapshot.
    private func scanAll() throws(DatastoreError) {
        var visited: Set<String> = []
        try watch(layout.root, role: .root)
        if kinds.contains(where: \.isIPAM) { try watch(layout.ipamDirectoryPath, role: .ipam) }
        for kind in kinds {
            try scanKind(kind, visited: &visited)
        }
        forgetAll(except: visited, under: layout.root)
    }

    private func scanKind(_ kind: ResourceKind, visited: inout Set<String>) throws(DatastoreError) {
        let directory = layout.directory(of: kind)
        guard try watch(directory, role: .kind(kind)) else { return }
        var files: [PendingFile] = []
        for entry in try sortedEntries(of: directory) {
            if entry.name.hasPrefix(".") { continue }
            if entry.isDirectory {
                // Like list: every directory of a namespaced kind is a namespace (a misnamed one's files are
                // reported as problems).
                if kind.isNamespaced { try scanNamespace(kind, entry.name, visited: &visited) }
            } else if kind.isNamespaced {
                visited.insert(directory + "/" + entry.name)
                refresh(directory: directory, role: .kind(kind), fileName: entry.name)
            } else if let expected = ExpectedObject(fileName: entry.name, kind: kind, namespace: nil) {
                let path = directory + "/" + entry.name
                visited.insert(path)
                files.append(PendingFile(path: path, expected: expected))
            }
        }
        applyAll(files)
    }

    private func scanNamespace(_ kind: ResourceKind, _ namespace: String, visited: inout Set<String>)
        throws(DatastoreError)
    {
        let directory = layout.directory(of: kind) + "/" + namespace
        guard try watch(directory, role: .namespace(kind, namespace)) else { return }
        var files: [PendingFile] = []
        for entry in try sortedEntries(of: directory) where !entry.isDirectory {
            let path = directory + "/" + entry.name
            visited.insert(path)
            guard let expected = ExpectedObject(fileName: entry.name, kind: kind, namespace: namespace) else {
                continue
            }
            files.append(PendingFile(path: path, expected: expected))
        }
        applyAll(files)
    }

    /// A file a scan found, to be read.
    private struct PendingFile: Sendable {
        var path: String
        var expected: ExpectedObject
    }

    /// Reads and decodes a directory's files on every core (a snapshot of 10,000 files is most of a cold
    /// start), then reports them in the order of the names they hold (`a` before `a-b`, a long name's hashed
    /// file by its real name), so that the snapshot comes in the order `list` sorts by.
    private func applyAll(_ files: [PendingFile]) {
        let objects = ParallelMap.map(files) { ObjectFile.readReportingFailures($0.path, expected: $0.expected) }
        func order(_ file: PendingFile, _ object: StoredObject?) -> String {
            if case .resource(let resource)? = object { return resource.key.name }
            return file.expected.name ?? file.expected.fileName
        }
        let read = zip(files, objects).map { (order($0, $1), $0.path, $1) }.sorted { $0.0 < $1.0 }
        for (_, path, object) in read { apply(object, at: path) }
    }

    /// A directory's entries in the order of their names.
    private func sortedEntries(of directory: String) throws(DatastoreError) -> [FileSystem.Entry] {
        (try FileSystem.entries(of: directory) ?? []).sorted { $0.name < $1.name }
    }

    /// Adds (or renews) the watch on a directory; false when it does not exist.
    @discardableResult
    private func watch(_ path: String, role: Role) throws(DatastoreError) -> Bool {
        guard let watch = try inotify.addWatch(path) else { return false }
        directories[watch] = WatchedDirectory(path: path, role: role)
        return true
    }

    /// Reports the removal of every file seen under `prefix` that is not in `kept`.
    private func forgetAll(except kept: Set<String>, under prefix: String) {
        let gone = seen.keys.filter { $0.hasPrefix(prefix + "/") && !kept.contains($0) }.sorted()
        for path in gone { apply(nil, at: path) }
    }

    // MARK: Events

    func handle(_ event: Inotify.Event) throws(DatastoreError) {
        if event.has(IN_Q_OVERFLOW) {
            // Events were lost: read everything again and report the differences.
            try scanAll()
            return
        }
        guard let directory = directories[event.watch] else { return }
        if event.has(IN_IGNORED) {
            directories[event.watch] = nil
            return
        }
        if event.name.isEmpty || event.name.hasPrefix(".") { return }
        let path = directory.path + "/" + event.name
        if event.has(IN_ISDIR) {
            guard let role = childRole(of: directory.role, named: event.name) else { return }
            if event.has(IN_CREATE) || event.has(IN_MOVED_TO) {
                try scanDirectory(path, role: role)
            } else if event.has(IN_DELETE) || event.has(IN_MOVED_FROM) {
                // A directory moved away keeps its watches (they follow the inode): drop them.
                for (watch, watched) in directories where watched.path == path || watched.path.hasPrefix(path + "/") {
                    inotify.removeWatch(watch)
                    directories[watch] = nil
                }
                forgetAll(except: [], under: path)
            }
            return
        }
        switch directory.role {
        case .kind, .namespace:
            if event.has(IN_CLOSE_WRITE) || event.has(IN_MOVED_TO) || event.has(IN_DELETE)
                || event.has(IN_MOVED_FROM)
            {
                refresh(directory: directory.path, role: directory.role, fileName: event.name)
            }
        case .root, .ipam:
            return
        }
    }

    /// The role of a subdirectory, when it is one the watch follows.
    private func childRole(of parent: Role, named name: String) -> Role? {
        switch parent {
        case .root:
            if name == FileLayout.ipamDirectory { return kinds.contains(where: \.isIPAM) ? .ipam : nil }
            return kinds.first { !$0.isIPAM && $0.plural == name }.map { .kind($0) }
        case .ipam:
            return kinds.first { $0.isIPAM && $0.plural == name }.map { .kind($0) }
        case .kind(let kind):
            return kind.isNamespaced ? .namespace(kind, name) : nil
        case .namespace:
            return nil
        }
    }

    /// A directory appeared: watch it and everything under it, and report what it holds.
    private func scanDirectory(_ path: String, role: Role) throws(DatastoreError) {
        var visited: Set<String> = []
        switch role {
        case .root:
            return
        case .ipam:
            try watch(path, role: .ipam)
            for kind in kinds where kind.isIPAM { try scanKind(kind, visited: &visited) }
        case .kind(let kind):
            try scanKind(kind, visited: &visited)
        case .namespace(let kind, let namespace):
            try scanNamespace(kind, namespace, visited: &visited)
        }
        forgetAll(except: visited, under: path)
    }

    /// Reads one file again and reports how it changed.
    private func refresh(directory: String, role: Role, fileName: String) {
        guard FileLayout.storedName(fileName: fileName) != nil else { return }
        let path = directory + "/" + fileName
        switch role {
        case .kind(let kind) where kind.isNamespaced:
            let exists = access(path, F_OK) == 0
            apply(exists ? .problem(FileDatastore.misplaced(path, kind: kind)) : nil, at: path)
        case .kind(let kind):
            guard let expected = ExpectedObject(fileName: fileName, kind: kind, namespace: nil) else { return }
            apply(ObjectFile.readReportingFailures(path, expected: expected), at: path)
        case .namespace(let kind, let namespace):
            guard let expected = ExpectedObject(fileName: fileName, kind: kind, namespace: namespace) else { return }
            apply(ObjectFile.readReportingFailures(path, expected: expected), at: path)
        case .root, .ipam:
            return
        }
    }

    /// Reports the difference between what a file holds now (nil: nothing) and what was last seen there.
    private func apply(_ object: StoredObject?, at path: String) {
        let previous = seen[path]
        switch object {
        case nil:
            seen[path] = nil
            if previous?.problem != nil { continuation.yield(.problemCleared(path: path)) }
            if let resource = previous?.resource { continuation.yield(.deleted(resource)) }
        case .resource(let resource)?:
            seen[path] = Seen(resource: resource, problem: nil)
            if previous?.problem != nil { continuation.yield(.problemCleared(path: path)) }
            if let old = previous?.resource {
                if old != resource { continuation.yield(.modified(resource)) }
            } else {
                continuation.yield(.added(resource))
            }
        case .problem(let problem)?:
            seen[path] = Seen(resource: previous?.resource, problem: problem)
            if previous?.problem != problem { continuation.yield(.problem(problem)) }
        }
    }
}
