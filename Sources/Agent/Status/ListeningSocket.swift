import Glibc

/// A bound, listening stream socket and what it serves.
struct ListeningSocket: Sendable {
    var fd: Int32
    var endpoints: Set<StatusEndpoint>
    /// The Unix socket's path and inode, to remove the file on stop only if it is still ours.
    var unixPath: String?
    var unixInode: UInt64?
    /// The TCP port bound (the one the kernel chose when 0 was asked).
    var port: Int?
    /// `host:port` or the path, for logs.
    var name: String

    /// A Unix stream socket at `path` with permissions `mode`.
    ///
    /// The parent directory is created when missing. A socket file already at `path` is replaced when nothing
    /// answers on it (left by an agent that was killed); when a process still listens there, or the file is
    /// not a socket, this fails rather than take it over.
    static func unix(path: String, mode: mode_t, endpoints: Set<StatusEndpoint>) throws(SystemCallError)
        -> ListeningSocket
    {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity else {
            throw SystemCallError(
                "bind \(path)", code: ENAMETOOLONG, detail: "a socket path has 1 to \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: pathBytes)
        }
        try makeDirectories(parentOf: path)
        try removeStaleSocket(path, address: address)

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket AF_UNIX") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = SystemCallError("bind \(path)")
            Glibc.close(fd)
            throw error
        }
        // Before listen() nobody can connect, so the mode is right before the first client can use the socket.
        var status = stat()
        guard chmod(path, mode) == 0, stat(path, &status) == 0, listen(fd, 64) == 0 else {
            let error = SystemCallError("chmod/listen \(path)")
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        return ListeningSocket(
            fd: fd, endpoints: endpoints, unixPath: path, unixInode: UInt64(status.st_ino), port: nil, name: path)
    }

    /// A TCP socket on `host` (a name or address; empty means every address) and `port` (0: any free one).
    static func tcp(host: String, port: Int, endpoints: Set<StatusEndpoint>) throws(SystemCallError)
        -> ListeningSocket
    {
        let name = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host.isEmpty ? nil : host, String(port), &hints, &results)
        guard resolved == 0, let first = results else {
            throw SystemCallError(
                "resolve \(name)", code: 0, detail: String(cString: gai_strerror(resolved)))
        }
        defer { freeaddrinfo(results) }

        var lastError = SystemCallError("bind \(name)", code: EADDRNOTAVAIL)
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = SystemCallError("socket for \(name)")
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 64) == 0 else {
                lastError = SystemCallError("bind \(name)")
                Glibc.close(fd)
                continue
            }
            return ListeningSocket(
                fd: fd, endpoints: endpoints, unixPath: nil, unixInode: nil, port: boundPort(fd) ?? port, name: name)
        }
        throw lastError
    }

    /// Closes the socket and removes its file when the file is still the one this socket created.
    func close() {
        Glibc.close(fd)
        if let unixPath, let unixInode {
            var status = stat()
            if lstat(unixPath, &status) == 0, UInt64(status.st_ino) == unixInode {
                unlink(unixPath)
            }
        }
    }

    private static func boundPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard got == 0 else { return nil }
        return withUnsafePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin_port))
                }
            case AF_INET6:
                pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    Int(UInt16(bigEndian: $0.pointee.sin6_port))
                }
            default: nil
            }
        }
    }

    /// Creates the directories above `path` that do not exist, mode 0755.
    private static func makeDirectories(parentOf path: String) throws(SystemCallError) {
        var components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !components.isEmpty else { return }
        components.removeLast()
        var current = path.hasPrefix("/") ? "" : "."
        for component in components {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw SystemCallError("mkdir \(current)")
            }
        }
    }

    /// Removes a socket file nothing listens on; refuses a live socket or a file of another kind.
    private static func removeStaleSocket(_ path: String, address: sockaddr_un) throws(SystemCallError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw SystemCallError("stat \(path)")
        }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else {
            throw SystemCallError("bind \(path)", code: EEXIST, detail: "the file is not a socket; not replacing it")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw SystemCallError("socket AF_UNIX") }
        var address = address
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let connectError = errno
        Glibc.close(probe)
        if connected == 0 {
            throw SystemCallError(
                "bind \(path)", code: EADDRINUSE, detail: "another process serves this socket (is tabbyd running?)")
        }
        guard connectError == ECONNREFUSED else {
            throw SystemCallError("connect \(path) (checking for a stale socket)", code: connectError)
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemCallError("unlink stale socket \(path)") }
    }
}
