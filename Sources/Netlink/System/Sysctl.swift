import Glibc
import NetworkAddress
import SystemError

/// Writes and reads network sysctls under `/proc/sys/net`, per interface or global.
///
/// A write reads the value back and fails when the kernel kept something else. `/proc/sys/net` shows the
/// network namespace of the thread that opens the file: to set another namespace's sysctls, call from
/// `NetworkNamespace.perform`.
public struct Sysctl: Sendable {
    /// The only tree this writer touches.
    public static let root = "/proc/sys/net/"

    public init() {}

    /// The path of a per-interface setting: `net/ipv4/conf/IF/NAME` (or `ipv6`).
    public static func interfacePath(_ family: IPFamily, interface: String, _ name: String) -> String {
        root + (family == .v4 ? "ipv4" : "ipv6") + "/conf/\(interface)/\(name)"
    }

    /// The path of a per-interface neighbour setting: `net/ipv4/neigh/IF/NAME` (or `ipv6`).
    public static func neighborPath(_ family: IPFamily, interface: String, _ name: String) -> String {
        root + (family == .v4 ? "ipv4" : "ipv6") + "/neigh/\(interface)/\(name)"
    }

    /// Reads a sysctl; `key` is a path under `/proc/sys/net` or a dotted name ("net.ipv4.ip_forward"). Interface
    /// names may contain dots ("vxlan.calico"): name per-interface settings by path (`interfacePath`).
    public func read(_ key: String) throws(SysctlError) -> String {
        let path = try Self.path(for: key)
        return try Self.readFile(path)
    }

    /// Writes a sysctl and returns the value read back. Throws when the read-back value differs (compared
    /// field by field, numbers by value: "1024 65000" matches "1024\t65000").
    @discardableResult
    public func write(_ key: String, _ value: String) throws(SysctlError) -> String {
        let path = try Self.path(for: key)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path: path, step: "open", errno: .current) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .system(path: path, step: "write \(value)", errno: .current) }
        let readBack = try Self.readFile(path)
        guard Self.sameValue(value, readBack) else {
            throw .readBackMismatch(path: path, wrote: value, read: readBack)
        }
        return readBack
    }

    /// Normalizes a key to a path and refuses anything outside `/proc/sys/net`.
    static func path(for key: String) throws(SysctlError) -> String {
        let path = key.hasPrefix("/") ? key : "/proc/sys/" + key.replacingDots()
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix(root), path.count > root.count,
            !components.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else { throw .notANetworkSysctl(key) }
        return path
    }

    private static func readFile(_ path: String) throws(SysctlError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(path: path, step: "open", errno: .current) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 { throw .system(path: path, step: "read", errno: .current) }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
    }

    static func sameValue(_ written: String, _ read: String) -> Bool {
        let wrote = written.whitespaceFields()
        let got = read.whitespaceFields()
        guard wrote.count == got.count else { return false }
        return zip(wrote, got).allSatisfy { a, b in a == b || (Int(a) != nil && Int(a) == Int(b)) }
    }
}

/// A sysctl that could not be written as asked.
public enum SysctlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key is not under `/proc/sys/net`.
    case notANetworkSysctl(String)
    /// A system call failed (`ENOENT`: no such sysctl or interface; `EINVAL`: value refused).
    case system(path: String, step: String, errno: Errno)
    /// The kernel accepted the write but kept another value.
    case readBackMismatch(path: String, wrote: String, read: String)

    /// The errno of a failed system call; nil for the other failures.
    public var errno: Errno? {
        if case .system(_, _, let errno) = self { return errno }
        return nil
    }

    public var description: String {
        switch self {
        case .notANetworkSysctl(let key):
            "sysctl \(key): not a network sysctl (only \(Sysctl.root) is written)"
        case .system(let path, let step, let errno):
            "sysctl \(path) \(step): \(errno.explained)"
        case .readBackMismatch(let path, let wrote, let read):
            "sysctl \(path): wrote \"\(wrote)\" but reads back \"\(read)\""
        }
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }

    fileprivate func whitespaceFields() -> [Substring] {
        split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
    }

    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
