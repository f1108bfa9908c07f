import CalicoAPI

/// What one stored file holds: a resource, or the reason it cannot be used.
enum StoredObject: Equatable {
    case resource(AnyResource)
    case problem(DatastoreProblem)
}

/// Reads one resource file of the file datastore.
enum ObjectFile {
    /// The object stored at `path`, which the layout says holds `key`; nil when there is no such file.
    static func read(_ path: String, key: ResourceKey) throws(DatastoreError) -> StoredObject? {
        guard let bytes = try FileSystem.read(path) else { return nil }
        return decode(bytes, path: path, key: key)
    }

    /// Like `read`, but an unreadable file (`EACCES`, `EISDIR`) is a problem of that file rather than an
    /// error of the whole operation, so that it does not hide the others.
    static func readReportingFailures(_ path: String, key: ResourceKey) -> StoredObject? {
        do {
            return try read(path, key: key)
        } catch {
            return .problem(
                DatastoreProblem(
                    path: path,
                    error: ResourceError(
                        source: path, kind: key.kind.rawValue, namespace: key.namespace, name: key.name,
                        reason: "cannot read the file: \(error)")))
        }
    }

    /// Decodes a file's bytes: exactly one valid resource whose kind, namespace and name match its path.
    /// A file without a resourceVersion (placed by hand) gets one derived from its content, so that
    /// compare-and-swap works against it and changes whenever the file does.
    static func decode(_ bytes: [UInt8], path: String, key: ResourceKey) -> StoredObject {
        func problem(_ reason: String, field: String? = nil) -> StoredObject {
            .problem(
                DatastoreProblem(
                    path: path,
                    error: ResourceError(
                        source: path, kind: key.kind.rawValue, namespace: key.namespace, name: key.name, field: field,
                        reason: reason)))
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
        if resource.key != key {
            let found = resource.key
            if found.kind != key.kind {
                return problem("the file is in the directory of \(key.kind) but holds a \(found.kind)", field: "kind")
            }
            if found.namespace != key.namespace {
                return problem(
                    "the file is in the directory of namespace \"\(key.namespace ?? "")\" but holds namespace "
                        + "\"\(found.namespace ?? "")\"",
                    field: "metadata.namespace")
            }
            return problem(
                "the file is named for \"\(key.name)\" but holds \"\(found.name)\"; rename the file or fix the name",
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
