import Glibc
import Netlink
import SystemError

/// Opens the namespaces a wiring call works in, refusing a path that is not a network namespace before anything
/// is created.
enum NamespaceOpening {
    /// The container's namespace (`CNI_NETNS`). A missing path, a file that is not a namespace, a namespace of
    /// another type, or the node's own namespace: `CNIError(.unknownContainer)`.
    static func container(_ path: String, node: NodeNamespace) throws(CNIError) -> NetworkNamespace {
        let namespace = try open(path, role: "CNI_NETNS", code: .unknownContainer)
        if let nodeIdentity = node.identity, nodeIdentity == identity(of: namespace.fd) {
            throw CNIError(
                .unknownContainer, "CNI_NETNS is not a container's namespace",
                details: "CNI_NETNS \(path) is the node's own network namespace")
        }
        return namespace
    }

    /// Opens `path` and makes sure it is a network namespace.
    static func open(_ path: String, role: String, code: CNIError.Code) throws(CNIError) -> NetworkNamespace {
        let namespace: NetworkNamespace
        do {
            namespace = try NetworkNamespace(path: path)
        } catch {
            let reason = error.errno == Errno(ENOENT) ? "does not exist" : "cannot be opened: \(error.errno.explained)"
            throw CNIError(code, "\(role) is not a network namespace", details: "\(role) \(path) \(reason)")
        }
        // Every namespace file lives on the one nsfs superblock, the device of the thread's own namespace files;
        // `setns` then tells a network namespace from the other types.
        guard let device = identity(of: namespace.fd)?.first, device == nsfsDevice else {
            throw CNIError(
                code, "\(role) is not a network namespace", details: "\(role) \(path) is not a namespace file")
        }
        do {
            try namespace.perform {}
        } catch {
            throw CNIError(
                code, "\(role) is not a network namespace",
                details: "\(role) \(path) is a namespace of another type (setns: \(error))")
        }
        return namespace
    }

    /// The (device, inode) pair that identifies a namespace file.
    static func identity(of fd: Int32) -> [UInt64]? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }

    /// The device of the namespace file system (nil if even this thread's namespace file cannot be read).
    private static let nsfsDevice: UInt64? = {
        let fd = Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return identity(of: fd)?.first
    }()
}

/// The node side of the wiring: the calling thread's own network namespace, or one given by path (tests).
final class NodeNamespace {
    /// The opened namespace when a path was given; nil means the calling thread's namespace.
    let namespace: NetworkNamespace?
    /// The namespace's identity, to recognise a `CNI_NETNS` that points at the node itself.
    let identity: [UInt64]?

    init(path: String?) throws(CNIError) {
        if let path {
            let opened = try NamespaceOpening.open(path, role: "node namespace", code: .dataplaneFailure)
            namespace = opened
            identity = NamespaceOpening.identity(of: opened.fd)
        } else {
            namespace = nil
            let fd = Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            identity = fd >= 0 ? NamespaceOpening.identity(of: fd) : nil
            if fd >= 0 { close(fd) }
        }
    }

    /// A route socket in the node's namespace.
    func socket() throws(NetlinkError) -> RouteSocket {
        if let namespace { return try RouteSocket(in: namespace) }
        return try RouteSocket()
    }

    /// Runs `body` in the node's namespace: on a thread inside it when a path was given, else right here.
    func perform<T>(_ body: () throws -> T) throws -> T {
        if let namespace { return try namespace.perform(body) }
        return try body()
    }
}
