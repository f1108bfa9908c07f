import CalicoAPI
import SystemError

/// Why a datastore operation failed, named the way an operator or a retry loop can act on it.
public enum DatastoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(ResourceKey)
    case alreadyExists(ResourceKey)
    /// Someone else wrote the resource after the caller read it: `expected` is the resourceVersion the caller
    /// named, `actual` the stored one. Read it again and retry.
    case conflict(ResourceKey, expected: String, actual: String)
    /// The resource fails validation (or its key cannot name a stored object); nothing was written.
    case invalid(ResourceKey?, [ResourceError])
    /// A system call failed: the path, what was being done, and the errno by name (`EACCES`).
    case io(path: String, operation: String, errno: String)
    /// The stored object for the key cannot be read.
    case problem(DatastoreProblem)
    /// The datastore cannot be reached or refused the request (etcd unreachable, no leader, TLS or credentials
    /// refused): what went wrong, naming the endpoint. Nothing was written unless the reason says so; retry later.
    case unavailable(String)

    public var description: String {
        switch self {
        case .notFound(let key):
            "\(key) not found"
        case .alreadyExists(let key):
            "\(key) already exists"
        case .conflict(let key, let expected, let actual):
            "conflict: \(key) was changed since resourceVersion \(expected) (now \(actual)); read it again and retry"
        case .invalid(let key, let errors):
            (key.map { "\($0) is invalid" } ?? "invalid resource") + ":"
                + errors.map { "\n  \($0)" }.joined()
        case .io(let path, let operation, let errno):
            "\(operation) \(path): \(errno)"
        case .problem(let problem):
            problem.description
        case .unavailable(let reason):
            reason
        }
    }

    /// An I/O error for the current `errno`.
    static func io(_ operation: String, _ path: String, errno code: Int32) -> DatastoreError {
        .io(path: path, operation: operation, errno: Errno(code).name)
    }
}

/// A stored object that cannot be read: its file does not parse or validate, or its path does not match its
/// content (kind, namespace or name).
public struct DatastoreProblem: Sendable, Equatable, CustomStringConvertible {
    /// Where the object is stored (for the file datastore, the file's absolute path).
    public var path: String
    public var error: ResourceError

    public init(path: String, error: ResourceError) {
        self.path = path
        self.error = error
    }

    public var description: String {
        error.source == path ? error.description : "\(path): \(error)"
    }
}
