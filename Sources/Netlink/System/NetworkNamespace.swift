import CMnl
import Glibc
import SystemError

/// An open network namespace: a file descriptor on `/run/netns/NAME` (what `ip netns add` creates) or
/// `/proc/PID/ns/net`. Links move into it by this descriptor, and sockets opened on a thread that entered it
/// (`perform`) stay bound to it.
public final class NetworkNamespace {
    public let path: String
    public let fd: Int32

    /// Opens the namespace at `path`.
    public init(path: String) throws(NetlinkError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open network namespace \(path)") }
        self.path = path
        self.fd = fd
    }

    /// Opens a namespace created by `ip netns add NAME`.
    public convenience init(named name: String) throws(NetlinkError) {
        try self.init(path: "/run/netns/\(name)")
    }

    deinit { close(fd) }

    /// Runs `body` on a new thread that entered this namespace, and waits for it. Netlink sockets created in
    /// `body` stay in the namespace after it returns; files opened under `/proc/sys/net` there are the
    /// namespace's sysctls. The calling thread's namespace is never changed.
    public func perform<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, any Error>?
        let code = runOnThreadInside { result = Result { try body() } }
        guard code == 0, let result else { throw NetlinkError.system("setns \(path)", errno: Errno(code)) }
        return try result.get()
    }

    /// A netlink socket bound in this namespace.
    func openSocket() throws(NetlinkError) -> NetlinkSocket {
        var opened: Result<NetlinkSocket, NetlinkError>?
        let code = runOnThreadInside { opened = Result { () throws(NetlinkError) in try NetlinkSocket() } }
        guard code == 0, let opened else { throw .system("setns \(path)", errno: Errno(code)) }
        return try opened.get()
    }

    /// Runs `body` on a fresh thread that entered the namespace and joins it; returns 0, or the errno of a
    /// failed `setns` (then `body` did not run). The thread ends with `body`, so no pooled thread is ever left
    /// in another namespace.
    func runOnThreadInside(_ body: () -> Void) -> Int32 {
        withoutActuallyEscaping(body) { body in
            let task = NamespaceTask(fd: fd, body: body)
            let context = Unmanaged.passRetained(task)
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, namespaceThreadMain, context.toOpaque())
            guard created == 0 else {
                context.release()
                return created
            }
            pthread_join(thread, nil)
            return task.setnsError
        }
    }
}

/// What the namespace thread runs; joined before `runOnThreadInside` returns.
private final class NamespaceTask {
    let fd: Int32
    let body: () -> Void
    var setnsError: Int32 = 0

    init(fd: Int32, body: @escaping () -> Void) {
        self.fd = fd
        self.body = body
    }
}

/// `CLONE_NEWNET`, not exported by Swift's Glibc module.
private let cloneNewNet: Int32 = 0x4000_0000

private func namespaceThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let task = Unmanaged<NamespaceTask>.fromOpaque(context!).takeRetainedValue()
    if tabby_setns(task.fd, cloneNewNet) != 0 {
        task.setnsError = errno
        return nil
    }
    task.body()
    return nil
}
