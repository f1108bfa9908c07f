import Glibc
import SystemError

/// The few host files the plugins read (the node-name and MTU files) and the host name.
public enum HostFiles {
    /// The file's text; nil when it does not exist; an I/O error (code 5) naming the path otherwise.
    public static func read(_ path: String) throws(CNIError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw CNIError(.ioFailure, "cannot read \(path)", details: "open \(path): \(Errno(code).explained)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw CNIError(.ioFailure, "cannot read \(path)", details: "read \(path): \(Errno(code).explained)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The kernel's host name (`uname -n`).
    public static func hostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }
}
