import CNftnl
import Glibc
import SystemError

/// Opens a NETLINK_NETFILTER socket inside the network namespace at `path` (such as /run/netns/NAME).
///
/// A netlink socket belongs to the namespace it was created in, so a short-lived thread enters the namespace,
/// creates the socket and exits; the caller's thread never changes namespace.
func openNetfilterSocket(inNamespaceAt path: String) throws(NFTablesError) -> Int32 {
    let request = NamespaceSocketRequest(path: path)
    let context = Unmanaged.passRetained(request).toOpaque()
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, namespaceSocketThread, context)
    guard created == 0 else {
        Unmanaged<NamespaceSocketRequest>.fromOpaque(context).release()
        throw .system("pthread_create", Errno(created))
    }
    pthread_join(thread, nil)
    if let failure = request.failure { throw .system(failure.call, Errno(failure.errno)) }
    return request.descriptor
}

private final class NamespaceSocketRequest {
    let path: String
    var descriptor: Int32 = -1
    var failure: (call: String, errno: Int32)?

    init(path: String) { self.path = path }

    func run() {
        let namespace = open(path, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { return fail("open \(path)") }
        defer { close(namespace) }
        guard tabby_nft_setns_net(namespace) == 0 else { return fail("setns \(path)") }
        descriptor = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_NETFILTER)
        if descriptor < 0 { fail("socket(NETLINK_NETFILTER) in \(path)") }
    }

    private func fail(_ call: String) { failure = (call, errno) }
}

private func namespaceSocketThread(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let request = Unmanaged<NamespaceSocketRequest>.fromOpaque(context!).takeRetainedValue()
    request.run()
    return nil
}
