import Netlink
import NetworkAddress

/// The I/O seam of the dataplane reconcilers: the few kernel operations they need, in the Netlink module's
/// value types. `NetlinkKernel` is the real kernel (optionally inside a network namespace); `FakeKernel` keeps
/// everything in memory for unit tests.
///
/// Implementations are not thread-safe: one owner (the reconciler, itself owned by the agent's actor).
public protocol Kernel: AnyObject {
    /// All links (`ip link show`).
    func links() throws(NetlinkError) -> [Link]
    /// All interface addresses of both families (`ip addr show`).
    func addresses() throws(NetlinkError) -> [InterfaceAddress]
    /// The routes of one family in the main table (`ip route show table main`).
    func mainTableRoutes(family: IPFamily) throws(NetlinkError) -> [Route]
    /// The neighbour entries of one family (`ip neigh show`).
    func neighbors(family: IPFamily) throws(NetlinkError) -> [Neighbor]
    /// The forwarding-database entries of one device (`bridge fdb show dev NAME`).
    func fdbEntries(interfaceIndex: Int32) throws(NetlinkError) -> [FDBEntry]

    /// Applies operations in order as one batch and returns the ones the kernel refused (with their position in
    /// `operations`); a failure does not stop the operations after it. Throws only when the outcome is unknown
    /// (dump to find out).
    func apply(_ operations: [NetlinkOperation]) throws(NetlinkError) -> [NetlinkOperationFailure]

    /// Creates a VXLAN device (down) and returns it as the kernel reports it.
    func createVXLAN(name: String, attributes: VXLANAttributes, mtu: UInt32, macAddress: MACAddress?)
        throws(NetlinkError) -> Link
    /// Creates the IPIP fallback device `tunl0` (or another ipip device) when it is missing, with this MTU and
    /// up; `EEXIST` from the ipip module's own fallback device means it exists, and it is then configured.
    func ensureIPIPTunnel(name: String, mtu: UInt32) throws(NetlinkError) -> Link

    /// Reads a sysctl by its path below /proc/sys (`net/ipv4/ip_forward`).
    func readSysctl(_ path: String) throws(SysctlError) -> String
    /// Reads several sysctls, in the order given (a kernel in another namespace enters it once for all).
    func readSysctls(_ paths: [String]) -> [Result<String, SysctlError>]
    /// Writes a sysctl by its path below /proc/sys; throws when the kernel refuses or keeps another value.
    func writeSysctl(_ path: String, _ value: String) throws(SysctlError)
}

extension Kernel {
    public func readSysctls(_ paths: [String]) -> [Result<String, SysctlError>] {
        paths.map { path in Result { () throws(SysctlError) in try readSysctl(path) } }
    }
}
