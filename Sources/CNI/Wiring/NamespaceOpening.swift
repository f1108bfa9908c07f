import Glibc
import Netlink
import SystemError

/// Opens the namespaces a wiring call works in, refusing a path that is not a network namespace before anything
/// is created. The type is asked of the file itself (`NS_GET_NSTYPE`), so no thread has to enter it for that.
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
        let type = ioctl(namespace.fd, namespaceTypeRequest)
        guard type == networkNamespaceType else {
            let what = type < 0 ? "is not a namespace file" : "is a namespace of another type, not a network namespace"
            throw CNIError(code, "\(role) is not a network namespace", details: "\(role) \(path) \(what)")
        }
        return namespace
    }

    /// The (device, inode) pair that identifies a namespace.
    static func identity(of fd: Int32) -> [UInt64]? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }

    /// `NS_GET_NSTYPE` (`_IO(0xb7, 0x3)`, Linux 4.11): the `CLONE_NEW*` type of a namespace file; `ENOTTY` for
    /// any other file.
    private static let namespaceTypeRequest: UInt = 0xb703
    /// `CLONE_NEWNET`.
    private static let networkNamespaceType: Int32 = 0x4000_0000
}

/// The node side of the wiring: the calling thread's own network namespace, or one given by path (tests).
final class NodeNamespace {
    /// The opened namespace when a path was given; nil means the calling thread's namespace.
    let namespace: NetworkNamespace?
    /// A descriptor of the node's namespace, where the container side creates the host end of the veth.
    let fd: Int32
    /// The namespace's identity, to recognise a `CNI_NETNS` that points at the node itself.
    let identity: [UInt64]?
    private let ownsDescriptor: Bool

    init(path: String?) throws(CNIError) {
        if let path {
            let opened = try NamespaceOpening.open(path, role: "node namespace", code: .dataplaneFailure)
            namespace = opened
            fd = opened.fd
            ownsDescriptor = false
        } else {
            namespace = nil
            fd = Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw CNIError(
                    .dataplaneFailure, "cannot open the node's network namespace",
                    details: "open /proc/thread-self/ns/net: \(Errno.current.explained)")
            }
            ownsDescriptor = true
        }
        identity = NamespaceOpening.identity(of: fd)
    }

    deinit { if ownsDescriptor { close(fd) } }

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
