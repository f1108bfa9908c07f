import Glibc
import Netlink
import NetworkAddress
import SystemError

/// The real kernel, over the Netlink module: one `RouteSocket` for dumps and batches, and `Sysctl` for
/// `/proc/sys/net`. Optionally works inside a named network namespace (`ip netns add NAME`), so that tests
/// and the multi-node demo can run one reconciler per namespace; the calling thread's namespace never changes.
public final class NetlinkKernel: Kernel {
    /// The namespace the kernel is reached in; nil for the calling process's own.
    public let namespace: NetworkNamespace?
    private let socket: RouteSocket
    private let sysctl = Sysctl()

    /// A kernel in the calling thread's network namespace.
    public init() throws(NetlinkError) {
        namespace = nil
        socket = try RouteSocket()
    }

    /// A kernel in the network namespace `/run/netns/NAME`.
    public convenience init(namespaceNamed name: String) throws(NetlinkError) {
        try self.init(namespace: NetworkNamespace(named: name))
    }

    /// A kernel in an open network namespace.
    public init(namespace: NetworkNamespace) throws(NetlinkError) {
        self.namespace = namespace
        socket = try RouteSocket(in: namespace)
    }

    /// A notification monitor in the same namespace; create it before the first dump so nothing is missed.
    public func makeMonitor(groups: NetlinkMonitor.Groups = .all) throws(NetlinkError) -> NetlinkMonitor {
        if let namespace { return try NetlinkMonitor(in: namespace, groups: groups) }
        return try NetlinkMonitor(groups: groups)
    }

    public func links() throws(NetlinkError) -> [Link] { try socket.links() }

    public func addresses() throws(NetlinkError) -> [InterfaceAddress] { try socket.addresses() }

    public func mainTableRoutes(family: IPFamily) throws(NetlinkError) -> [Route] {
        try socket.routes(family: family, table: .main)
    }

    public func neighbors(family: IPFamily) throws(NetlinkError) -> [Neighbor] {
        try socket.neighbors(family: family)
    }

    public func fdbEntries(interfaceIndex: Int32) throws(NetlinkError) -> [FDBEntry] {
        try socket.fdbEntries(interfaceIndex: interfaceIndex)
    }

    public func apply(_ operations: [NetlinkOperation]) throws(NetlinkError) -> [NetlinkOperationFailure] {
        try socket.apply(operations)
    }

    public func createVXLAN(name: String, attributes: VXLANAttributes, mtu: UInt32, macAddress: MACAddress?)
        throws(NetlinkError) -> Link
    {
        try socket.createVXLAN(name: name, attributes: attributes, mtu: mtu, macAddress: macAddress)
    }

    public func ensureIPIPTunnel(name: String, mtu: UInt32) throws(NetlinkError) -> Link {
        try socket.createIPIPTunnel(name: name, mtu: mtu, isUp: true)
    }

    public func readSysctl(_ path: String) throws(SysctlError) -> String {
        let key = Sysctl.key(forPathBelowProcSys: path)
        return try inNamespace { () throws(SysctlError) in try sysctl.read(key) }
    }

    public func readSysctls(_ paths: [String]) -> [Result<String, SysctlError>] {
        let sysctl = sysctl
        let keys = paths.map(Sysctl.key(forPathBelowProcSys:))
        do throws(SysctlError) {
            return try inNamespace { () throws(SysctlError) in
                keys.map { key in Result { () throws(SysctlError) in try sysctl.read(key) } }
            }
        } catch {
            // Entering the namespace failed: no sysctl can be reached.
            return paths.map { _ in .failure(error) }
        }
    }

    public func writeSysctl(_ path: String, _ value: String) throws(SysctlError) {
        let key = Sysctl.key(forPathBelowProcSys: path)
        try inNamespace { () throws(SysctlError) in _ = try sysctl.write(key, value) }
    }

    /// Runs a sysctl access where `/proc/sys/net` shows this kernel's namespace: on a thread that entered it,
    /// or right here for the process's own namespace.
    private func inNamespace<T>(_ body: () throws(SysctlError) -> T) throws(SysctlError) -> T {
        guard let namespace else { return try body() }
        let result: Result<T, SysctlError>
        do {
            result = try namespace.perform { Result { () throws(SysctlError) in try body() } }
        } catch {
            // Entering the namespace failed (the namespace is gone): the sysctl cannot be reached.
            let errno = (error as? NetlinkError)?.errno ?? Errno(ENOENT)
            throw SysctlError.system(path: namespace.path, step: "enter namespace", errno: errno)
        }
        return try result.get()
    }
}

extension Sysctl {
    /// The absolute key for a path below /proc/sys ("net/ipv4/ip_forward" -> "/proc/sys/net/ipv4/ip_forward"),
    /// which keeps interface names with dots ("vxlan.calico") intact.
    static func key(forPathBelowProcSys path: String) -> String {
        path.hasPrefix("/") ? path : "/proc/sys/" + path
    }
}
