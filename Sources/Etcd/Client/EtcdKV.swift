/// What the etcd datastore needs of an etcd v3 server: ranges, transactions and watches (etcd's `KV` and
/// `Watch` services). `EtcdClient` speaks it to a real cluster; keys and values are bytes, as etcd's are.
public protocol EtcdKV: Sendable {
    /// etcd's `Range`: one key, or `[key, rangeEnd)`.
    func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse

    /// etcd's `Txn`: when every comparison holds, `success` runs, else `failure`, atomically at one revision.
    func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse

    /// etcd's `Watch` from `startRevision` (inclusive). The stream yields what the server sends, in order, and
    /// ends by throwing an `EtcdError` when the stream breaks (`.compacted` when `startRevision` is gone);
    /// cancelling the consumer (or dropping the stream) cancels the watch.
    func watch(_ request: EtcdWatchRequest) -> AsyncThrowingStream<EtcdWatchResponse, any Error>
}

/// One stored key as etcd reports it.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The revision of the key's creation (since its last delete).
    public var createRevision: Int64
    /// The revision of the key's last change: the datastore's `resourceVersion`.
    public var modRevision: Int64
    /// How many times the key changed since its creation (1 after a create).
    public var version: Int64

    public init(key: [UInt8], value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
    }
}

public struct EtcdRangeRequest: Sendable, Equatable {
    public var key: [UInt8]
    /// nil: only `key`; otherwise every key in `[key, rangeEnd)`. `EtcdRangeRequest.prefixEnd(of:)` gives the
    /// end of a prefix.
    public var rangeEnd: [UInt8]?
    /// Read at this revision (0: the newest); fails with `.compacted` when it is gone.
    public var revision: Int64
    /// At most this many keys (0: all), in key order; `more` says whether there were more.
    public var limit: Int64
    public var keysOnly: Bool
    public var countOnly: Bool

    public init(
        key: [UInt8], rangeEnd: [UInt8]? = nil, revision: Int64 = 0, limit: Int64 = 0, keysOnly: Bool = false,
        countOnly: Bool = false
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.revision = revision
        self.limit = limit
        self.keysOnly = keysOnly
        self.countOnly = countOnly
    }

    /// The first key after every key that starts with `prefix` (etcd's `GetPrefixRangeEnd`).
    public static func prefixEnd(of prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]  // every key
    }
}

public struct EtcdRangeResponse: Sendable, Equatable {
    /// The store's revision when the range was served.
    public var revision: Int64
    public var kvs: [EtcdKeyValue]
    public var more: Bool
    public var count: Int64

    public init(revision: Int64, kvs: [EtcdKeyValue], more: Bool = false, count: Int64) {
        self.revision = revision
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}

/// One comparison of a transaction (etcd's `Compare`); with `rangeEnd` it must hold for every key of the range.
public struct EtcdCompare: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case value([UInt8])
    }

    public enum Result: String, Sendable, Equatable {
        case equal = "EQUAL"
        case greater = "GREATER"
        case less = "LESS"
        case notEqual = "NOT_EQUAL"
    }

    public var key: [UInt8]
    public var rangeEnd: [UInt8]?
    public var target: Target
    public var result: Result

    public init(key: [UInt8], rangeEnd: [UInt8]? = nil, _ target: Target, _ result: Result) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.target = target
        self.result = result
    }
}

/// One operation of a transaction (etcd's `RequestOp`).
public enum EtcdOperation: Sendable, Equatable {
    case range(EtcdRangeRequest)
    case put(key: [UInt8], value: [UInt8], prevKV: Bool)
    case delete(key: [UInt8], rangeEnd: [UInt8]?, prevKV: Bool)
}

/// What one operation of a transaction returned.
public enum EtcdOperationResult: Sendable, Equatable {
    case range(EtcdRangeResponse)
    /// The key's previous value when `prevKV` was asked for and it existed.
    case put(previous: EtcdKeyValue?)
    /// How many keys were deleted, and their values when `prevKV` was asked for.
    case delete(deleted: Int64, previous: [EtcdKeyValue])
}

public struct EtcdTxnRequest: Sendable, Equatable {
    public var compare: [EtcdCompare]
    public var success: [EtcdOperation]
    public var failure: [EtcdOperation]

    public init(compare: [EtcdCompare], success: [EtcdOperation], failure: [EtcdOperation] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

public struct EtcdTxnResponse: Sendable, Equatable {
    /// The store's revision after the transaction (the new one when it wrote).
    public var revision: Int64
    /// Whether the comparisons held (`success` ran) or not (`failure` ran).
    public var succeeded: Bool
    /// One result per operation that ran.
    public var results: [EtcdOperationResult]

    public init(revision: Int64, succeeded: Bool, results: [EtcdOperationResult]) {
        self.revision = revision
        self.succeeded = succeeded
        self.results = results
    }
}

public struct EtcdWatchRequest: Sendable, Equatable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8]?
    /// The first revision to report (inclusive); 0: from now on.
    public var startRevision: Int64
    /// Ask the server for progress notifications (a revision with no events) while nothing changes.
    public var progressNotify: Bool
    /// Deleted keys come with their last value.
    public var prevKV: Bool

    public init(
        key: [UInt8], rangeEnd: [UInt8]? = nil, startRevision: Int64, progressNotify: Bool = true,
        prevKV: Bool = true
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.startRevision = startRevision
        self.progressNotify = progressNotify
        self.prevKV = prevKV
    }
}

/// One message of a watch stream.
public struct EtcdWatchResponse: Sendable, Equatable {
    public enum EventType: Sendable, Equatable {
        case put
        case delete
    }

    public struct Event: Sendable, Equatable {
        public var type: EventType
        /// For a delete: the key and the delete's revision (modRevision), no value.
        public var kv: EtcdKeyValue
        /// The value before this event, when the watch asked for it.
        public var previous: EtcdKeyValue?

        public init(type: EventType, kv: EtcdKeyValue, previous: EtcdKeyValue?) {
            self.type = type
            self.kv = kv
            self.previous = previous
        }
    }

    /// The store's revision this message is current to (a progress notification has no events).
    public var revision: Int64
    public var events: [Event]

    public init(revision: Int64, events: [Event]) {
        self.revision = revision
        self.events = events
    }
}

/// Why an etcd request failed, naming the endpoint (or every endpoint tried).
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No endpoint answered: each endpoint with what went wrong there (refused, timed out, DNS).
    case unreachable([EndpointFailure])
    /// The TLS handshake failed (a wrong CA, an expired or unreadable certificate).
    case tls(endpoint: String, reason: String)
    /// The server refused the credentials or the token (etcd's auth), or the client certificate.
    case unauthenticated(endpoint: String, reason: String)
    /// The revision asked for was compacted away; `compactRevision` is the oldest one left.
    case compacted(endpoint: String, compactRevision: Int64)
    /// The member has no leader (its cluster lost quorum): it cannot serve linearizable requests or watches.
    case noLeader(endpoint: String)
    /// Any other error the server reported (gRPC code and message).
    case server(endpoint: String, code: Int, message: String)
    /// The answer could not be understood.
    case malformedResponse(endpoint: String, reason: String)
    /// A setting cannot be used (an endpoint URL that does not parse, a key file that cannot be read).
    case configuration(String)

    public struct EndpointFailure: Sendable, Equatable, CustomStringConvertible {
        public var endpoint: String
        public var reason: String

        public init(endpoint: String, reason: String) {
            self.endpoint = endpoint
            self.reason = reason
        }

        public var description: String { "\(endpoint): \(reason)" }
    }

    public var description: String {
        switch self {
        case .unreachable(let failures):
            "etcd is unreachable (" + failures.map(\.description).joined(separator: "; ") + ")"
        case .tls(let endpoint, let reason):
            "etcd \(endpoint): TLS failed: \(reason)"
        case .unauthenticated(let endpoint, let reason):
            "etcd \(endpoint): authentication failed: \(reason)"
        case .compacted(let endpoint, let compactRevision):
            "etcd \(endpoint): the requested revision was compacted (oldest left: \(compactRevision))"
        case .noLeader(let endpoint):
            "etcd \(endpoint): the member has no leader"
        case .server(let endpoint, let code, let message):
            "etcd \(endpoint): \(message) (code \(code))"
        case .malformedResponse(let endpoint, let reason):
            "etcd \(endpoint): unexpected answer: \(reason)"
        case .configuration(let reason):
            "etcd settings: \(reason)"
        }
    }
}
