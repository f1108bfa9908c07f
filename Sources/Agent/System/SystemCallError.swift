import CLinuxSupport
import Glibc

/// A failed system call of the agent's runtime (sockets, files, sd_notify): the operation with its object and
/// the errno by name, e.g. `bind /run/tabby/tabbyd.sock: EADDRINUSE (Address already in use)`.
public struct SystemCallError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation and what it was applied to: "bind /run/tabby/tabbyd.sock".
    public var operation: String
    /// The errno value (positive); 0 when the failure was not a system call's (then `detail` says why).
    public var code: Int32
    /// More about the failure, when the errno alone does not say it.
    public var detail: String?

    public init(_ operation: String, code: Int32 = errno, detail: String? = nil) {
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    /// The errno's symbolic name ("EADDRINUSE").
    public var name: String {
        if let name = tabby_errno_name(code) { return String(cString: name) }
        return "errno \(code)"
    }

    public var description: String {
        var text = operation + ": "
        if code != 0 {
            text += "\(name) (\(String(cString: strerror(code))))"
            if let detail { text += ": " + detail }
        } else {
            text += detail ?? "failed"
        }
        return text
    }
}
