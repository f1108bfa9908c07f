import CLinuxSupport
import Glibc

/// An errno value, the one error vocabulary of Tabby's system calls and kernel replies (netlink, nf_tables,
/// sysctls, files, sockets). It prints as its symbolic name, `EEXIST` rather than 17 (DESIGN.md rule 8);
/// `message` is the C library's text for it.
public struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The errno value (positive).
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno` now: read it right after the failed call, before anything else runs.
    public static var current: Errno { Errno(Glibc.errno) }

    /// "EEXIST", or "errno 4242" for a value the C library has no name for.
    public var name: String {
        guard let name = tabby_errno_name(rawValue) else { return "errno \(rawValue)" }
        return String(cString: name)
    }

    /// The C library's text: "File exists".
    public var message: String { String(cString: strerror(rawValue)) }

    /// The name: "EEXIST".
    public var description: String { name }

    /// The name and the text: "EEXIST (File exists)".
    public var explained: String { "\(name) (\(message))" }
}
