import Netlink
import NetworkAddress

/// The reconciler's picture of the kernel: what the last dump showed, kept current by the reconciler's own
/// writes and by netlink notifications. Routes are those of the main table; FDB entries those of the VXLAN
/// device; links, addresses and neighbours all of them.
struct KernelView {
    private(set) var links: [Int32: Link] = [:]
    private(set) var indexByName: [String: Int32] = [:]
    /// When each link (by index) was first seen, for the workload-route grace period.
    private(set) var firstSeen: [Int32: ContinuousClock.Instant] = [:]
    private(set) var addresses: [Int32: [CIDR: InterfaceAddress]] = [:]
    /// Main-table routes with whether each is Tabby's.
    private(set) var routes: [RouteKey: ViewRoute] = [:]
    /// The keys of routes that are Tabby's, kept as routes and link names change.
    private(set) var ownedRoutes: Set<RouteKey> = []
    private(set) var neighbors: [NeighborKey: Neighbor] = [:]
    private(set) var fdb: [FDBKey: FDBEntry] = [:]

    let policy: OwnershipPolicy

    init(policy: OwnershipPolicy) { self.policy = policy }

    // MARK: Lookups

    func index(of name: String) -> Int32? { indexByName[name] }

    func link(named name: String) -> Link? { indexByName[name].flatMap { links[$0] } }

    func name(of index: Int32?) -> String? { index.flatMap { links[$0]?.name } }

    /// Names an interface for texts: its name, or "if<N>" when unknown.
    func displayName(_ index: Int32) -> String { links[index]?.name ?? "if\(index)" }

    func isOwned(_ route: Route) -> Bool { policy.owns(route, interfaceName: name(of: route.outputInterface)) }

    // MARK: Whole dumps

    /// Replaces everything with a fresh dump. Links seen before keep their first-seen time.
    mutating func reset(
        links newLinks: [Link], addresses newAddresses: [InterfaceAddress], routes newRoutes: [Route],
        neighbors newNeighbors: [Neighbor], fdb newFDB: [FDBEntry], now: ContinuousClock.Instant
    ) {
        links = [:]
        indexByName = [:]
        var seen: [Int32: ContinuousClock.Instant] = [:]
        for link in newLinks {
            links[link.index] = link
            indexByName[link.name] = link.index
            seen[link.index] = firstSeen[link.index] ?? now
        }
        firstSeen = seen
        addresses = [:]
        for address in newAddresses { addresses[address.interfaceIndex, default: [:]][address.prefix] = address }
        routes = [:]
        ownedRoutes = []
        for route in newRoutes where route.table == .main { upsertRoute(route) }
        neighbors = [:]
        for neighbor in newNeighbors { upsertNeighbor(neighbor) }
        fdb = [:]
        for entry in newFDB { upsertFDB(entry) }
    }

    // MARK: Links

    /// Adds or updates a link; returns the previous state of that index.
    @discardableResult
    mutating func upsertLink(_ link: Link, now: ContinuousClock.Instant) -> Link? {
        let previous = links[link.index]
        if let previous, previous.name != link.name, indexByName[previous.name] == link.index {
            indexByName[previous.name] = nil
        }
        links[link.index] = link
        indexByName[link.name] = link.index
        if firstSeen[link.index] == nil { firstSeen[link.index] = now }
        if let previous, previous.name != link.name { recomputeOwnership(interfaceIndex: link.index) }
        return previous
    }

    /// Forgets a link and everything the kernel removes with it (addresses, routes, neighbours, FDB entries).
    mutating func removeLink(index: Int32) {
        if let link = links.removeValue(forKey: index), indexByName[link.name] == index {
            indexByName[link.name] = nil
        }
        firstSeen[index] = nil
        addresses[index] = nil
        forgetRoutes(outputInterface: index)
        neighbors = neighbors.filter { $0.key.interfaceIndex != index }
        fdb = fdb.filter { $0.key.interfaceIndex != index }
    }

    /// Forgets the routes through an interface (the kernel flushes IPv4 routes of a device that goes down or
    /// away without telling anyone).
    mutating func forgetRoutes(outputInterface index: Int32) {
        for (key, entry) in routes where entry.route.outputInterface == index { removeRoute(key) }
    }

    mutating func applyLinkChange(index: Int32, _ change: LinkChange) {
        guard var link = links[index] else { return }
        if let isUp = change.isUp { link.flags = isUp ? link.flags | 0x1 : link.flags & ~UInt32(0x1) }
        if let mtu = change.mtu { link.mtu = mtu }
        if let mac = change.macAddress { link.macAddress = mac }
        links[index] = link
    }

    private mutating func recomputeOwnership(interfaceIndex: Int32) {
        for (key, entry) in routes where entry.route.outputInterface == interfaceIndex {
            let owned = isOwned(entry.route)
            routes[key]?.isOwned = owned
            if owned { ownedRoutes.insert(key) } else { ownedRoutes.remove(key) }
        }
    }

    // MARK: Addresses

    func addresses(of index: Int32) -> [InterfaceAddress] { addresses[index].map { Array($0.values) } ?? [] }

    mutating func upsertAddress(_ address: InterfaceAddress) {
        addresses[address.interfaceIndex, default: [:]][address.prefix] = address
    }

    mutating func removeAddress(_ address: InterfaceAddress) {
        addresses[address.interfaceIndex]?[address.prefix] = nil
    }

    // MARK: Routes

    mutating func upsertRoute(_ route: Route) {
        guard route.table == .main else { return }
        let normalized = route.normalized
        let key = RouteKey(normalized)
        let owned = isOwned(normalized)
        routes[key] = ViewRoute(route: normalized, isOwned: owned)
        if owned { ownedRoutes.insert(key) } else { ownedRoutes.remove(key) }
    }

    mutating func removeRoute(_ key: RouteKey) {
        routes[key] = nil
        ownedRoutes.remove(key)
    }

    // MARK: Neighbours and FDB

    mutating func upsertNeighbor(_ neighbor: Neighbor) {
        neighbors[NeighborKey(interfaceIndex: neighbor.interfaceIndex, address: neighbor.address)] = neighbor
    }

    mutating func removeNeighbor(_ neighbor: Neighbor) {
        neighbors[NeighborKey(interfaceIndex: neighbor.interfaceIndex, address: neighbor.address)] = nil
    }

    mutating func upsertFDB(_ entry: FDBEntry) { fdb[FDBKey(entry)] = entry }

    mutating func removeFDB(_ entry: FDBEntry) {
        if entry.destination == nil {
            // A delete without a destination removes every remote of that MAC.
            fdb = fdb.filter { !($0.key.interfaceIndex == entry.interfaceIndex && $0.key.mac == entry.macAddress) }
        } else {
            fdb[FDBKey(entry)] = nil
        }
    }
}

/// A main-table route in the view, with its ownership decided when it was learnt (and again when its interface
/// is renamed).
struct ViewRoute: Sendable {
    var route: Route
    var isOwned: Bool
}
