import CalicoAPI

/// What one stored file holds: a resource, or the reason it cannot be used.
enum StoredObject: Equatable {
    case resource(AnyResource)
    case problem(DatastoreProblem)
}

/// What the layout says a file holds: its kind, namespace and name, or for a long name's hashed file name, the
/// kind and namespace only (the name is inside, and must hash to the file name).
struct ExpectedObject: Sendable, Equatable {
    var kind: ResourceKind
    var namespace: String?
    /// Nil for a hashed file name.
    var name: String?
    var fileName: String

    init(_ key: ResourceKey) {
        kind = key.kind
        namespace = key.namespace
        name = key.name
        fileName = FileLayout.fileName(for: key.name)
    }

    /// What a file called `fileName` in the directory of `kind` (and `namespace`) holds; nil when it is no
    /// resource file.
    init?(fileName: String, kind: ResourceKind, namespace: String?) {
        guard let stored = FileLayout.storedName(fileName: fileName) else { return nil }
        self.kind = kind
        self.namespace = namespace
        self.fileName = fileName
        if case .plain(let name) = stored { self.name = name }
    }
}

/// Reads one resource file of the file datastore.
enum ObjectFile {
    /// The object stored at `path`, which the layout says holds `key`; nil when there is no such file.
    static func read(_ path: String, key: ResourceKey) throws(DatastoreError) -> StoredObject? {
        try read(path, expected: ExpectedObject(key))
    }

    static func read(_ path: String, expected: ExpectedObject) throws(DatastoreError) -> StoredObject? {
        guard let bytes = try FileSystem.read(path) else { return nil }
        return decode(bytes, path: path, expected: expected)
    }

    /// Like `read`, but an unreadable file (`EACCES`, `EISDIR`) is a problem of that file rather than an
    /// error of the whole operation, so that it does not hide the others.
    static func readReportingFailures(_ path: String, expected: ExpectedObject) -> StoredObject? {
        do {
            return try read(path, expected: expected)
        } catch {
            return .problem(
                DatastoreProblem(
                    path: path,
                    error: ResourceError(
                        source: path, kind: expected.kind.rawValue, namespace: expected.namespace,
                        name: expected.name,
                        reason: "cannot read the file: \(error)")))
        }
    }

    /// Decodes a file's bytes: exactly one valid resource whose kind, namespace and name match its path.
    /// A file without a resourceVersion (placed by hand) gets one derived from its content, so that
    /// compare-and-swap works against it and changes whenever the file does.
    static func decode(_ bytes: [UInt8], path: String, expected: ExpectedObject) -> StoredObject {
        func problem(_ reason: String, field: String? = nil) -> StoredObject {
            .problem(
                DatastoreProblem(
                    path: path,
                    error: ResourceError(
                        source: path, kind: expected.kind.rawValue, namespace: expected.namespace,
                        name: expected.name, field: field, reason: reason)))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return problem("the file is not UTF-8 text")
        }
        let decoded = ResourceCodec.decode(text, source: path)
        if let first = decoded.errors.first {
            var error = first
            if decoded.errors.count > 1 {
                let others = decoded.errors.dropFirst().map { other in
                    var other = other
                    other.source = nil
                    return other.description
                }
                error.reason += "; also: " + others.joined(separator: "; ")
            }
            return .problem(DatastoreProblem(path: path, error: error))
        }
        guard decoded.resources.count == 1, var resource = decoded.resources.first else {
            return problem("a stored file holds exactly one resource, this one holds \(decoded.resources.count)")
        }
        let found = resource.key
        if found.kind != expected.kind {
            return problem("the file is in the directory of \(expected.kind) but holds a \(found.kind)", field: "kind")
        }
        if found.namespace != expected.namespace {
            return problem(
                "the file is in the directory of namespace \"\(expected.namespace ?? "")\" but holds namespace "
                    + "\"\(found.namespace ?? "")\"",
                field: "metadata.namespace")
        }
        if let name = expected.name, found.name != name {
            return problem(
                "the file is named for \"\(name)\" but holds \"\(found.name)\"; rename the file or fix the name",
                field: "metadata.name")
        }
        if FileLayout.fileName(for: found.name) != expected.fileName {
            return problem(
                "the file holds \"\(found.name)\", whose file name is \(FileLayout.fileName(for: found.name)); rename "
                    + "the file or fix the name",
                field: "metadata.name")
        }
        if resource.metadata.resourceVersion?.isEmpty ?? true {
            resource.metadata.resourceVersion = contentVersion(bytes)
        }
        return .resource(resource)
    }

    /// A stable version for a file written without one: `h` and the FNV-1a 64-bit hash of its bytes, the
    /// same in every process (unlike Swift's seeded `Hasher`).
    static func contentVersion(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "h" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
