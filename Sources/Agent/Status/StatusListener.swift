import Foundation
import Glibc
import NIOCore
import NIOPosix

/// A bound, listening server channel and what it serves.
struct StatusListener: Sendable {
    var channel: any Channel
    var endpoints: Set<StatusEndpoint>
    /// The Unix socket's path and inode, to remove the file on stop only if it is still ours.
    var unixPath: String?
    var unixInode: UInt64?
    /// `host:port` or the path, for logs.
    var name: String

    /// The TCP port bound (the one the kernel chose when 0 was asked).
    var port: Int? { unixPath == nil ? channel.localAddress?.port : nil }

    /// A Unix stream socket at `path` with permissions `mode`.
    ///
    /// The parent directory is created when missing. A socket file already at `path` is replaced when nothing
    /// answers on it (left by an agent that was killed); when a process still listens there, or the file is
    /// not a socket, this fails rather than take it over.
    ///
    /// The socket is bound here and handed to NIO bound: so the mode is right before `listen`, before the
    /// first client can connect, and NIO does not remove the file when it closes the socket (it would remove
    /// whatever socket is at the path by then; ``close()`` removes the file only while it is still this one).
    static func unix(
        path: String, mode: mode_t, endpoints: Set<StatusEndpoint>, bootstrap: ServerBootstrap,
        group: any EventLoopGroup
    ) throws(SystemCallError) -> StatusListener {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        // sockaddr_un holds the path with its terminating NUL.
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else {
            throw SystemCallError(
                "bind \(path)", code: ENAMETOOLONG, detail: "a socket path has 1 to \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        try makeDirectories(parentOf: path)
        try removeStaleSocket(path, group: group)

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket AF_UNIX") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = SystemCallError("bind \(path)")
            Glibc.close(fd)
            throw error
        }
        var status = stat()
        guard chmod(path, mode) == 0, stat(path, &status) == 0 else {
            let error = SystemCallError("chmod \(path)")
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        let channel: any Channel
        do {
            // NIO owns the descriptor from here, and closes it also when this fails.
            channel = try bind("listen \(path)") { try bootstrap.withBoundSocket(fd).wait() }
        } catch {
            unlink(path)
            throw error
        }
        return StatusListener(
            channel: channel, endpoints: endpoints, unixPath: path, unixInode: UInt64(status.st_ino), name: path)
    }

    /// A TCP socket on `host` (a name or address; empty means every IPv4 address) and `port` (0: any free one).
    static func tcp(host: String, port: Int, endpoints: Set<StatusEndpoint>, bootstrap: ServerBootstrap)
        throws(SystemCallError) -> StatusListener
    {
        let address = host.isEmpty ? "0.0.0.0" : host
        let name = address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
        let resolved: SocketAddress
        do {
            resolved = try SocketAddress.makeAddressResolvingHost(address, port: port)
        } catch {
            throw SystemCallError("resolve \(name)", code: 0, detail: "not a known host name or address")
        }
        let channel = try bind("bind \(name)") {
            try bootstrap.serverChannelOption(.socketOption(.so_reuseaddr), value: 1).bind(to: resolved).wait()
        }
        return StatusListener(channel: channel, endpoints: endpoints, unixPath: nil, unixInode: nil, name: name)
    }

    /// Closes the socket and removes its file when the file is still the one this listener created.
    func close() {
        try? channel.close().wait()
        if let unixPath, let unixInode {
            var status = stat()
            if lstat(unixPath, &status) == 0, UInt64(status.st_ino) == unixInode {
                unlink(unixPath)
            }
        }
    }

    /// Runs a bind, turning NIO's error into one that names the operation and the errno.
    private static func bind(_ operation: String, _ body: () throws -> any Channel) throws(SystemCallError)
        -> any Channel
    {
        do {
            return try body()
        } catch let error as IOError {
            throw SystemCallError(operation, code: error.errnoCode)
        } catch {
            throw SystemCallError(operation, code: 0, detail: "\(error)")
        }
    }

    /// Creates the directories above `path` that do not exist, mode 0755.
    private static func makeDirectories(parentOf path: String) throws(SystemCallError) {
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw SystemCallError("mkdir \(parent)", code: (error as NSError).posixCode ?? EIO)
        }
    }

    /// Removes a socket file nothing listens on; refuses a live socket or a file of another kind.
    private static func removeStaleSocket(_ path: String, group: any EventLoopGroup) throws(SystemCallError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw SystemCallError("stat \(path)")
        }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw SystemCallError("bind \(path)", code: EEXIST, detail: "the file is not a socket; not replacing it")
        }
        do {
            let probe = try ClientBootstrap(group: group).connect(unixDomainSocketPath: path).wait()
            try? probe.close().wait()
        } catch let error as IOError where error.errnoCode == ECONNREFUSED {
            guard unlink(path) == 0 || errno == ENOENT else { throw SystemCallError("unlink stale socket \(path)") }
            return
        } catch {
            let code = (error as? IOError)?.errnoCode ?? 0
            throw SystemCallError(
                "connect \(path) (checking for a stale socket)", code: code, detail: code == 0 ? "\(error)" : nil)
        }
        throw SystemCallError(
            "bind \(path)", code: EADDRINUSE, detail: "another process serves this socket (is tabbyd running?)")
    }
}

extension NSError {
    /// The errno of a POSIX-domain error, or of the POSIX error underneath a Cocoa one.
    fileprivate var posixCode: Int32? {
        if domain == NSPOSIXErrorDomain { return Int32(code) }
        return (userInfo[NSUnderlyingErrorKey] as? NSError)?.posixCode
    }
}
