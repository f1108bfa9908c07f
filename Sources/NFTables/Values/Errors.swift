import SystemError

/// The object an operation or a failure refers to.
public enum ObjectReference: Hashable, Sendable, CustomStringConvertible {
    case table(Table)
    case chain(Table, String)
    case set(Table, String)
    /// Elements of a set; `element` describes the one the kernel pointed at, when known.
    case elements(Table, set: String, element: String?)
    case rule(Table, chain: String, handle: UInt64?, comment: String?)
    /// The transaction as a whole (its commit).
    case transaction

    public var description: String {
        switch self {
        case .table(let table): "table \(table)"
        case .chain(let table, let name): "chain \(table) \(name)"
        case .set(let table, let name): "set \(table) \(name)"
        case .elements(let table, let set, let element):
            element.map { "element \($0) of set \(table) \(set)" } ?? "elements of set \(table) \(set)"
        case .rule(let table, let chain, let handle, let comment):
            Rule(table: table, chain: chain, comment: comment, expressions: []).with(handle: handle).description
        case .transaction: "transaction"
        }
    }
}

extension Rule {
    fileprivate func with(handle: UInt64?) -> Rule {
        var copy = self
        copy.handle = handle
        return copy
    }
}

/// One operation of a transaction that the kernel refused, with everything it said about why.
public struct RejectedOperation: Hashable, Sendable, CustomStringConvertible {
    /// Index of the operation in `Transaction.operations`.
    public let index: Int
    /// "add", "delete" or "flush".
    public let verb: String
    public let object: ObjectReference
    public let errno: Errno
    /// The kernel's extended-ack message, if it sent one.
    public let message: String?
    /// The extended-ack offset of the offending attribute in the request message, if sent.
    public let attributeOffset: UInt32?
    /// What that offset points at, when the module could tell ("expression 5 (immediate)").
    public let detail: String?

    public init(
        index: Int, verb: String, object: ObjectReference, errno: Errno, message: String? = nil,
        attributeOffset: UInt32? = nil, detail: String? = nil
    ) {
        self.index = index
        self.verb = verb
        self.object = object
        self.errno = errno
        self.message = message
        self.attributeOffset = attributeOffset
        self.detail = detail
    }

    /// "add rule in chain ip tabby fw-cali1 (comment "x"): ENOENT (No such file or directory) at expression 5
    /// (lookup @s)": the operation, the errno, the kernel's extended ack (the C library's text when it sent
    /// none) and what the ack's offset points at.
    public var description: String {
        var text = "\(verb) \(object): \(errno.name) (\(message.flatMap { $0.isEmpty ? nil : $0 } ?? errno.message))"
        if let detail { text += " at \(detail)" }
        return text
    }
}

/// Errors of the nf_tables module. Each names the call or object and the errno by name.
public enum NFTablesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel refused at least one operation; the transaction was aborted and nothing changed.
    /// The first failure is the cause; later ones are often its consequences.
    case rejected([RejectedOperation])
    /// The kernel accepted every operation but the commit failed; nothing changed.
    case commitFailed(Errno, message: String?)
    /// Replies were lost (ENOBUFS) or never came: the transaction's outcome is unknown; list to resync.
    case acknowledgementsLost(String)
    /// A system call failed ("socket", "sendmsg", "setns /run/netns/x", ...).
    case system(String, Errno)
    /// A listing request failed.
    case listFailed(String, Errno, message: String?)
    /// The module refused a value before sending anything.
    case invalid(String)
    /// The kernel sent something the module cannot read.
    case malformedReply(String)

    public var description: String {
        switch self {
        case .rejected(let failures):
            "nf_tables transaction rejected: " + failures.map(\.description).joined(separator: "; ")
        case .commitFailed(let errno, let message):
            "nf_tables commit failed: \(errno.name) (\(message ?? errno.message))"
        case .acknowledgementsLost(let detail): "nf_tables replies lost, outcome unknown: \(detail)"
        case .system(let call, let errno): "\(call): \(errno.explained)"
        case .listFailed(let what, let errno, let message):
            "listing \(what): \(errno.name) (\(message ?? errno.message))"
        case .invalid(let detail): "invalid nf_tables request: \(detail)"
        case .malformedReply(let detail): "malformed nf_tables reply: \(detail)"
        }
    }

    /// The errno of the failure: the first refused operation's for a rejected transaction; nil for the
    /// failures that have none (lost replies, invalid requests, malformed replies).
    public var errno: Errno? {
        switch self {
        case .rejected(let failures): failures.first?.errno
        case .commitFailed(let errno, _), .system(_, let errno), .listFailed(_, let errno, _): errno
        case .acknowledgementsLost, .invalid, .malformedReply: nil
        }
    }

    /// The failure that caused a rejected transaction.
    public var firstFailure: RejectedOperation? {
        if case .rejected(let failures) = self { return failures.first }
        return nil
    }
}
