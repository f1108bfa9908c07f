import Netlink
import SystemError

/// What one `DataplaneReconciler.apply` did: the kernel writes that succeeded, the failures with the object
/// each concerns, and how long it took.
public struct ApplyReport: Sendable, CustomStringConvertible {
    /// The writes the kernel accepted, in the order they were made.
    public var writes: [DataplaneWrite] = []
    /// What could not be programmed; everything else was still applied.
    public var failures: [DataplaneFailure] = []
    /// Wall time of the whole apply, dumps included.
    public var duration: Duration = .zero
    /// Whether the kernel was dumped first (the first apply, after `requestResync`, or after lost notifications).
    public var dumpedKernel = false
    /// Routes of workload interfaces that are no longer desired but kept for the grace period: apply again
    /// at or after this instant to remove them. nil when none is pending.
    public var graceExpiry: ContinuousClock.Instant?

    public init() {}

    /// The number of kernel writes made.
    public var writeCount: Int { writes.count }

    public var description: String {
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        var text = "\(writes.count) writes, \(failures.count) failures in \(microseconds) µs"
        if dumpedKernel { text += " (after a kernel dump)" }
        for failure in failures { text += "\n  \(failure)" }
        return text
    }
}

/// One kernel write the reconciler made.
public struct DataplaneWrite: Sendable, Hashable, CustomStringConvertible {
    public enum Action: String, Sendable, Hashable {
        case create, replace, change, add, delete, write
    }

    public var action: Action
    public var object: DataplaneObject
    /// What was written, in `ip` words: "mtu 1410 up", "via 198.51.100.64 dev vxlan.calico onlink", "1".
    public var detail: String

    public init(action: Action, object: DataplaneObject, detail: String = "") {
        self.action = action
        self.object = object
        self.detail = detail
    }

    public var description: String { "\(action.rawValue) \(object)" + (detail.isEmpty ? "" : ": \(detail)") }
}

/// Something the reconciler could not program, with the object it concerns and the kernel's reason.
public struct DataplaneFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var object: DataplaneObject
    /// The errno (`ENETUNREACH`) when the kernel refused a request; nil for problems found before asking the
    /// kernel (a missing interface).
    public var errno: Errno?
    /// The full reason: the operation with its key, the errno and the kernel's extended-ack text.
    public var reason: String

    public init(object: DataplaneObject, errno: Errno? = nil, reason: String) {
        self.object = object
        self.errno = errno
        self.reason = reason
    }

    init(object: DataplaneObject, _ error: NetlinkError) {
        self.init(object: object, errno: error.errno, reason: error.description)
    }

    init(object: DataplaneObject, _ error: SysctlError) {
        self.init(object: object, errno: error.errno, reason: error.description)
    }

    public var description: String { "\(object): \(reason)" }
}
