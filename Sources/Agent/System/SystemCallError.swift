import Glibc
import SystemError

/// A failed system call of the agent's runtime (sockets, files, sd_notify): the operation with its object and
/// the errno by name, e.g. `bind /run/tabby/tabbyd.sock: EADDRINUSE (Address already in use)`.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation and what it was applied to: "bind /run/tabby/tabbyd.sock".
    public var operation: String
    /// The errno; nil when the failure was not a system call's (then `detail` says why).
    public var errno: Errno?
    /// More about the failure, when the errno alone does not say it.
    public var detail: String?

    /// A failure with the calling thread's errno by default.
    public init(_ operation: String, errno: Errno? = .current, detail: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    /// A failure with an errno value; 0 for one that was not a system call's.
    public init(_ operation: String, code: Int32, detail: String? = nil) {
        self.init(operation, errno: code == 0 ? nil : Errno(code), detail: detail)
    }

    /// The errno value (positive), 0 when there is none.
    public var code: Int32 { errno?.rawValue ?? 0 }

    /// The errno's symbolic name ("EADDRINUSE"); empty when there is none.
    public var name: String { errno?.name ?? "" }

    public var description: String {
        var text = operation + ": "
        if let errno {
            text += errno.explained
            if let detail { text += ": " + detail }
        } else {
            text += detail ?? "failed"
        }
        return text
    }
}
