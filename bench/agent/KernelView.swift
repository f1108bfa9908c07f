import Glibc
import Netlink
import Synchronization

/// What tabbyd programmed in a node namespace, read back with netlink dumps, and the same state as `ip -batch`,
/// `bridge -batch` and `sysctl` input: the cold start of a script-based agent, and the replay such an agent does
/// on every resync.
struct KernelView {
    var routes: [Route]
    var neighbors: [Neighbor]
    var fdb: [FDBEntry]
    var vxlan: Link?
    var vxlanAddresses: [InterfaceAddress]
    var names: [Int32: String]

    /// Dumps the IPv4 main table (without the kernel's own routes), permanent neighbours, `vxlan.calico`, its
    /// addresses and FDB entries.
    init(namespace: String) throws {
        let socket = try RouteSocket(in: NetworkNamespace(named: namespace))
        let links = try socket.links()
        names = Dictionary(uniqueKeysWithValues: links.map { ($0.index, $0.name) })
        routes = try socket.routes(family: .v4, table: .main).filter { $0.protocol != .kernel }
        neighbors = try socket.neighbors(family: .v4).filter { $0.state == .permanent }
        vxlan = links.first { $0.name == "vxlan.calico" }
        if let vxlan {
            fdb = try socket.fdbEntries(interfaceIndex: vxlan.index).filter { $0.destination != nil }
            vxlanAddresses = try socket.addresses(family: .v4, interfaceIndex: vxlan.index)
        } else {
            fdb = []
            vxlanAddresses = []
        }
    }

    private func name(_ index: Int32?) -> String { index.flatMap { names[$0] } ?? "?" }

    var workloadRoutes: Int { routes.filter { name($0.outputInterface).hasPrefix("cali") }.count }
    var blackholes: Int { routes.filter { $0.type == .blackhole }.count }
    var tunnelRoutes: Int { routes.filter { name($0.outputInterface) == "vxlan.calico" }.count }
    /// The workload interfaces that have a route.
    var workloadInterfaces: [String] {
        Set(routes.map { name($0.outputInterface) }.filter { $0.hasPrefix("cali") }).sorted()
    }

    /// `ip route` syntax for a dumped route.
    func routeText(_ route: Route) -> String {
        var text = route.type == .blackhole ? "blackhole \(route.destination)" : "\(route.destination)"
        if let gateway = route.gateway { text += " via \(gateway)" }
        if let device = route.outputInterface { text += " dev \(name(device))" }
        if route.type == .unicast && route.gateway == nil { text += " scope link" }
        text += " proto \(route.protocol.rawValue)"
        if let metric = route.metric, metric != 0 { text += " metric \(metric)" }
        if route.isOnLink { text += " onlink" }
        if let mtu = route.mtu { text += " mtu \(mtu)" }
        return text
    }

    private func neighborText(_ neighbor: Neighbor) -> String {
        "\(neighbor.address) lladdr \(neighbor.linkLayerAddress.map { "\($0)" } ?? "00:00:00:00:00:00")"
            + " dev \(name(neighbor.interfaceIndex)) nud permanent"
    }

    private func fdbText(_ entry: FDBEntry) -> String {
        "\(entry.macAddress) dev \(name(entry.interfaceIndex)) dst \(entry.destination.map { "\($0)" } ?? "")"
            + " self permanent"
    }

    /// The cold start as `ip -batch` lines: the VXLAN device with its address, up; permanent neighbours; routes.
    func ipColdStart() throws -> [String] {
        var lines: [String] = []
        if let vxlan {
            guard case .vxlan(let attributes) = vxlan.kind, let mac = vxlan.macAddress else {
                throw BenchError("vxlan.calico is not a VXLAN device: \(vxlan)")
            }
            var create = "link add vxlan.calico address \(mac) mtu \(vxlan.mtu) type vxlan id \(attributes.vni)"
            if let local = attributes.local { create += " local \(local)" }
            if let parent = attributes.parentIndex { create += " dev \(name(parent))" }
            create += " dstport \(attributes.port)" + (attributes.learning ? "" : " nolearning")
            lines.append(create)
            for address in vxlanAddresses { lines.append("address add \(address.prefix) dev vxlan.calico") }
            lines.append("link set vxlan.calico up")
        }
        lines += neighbors.map { "neigh add " + neighborText($0) }
        lines += routes.map { "route add " + routeText($0) }
        return lines
    }

    /// The cold start's FDB entries as `bridge -batch` lines.
    var bridgeColdStart: [String] { fdb.map { "fdb add " + fdbText($0) } }

    /// What a script-based agent replays on every resync: every neighbour and route with `replace`.
    var ipReplay: [String] {
        neighbors.map { "neigh replace " + neighborText($0) } + routes.map { "route replace " + routeText($0) }
    }

    var bridgeReplay: [String] { fdb.map { "fdb replace " + fdbText($0) } }

    /// The sysctls tabbyd sets (Docs/calculation.md), as `sysctl -w` arguments.
    var sysctlArguments: [String] {
        var arguments = ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]
        for interface in workloadInterfaces {
            arguments += [
                "net.ipv4.conf.\(interface).proxy_arp=1", "net.ipv4.neigh.\(interface).proxy_delay=0",
                "net.ipv4.conf.\(interface).forwarding=1", "net.ipv4.conf.\(interface).route_localnet=1",
                "net.ipv4.conf.\(interface).rp_filter=1", "net.ipv6.conf.\(interface).accept_ra=0",
                "net.ipv6.conf.\(interface).proxy_ndp=1", "net.ipv6.conf.\(interface).forwarding=1",
            ]
        }
        return arguments
    }

    /// Whether another namespace holds the same routes, neighbours and FDB entries (compared as text, since
    /// interface indexes differ between namespaces).
    func matches(_ other: KernelView) -> Bool {
        Set(routes.map(routeText)) == Set(other.routes.map(other.routeText))
            && Set(neighbors.map(neighborText)) == Set(other.neighbors.map(other.neighborText))
            && Set(fdb.map(fdbText)) == Set(other.fdb.map(other.fdbText))
    }
}

/// Watches a namespace's IPv4 route notifications and records when each destination was first added, stamped
/// as the event arrives (so the reader's polling interval does not count).
final class RouteArrivals {
    private final class Table: Sendable {
        let arrivals = Mutex<[String: ContinuousClock.Instant]>([:])
    }

    private let monitor: NetlinkMonitor
    private let table = Table()

    init(namespace: String) throws {
        monitor = try NetlinkMonitor(in: NetworkNamespace(named: namespace), groups: .ipv4Route)
        let events = try monitor.events()
        let table = self.table
        Task.detached {
            for await event in events {
                guard case .route(.new, let route) = event else { continue }
                let now = ContinuousClock.now
                let key = "\(route.destination)"
                table.arrivals.withLock { if $0[key] == nil { $0[key] = now } }
            }
        }
    }

    deinit { monitor.stop() }

    /// When `destination` (`10.128.0.1/32`) was added; waits up to `timeout`.
    func wait(for destination: String, timeout: Duration) -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let instant = table.arrivals.withLock({ $0[destination] }) { return instant }
            usleep(100)
        }
        return nil
    }
}
