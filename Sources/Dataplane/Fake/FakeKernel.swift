import Glibc
import Netlink
import NetworkAddress
import SystemError

/// An in-memory kernel for unit tests (of this module and of the agent). It behaves like rtnetlink where the
/// reconcilers depend on it: keys of routes, neighbours and FDB entries, `EEXIST`/`ENODEV`/`ESRCH`/`ENOENT`,
/// IPv4 routes flushed without notifications when their device goes down or away, the metric defaults, and
/// notifications for every change. It records every write request, can hold foreign state, and fails chosen
/// requests on demand.
///
/// Not thread-safe, like the real kernel handle it replaces.
public final class FakeKernel: Kernel {
    /// A write request, as the reconciler sent it.
    public enum Write: Hashable, Sendable, CustomStringConvertible {
        case netlink(NetlinkOperation)
        case createVXLAN(name: String, attributes: VXLANAttributes, mtu: UInt32, macAddress: MACAddress?)
        case ensureIPIPTunnel(name: String, mtu: UInt32)
        case sysctl(path: String, value: String)

        public var description: String {
            switch self {
            case .netlink(let operation): operation.describe { "if\($0)" }
            case .createVXLAN(let name, let attributes, let mtu, _):
                "link add \(name) type vxlan \(attributes) mtu \(mtu)"
            case .ensureIPIPTunnel(let name, let mtu): "link add \(name) type ipip mtu \(mtu)"
            case .sysctl(let path, let value): "sysctl \(path)=\(value)"
            }
        }
    }

    /// Everything the fake kernel holds.
    public struct State: Sendable, Equatable {
        public var links: [Int32: Link] = [:]
        public var addresses: [InterfaceAddress] = []
        /// Routes of every table, as a dump reports them (IPv4 metric 0 as nil).
        public var routes: [Route] = []
        public var neighbors: [Neighbor] = []
        public var fdb: [FDBEntry] = []
        /// Sysctl values by path below /proc/sys.
        public var sysctls: [String: String] = [:]
    }

    public internal(set) var state = State()
    /// Every write request received, failed ones included, in order.
    public private(set) var writes: [Write] = []
    /// How many sysctls were read.
    public private(set) var sysctlReads = 0
    /// Notifications of every change (the reconciler's and external ones) not yet taken.
    public private(set) var pendingEvents: [NetlinkEvent] = []

    /// Whether `ipip` devices can be created (false: `EOPNOTSUPP`, like this build machine's kernel).
    public var ipipSupported = true
    /// Fails a write request with the errno returned (nil lets it through).
    public var injectFailure: ((Write) -> Errno?)?
    /// Fails every dump with this errno.
    public var dumpErrno: Errno?
    /// Makes the next batch throw `ENOBUFS` after it was applied: replies lost, outcome unknown.
    public var loseRepliesOfNextBatch = false

    private var nextIndex: Int32 = 2
    private var nextMAC: UInt64 = 0x02_00_00_00_00_01

    /// A kernel with only `lo` (index 1, up) and forwarding off.
    public init() {
        state.sysctls = ["net/ipv4/ip_forward": "0", "net/ipv6/conf/all/forwarding": "0"]
        state.links[1] = Link(
            index: 1, name: "lo", kind: .other(nil), mtu: 65536, macAddress: MACAddress(0), flags: 0x1 | 0x8 | 0x1_0000)
    }

    // MARK: Inspection

    public func link(named name: String) -> Link? { state.links.values.first { $0.name == name } }

    /// Routes of one table (the main table by default).
    public func routes(table: RouteTable = .main) -> [Route] { state.routes.filter { $0.table == table } }

    /// Returns and forgets the pending notifications.
    public func takeEvents() -> [NetlinkEvent] {
        defer { pendingEvents = [] }
        return pendingEvents
    }

    /// Forgets the recorded writes.
    public func resetWrites() { writes = [] }

    // MARK: Foreign state and changes by hand (not recorded as writes; they do notify)

    /// Adds a link, as the CNI plugin or an administrator would (a veth's peer is not modelled).
    @discardableResult
    public func addLink(
        name: String, kind: LinkKind = .veth, mtu: UInt32 = 1500, isUp: Bool = true, macAddress: MACAddress? = nil
    ) -> Link {
        let link = Link(
            index: allocateIndex(), name: name, kind: kind, mtu: mtu, macAddress: macAddress ?? allocateMAC(),
            flags: isUp ? 0x1 | 0x1_0000 : 0)
        state.links[link.index] = link
        pendingEvents.append(.link(.new, link))
        return link
    }

    /// Applies an operation as if someone ran `ip` by hand.
    public func external(_ operation: NetlinkOperation) throws(NetlinkError) {
        try perform(operation)
    }

    /// Sets a sysctl as if someone wrote it by hand.
    public func setSysctl(_ path: String, _ value: String) { state.sysctls[path] = value }

    // MARK: Kernel

    public func links() throws(NetlinkError) -> [Link] {
        try checkDump("link list")
        return state.links.values.sorted { $0.index < $1.index }
    }

    public func addresses() throws(NetlinkError) -> [InterfaceAddress] {
        try checkDump("address list")
        return state.addresses
    }

    public func mainTableRoutes(family: IPFamily) throws(NetlinkError) -> [Route] {
        try checkDump("route list \(family) table main")
        return state.routes.filter { $0.table == .main && $0.family == family }
    }

    public func neighbors(family: IPFamily) throws(NetlinkError) -> [Neighbor] {
        try checkDump("neighbour list \(family)")
        return state.neighbors.filter { $0.address.family == family }
    }

    public func fdbEntries(interfaceIndex: Int32) throws(NetlinkError) -> [FDBEntry] {
        try checkDump("fdb list")
        return state.fdb.filter { $0.interfaceIndex == interfaceIndex }
    }

    public func apply(_ operations: [NetlinkOperation]) throws(NetlinkError) -> [NetlinkOperationFailure] {
        var failures: [NetlinkOperationFailure] = []
        for (index, operation) in operations.enumerated() {
            writes.append(.netlink(operation))
            do {
                try injected(.netlink(operation), operation: operation.describe(interfaceName: name))
                try perform(operation)
            } catch {
                failures.append(NetlinkOperationFailure(index: index, operation: operation, error: error))
            }
        }
        if loseRepliesOfNextBatch {
            loseRepliesOfNextBatch = false
            throw NetlinkError(Errno(ENOBUFS), operation: "batch of \(operations.count) operations from #0")
        }
        return failures
    }

    public func createVXLAN(name: String, attributes: VXLANAttributes, mtu: UInt32, macAddress: MACAddress?)
        throws(NetlinkError) -> Link
    {
        let write = Write.createVXLAN(name: name, attributes: attributes, mtu: mtu, macAddress: macAddress)
        writes.append(write)
        try injected(write, operation: "link add \(name) type vxlan")
        try perform(.createLink(NewLink(name: name, kind: .vxlan(attributes), mtu: mtu, macAddress: macAddress)))
        return try created(name, operation: "link add \(name) type vxlan")
    }

    public func ensureIPIPTunnel(name: String, mtu: UInt32) throws(NetlinkError) -> Link {
        let write = Write.ensureIPIPTunnel(name: name, mtu: mtu)
        writes.append(write)
        let operation = "link add \(name) type ipip"
        try injected(write, operation: operation)
        guard ipipSupported else {
            throw NetlinkError(Errno(EOPNOTSUPP), message: "Unknown device type", operation: operation)
        }
        if let existing = link(named: name) {
            guard case .ipip = existing.kind else { throw NetlinkError(Errno(EEXIST), operation: operation) }
            try perform(.changeLink(index: existing.index, LinkChange(isUp: true, mtu: mtu)))
        } else {
            try perform(.createLink(NewLink(name: name, kind: .ipip(IPIPAttributes()), mtu: mtu, isUp: true)))
        }
        return try created(name, operation: operation)
    }

    /// The link just created or configured (it is there: the operation succeeded).
    private func created(_ name: String, operation: String) throws(NetlinkError) -> Link {
        guard let link = link(named: name) else { throw NetlinkError(Errno(ENODEV), operation: operation) }
        return link
    }

    public func readSysctl(_ path: String) throws(SysctlError) -> String {
        sysctlReads += 1
        if let value = state.sysctls[path] { return value }
        // Per-interface settings exist for every interface, at the kernel's default (0 here).
        if let interface = Self.interface(ofSysctl: path), link(named: interface) != nil { return "0" }
        throw .system(path: Sysctl.key(forPathBelowProcSys: path), step: "open", errno: Errno(ENOENT))
    }

    public func writeSysctl(_ path: String, _ value: String) throws(SysctlError) {
        let write = Write.sysctl(path: path, value: value)
        writes.append(write)
        let key = Sysctl.key(forPathBelowProcSys: path)
        if let errno = injectFailure?(write) { throw .system(path: key, step: "write \(value)", errno: errno) }
        if let interface = Self.interface(ofSysctl: path), link(named: interface) == nil {
            throw .system(path: key, step: "open", errno: Errno(ENOENT))
        }
        state.sysctls[path] = value
    }

    // MARK: Helpers

    func name(_ index: Int32) -> String { state.links[index]?.name ?? "if\(index)" }

    private func checkDump(_ operation: String) throws(NetlinkError) {
        if let dumpErrno { throw NetlinkError(dumpErrno, operation: operation) }
    }

    private func injected(_ write: Write, operation: String) throws(NetlinkError) {
        if let errno = injectFailure?(write) {
            throw NetlinkError(errno, message: "injected by FakeKernel", operation: operation)
        }
    }

    func allocateIndex() -> Int32 {
        defer { nextIndex += 1 }
        return nextIndex
    }

    func allocateMAC() -> MACAddress {
        defer { nextMAC += 1 }
        return MACAddress(nextMAC)
    }

    func notify(_ event: NetlinkEvent) { pendingEvents.append(event) }

    /// The interface of `net/ipv4/conf/NAME/...` and the like.
    static func interface(ofSysctl path: String) -> String? {
        let parts = path.split(separator: "/")
        guard parts.count >= 5, parts[0] == "net", parts[2] == "conf" || parts[2] == "neigh",
            parts[3] != "all", parts[3] != "default"
        else { return nil }
        return String(parts[3])
    }
}
