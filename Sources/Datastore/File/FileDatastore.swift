import CalicoAPI
import Foundation
import Glibc

/// The embedded datastore: a directory with one YAML file per resource (see `FileLayout` and
/// Docs/datastore.md).
///
/// Several processes may share one directory. Writers take an exclusive `flock` on `.tabby/lock` for the
/// read-check-write of one resource and replace files by renaming a synced temporary file over them, so a
/// crash leaves the old or the new content. Readers take no lock.
public final class FileDatastore: Datastore {
    /// The datastore's directory, absolute.
    public let directory: String
    let layout: FileLayout
    private let lock: WriteLock

    /// Opens the datastore in `directory`, creating the directory and its layout when missing, and (with
    /// `removingLeftovers`) removes temporary files that killed writers left behind. A user who may only read the
    /// directory can open it to get, list and watch; their writes fail with `.io(..., errno: "EACCES")`.
    ///
    /// The removal lists every directory under the write lock: a short-lived client that runs once per workload
    /// (the CNI plugin) passes false, so that its runs do not queue behind one another; tabbyd and tabbyctl clean.
    /// A leftover temporary file is never read as a resource, so leaving it a while longer is harmless.
    public init(directory: String, removingLeftovers: Bool = true) throws(DatastoreError) {
        let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        layout = FileLayout(root: absolute)
        self.directory = layout.root
        try Self.makeDirectories(layout.root)
        try FileSystem.makeDirectory(layout.stateDirectoryPath)
        try FileSystem.makeDirectory(layout.ipamDirectoryPath)
        for kind in ResourceKind.allCases { try FileSystem.makeDirectory(layout.directory(of: kind)) }
        lock = try WriteLock(lockPath: layout.lockPath, revisionPath: layout.revisionPath)
        if removingLeftovers && lock.isWritable {
            try lock.withLock { _ throws(DatastoreError) in try removeTemporaryFiles() }
        }
    }

    // MARK: Reading (no lock: renames make every file whole)

    public func get(_ key: ResourceKey) async throws(DatastoreError) -> AnyResource {
        try WriteRules.checkKey(key)
        switch try ObjectFile.read(layout.path(of: key), key: key) {
        case nil: throw .notFound(key)
        case .problem(let problem): throw .problem(problem)
        case .resource(let resource): return resource
        }
    }

    public func list(_ kind: ResourceKind, namespace: String?) async throws(DatastoreError) -> DatastoreListing {
        var listing = DatastoreListing()
        let kindDirectory = layout.directory(of: kind)
        func collect(_ objects: [StoredObject]) {
            for object in objects {
                switch object {
                case .resource(let resource): listing.resources.append(resource)
                case .problem(let problem): listing.problems.append(problem)
                }
            }
        }
        if !kind.isNamespaced {
            collect(try Self.objects(in: kindDirectory, kind: kind, namespace: nil))
        } else if let namespace {
            try WriteRules.checkNamespace(namespace, kind: kind)
            collect(try Self.objects(in: kindDirectory + "/" + namespace, kind: kind, namespace: namespace))
        } else {
            for entry in try FileSystem.entries(of: kindDirectory) ?? [] where !entry.name.hasPrefix(".") {
                let path = kindDirectory + "/" + entry.name
                if entry.isDirectory {
                    collect(try Self.objects(in: path, kind: kind, namespace: entry.name))
                } else if FileLayout.storedName(fileName: entry.name) != nil {
                    listing.problems.append(Self.misplaced(path, kind: kind))
                }
            }
        }
        listing.resources.sort { $0.key < $1.key }
        listing.problems.sort { $0.path < $1.path }
        return listing
    }

    /// Every resource file directly in `directory`, read.
    static func objects(in directory: String, kind: ResourceKind, namespace: String?) throws(DatastoreError)
        -> [StoredObject]
    {
        var files: [(path: String, expected: ExpectedObject)] = []
        for entry in try FileSystem.entries(of: directory) ?? [] where !entry.isDirectory {
            guard let expected = ExpectedObject(fileName: entry.name, kind: kind, namespace: namespace) else {
                continue
            }
            files.append((directory + "/" + entry.name, expected))
        }
        // Read on every core; a file removed between readdir and open is simply no longer there.
        return ParallelMap.map(files) { ObjectFile.readReportingFailures($0.path, expected: $0.expected) }
            .compactMap { $0 }
    }

    /// The problem of a file of a namespaced kind that is not in a namespace's directory.
    static func misplaced(_ path: String, kind: ResourceKind) -> DatastoreProblem {
        DatastoreProblem(
            path: path,
            error: ResourceError(
                source: path, kind: kind.rawValue,
                reason: "a \(kind) belongs in \(kind.plural)/<namespace>/<name>.yaml; move the file into its "
                    + "namespace's directory"))
    }

    // MARK: Writing (under the lock)

    public func create(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        var resource = try WriteRules.validated(resource)
        let key = resource.key
        try WriteRules.checkKey(key)
        let path = layout.path(of: key)
        resource = try lock.withLock { counter throws(DatastoreError) -> AnyResource in
            if try ObjectFile.read(path, key: key) != nil { throw .alreadyExists(key) }
            try PoolWriteRules.check(resource, replacing: nil, storedResources: storedResources)
            let revision = try counter.advance(replacing: nil)
            WriteRules.stamp(&resource, revision: revision, replacing: nil)
            try store(resource, key: key)
            return resource
        }
        try FileSystem.syncDirectory(layout.directory(of: key))
        return resource
    }

    public func update(_ resource: AnyResource) async throws(DatastoreError) -> AnyResource {
        var resource = try WriteRules.validated(resource)
        let key = resource.key
        try WriteRules.checkKey(key)
        let path = layout.path(of: key)
        let expected = resource.metadata.resourceVersion
        resource = try lock.withLock { counter throws(DatastoreError) -> AnyResource in
            var previous: AnyResource?
            switch try ObjectFile.read(path, key: key) {
            case nil:
                throw .notFound(key)
            case .problem(let problem):
                // Nobody can hold a version of a broken file; only an unconditional update replaces it.
                if expected != nil { throw .problem(problem) }
            case .resource(let stored):
                try WriteRules.check(expected: expected, stored: stored)
                previous = stored
            }
            try PoolWriteRules.check(resource, replacing: previous, storedResources: storedResources)
            let revision = try counter.advance(replacing: previous)
            WriteRules.stamp(&resource, revision: revision, replacing: previous)
            try store(resource, key: key)
            return resource
        }
        try FileSystem.syncDirectory(layout.directory(of: key))
        return resource
    }

    public func delete(_ key: ResourceKey, resourceVersion: String?) async throws(DatastoreError) -> AnyResource {
        try WriteRules.checkKey(key)
        let path = layout.path(of: key)
        let deleted = try lock.withLock { _ throws(DatastoreError) -> AnyResource in
            switch try ObjectFile.read(path, key: key) {
            case nil:
                throw .notFound(key)
            case .problem(let problem):
                throw .problem(problem)
            case .resource(let stored):
                try WriteRules.check(expected: resourceVersion, stored: stored)
                guard try FileSystem.remove(path) else { throw .notFound(key) }
                return stored
            }
        }
        try FileSystem.syncDirectory(layout.directory(of: key))
        return deleted
    }

    /// The readable stored resources of a cluster-wide kind, for `PoolWriteRules` (the caller holds the lock).
    private func storedResources(_ kind: ResourceKind) throws(DatastoreError) -> [AnyResource] {
        try Self.objects(in: layout.directory(of: kind), kind: kind, namespace: nil).compactMap { object in
            if case .resource(let resource) = object { return resource }
            return nil
        }
    }

    /// Writes a resource's file; the caller holds the lock and syncs the directory after releasing it (the
    /// file's content is synced before the rename, so the rename is all that is left to make durable).
    private func store(_ resource: AnyResource, key: ResourceKey) throws(DatastoreError) {
        let bytes = Array(ResourceCodec.yaml(resource).utf8)
        let path = layout.path(of: key)
        let temporary = layout.temporaryPath(of: key)
        do {
            try FileSystem.replace(path, with: bytes, temporary: temporary)
        } catch .io(_, "open", "ENOENT") {
            // The first resource of a namespace (or a kind directory removed by hand): make the directory.
            let directory = layout.directory(of: key)
            try Self.makeDirectories(directory)
            try FileSystem.syncDirectory(String(directory[..<directory.lastIndex(of: "/")!]))
            try FileSystem.replace(path, with: bytes, temporary: temporary)
        }
    }

    /// `mkdir -p`.
    private static func makeDirectories(_ path: String) throws(DatastoreError) {
        if FileSystem.isDirectory(path) { return }
        if let slash = path.lastIndex(of: "/"), slash > path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        try FileSystem.makeDirectory(path)
    }

    /// Removes the temporary files of writers that were killed mid-write. Only called holding the lock: no
    /// live writer has a temporary file then.
    private func removeTemporaryFiles() throws(DatastoreError) {
        for kind in ResourceKind.allCases {
            let kindDirectory = layout.directory(of: kind)
            var directories = [kindDirectory]
            if kind.isNamespaced {
                for entry in try FileSystem.entries(of: kindDirectory) ?? [] where entry.isDirectory {
                    directories.append(kindDirectory + "/" + entry.name)
                }
            }
            for directory in directories {
                for entry in try FileSystem.entries(of: directory) ?? []
                where !entry.isDirectory && FileLayout.isTemporary(fileName: entry.name) {
                    _ = try FileSystem.remove(directory + "/" + entry.name)
                }
            }
        }
    }

    // MARK: Watching

    public func watch(_ kinds: Set<ResourceKind>?) -> AsyncThrowingStream<WatchEvent, any Error> {
        DirectoryWatcher.stream(layout: layout, kinds: kinds ?? Set(ResourceKind.allCases))
    }
}
