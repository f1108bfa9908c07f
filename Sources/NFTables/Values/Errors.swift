import CLinuxSupport

/// An errno value that prints as its symbolic name ("ENOENT").
public struct Errno: Hashable, Sendable, CustomStringConvertible {
    public let code: Int32

    public init(_ code: Int32) { self.code = code }

    /// "ENOENT", or "errno 4242" for a value glibc does not name.
    public var name: String {
        guard let name = tabby_errno_name(code) else { return "errno \(code)" }
        return String(cString: name)
    }

    public var description: String { name }
}

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

/// One operation the kernel refused, with everything it said about why.
public struct OperationFailure: Hashable, Sendable, CustomStringConvertible {
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

    public var description: String {
        var text = "\(verb) \(object): \(errno)"
        if let message, !message.isEmpty { text += " (\(message))" }
        if let detail { text += " at \(detail)" }
        return text
    }
}

/// Errors of the nf_tables module. Each names the call or object and the errno by name.
public enum NFTablesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kernel refused at least one operation; the transaction was aborted and nothing changed.
    /// The first failure is the cause; later ones are often its consequences.
    case rejected([OperationFailure])
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
            "nf_tables commit failed: \(errno)" + (message.map { " (\($0))" } ?? "")
        case .acknowledgementsLost(let detail): "nf_tables replies lost, outcome unknown: \(detail)"
        case .system(let call, let errno): "\(call): \(errno)"
        case .listFailed(let what, let errno, let message):
            "listing \(what): \(errno)" + (message.map { " (\($0))" } ?? "")
        case .invalid(let detail): "invalid nf_tables request: \(detail)"
        case .malformedReply(let detail): "malformed nf_tables reply: \(detail)"
        }
    }

    /// The failure that caused a rejected transaction.
    public var firstFailure: OperationFailure? {
        if case .rejected(let failures) = self { return failures.first }
        return nil
    }
}
