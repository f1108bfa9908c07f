import Calculation
import CalicoAPI
import Netlink
import NetworkAddress

/// Computes the routes' plan: replace every desired route the kernel does not have exactly (which also takes
/// over a foreign route with the same destination and metric, as Felix does), and delete every Tabby-owned
/// route that is not desired, except those of a workload interface still in its grace period.
struct RoutePlanner {
    let view: KernelView
    let now: ContinuousClock.Instant
    let gracePeriod: Duration

    /// Adds the route operations to `plan`; returns the keys of the desired routes.
    @discardableResult
    func plan(_ desired: [CIDR: DesiredRoute], into plan: inout DataplanePlan) -> Set<RouteKey> {
        var desiredKeys = Set<RouteKey>(minimumCapacity: desired.count)
        var programming: [(CIDR, Route)] = []
        // Owned kernel routes that are desired; when that is all of them, nothing is left to sweep.
        var desiredOwned = 0
        var interfaces = InterfaceLookup(view: view)
        for (destination, route) in desired {
            switch kernelRoute(route, interfaces: &interfaces) {
            case .success(let kernelRoute):
                let key = RouteKey(kernelRoute)
                guard desiredKeys.insert(key).inserted else { continue }
                if let existing = view.routes[key] {
                    if existing.isOwned { desiredOwned += 1 }
                    if existing.route.isSameRoute(as: kernelRoute) { continue }
                }
                programming.append((destination, kernelRoute))
            case .failure(let failure):
                // Whatever the kernel has for this destination stays until the route can be built.
                let key = RouteKey(Route(destination: destination.masked))
                if desiredKeys.insert(key).inserted, view.routes[key]?.isOwned == true { desiredOwned += 1 }
                plan.failures.append(failure)
            }
        }
        for (destination, route) in programming.sorted(by: { $0.0 < $1.0 }) {
            plan.add(
                .routeProgramming, .replaceRoute(route),
                DataplaneWrite(
                    action: .replace, object: .route(destination), detail: route.describe(interfaceName: name)))
        }

        guard desiredOwned < view.ownedRoutes.count else { return desiredKeys }
        var removals: [Route] = []
        for key in view.ownedRoutes where !desiredKeys.contains(key) {
            guard let route = view.routes[key]?.route else { continue }
            if let expiry = graceExpiry(of: route), expiry > now {
                plan.keepUntil(expiry)
                continue
            }
            removals.append(route)
        }
        for route in removals.sorted(by: Self.destinationOrder) {
            plan.add(
                .routeRemoval, .deleteRoute(route),
                DataplaneWrite(
                    action: .delete, object: .route(route.destination),
                    detail: route.describe(interfaceName: name)))
        }
        return desiredKeys
    }

    /// The kernel form of a desired route, with the kernel's default metric made explicit.
    func kernelRoute(_ desired: DesiredRoute, interfaces: inout InterfaceLookup) -> Result<Route, DataplaneFailure> {
        let destination = desired.destination.masked
        let routeProtocol = RouteProtocol(desired.routeProtocol)
        let metric = Route.defaultMetric(destination.family)
        let mtu = desired.mtu.flatMap { $0 > 0 && $0 <= Int(UInt32.max) ? UInt32($0) : nil }
        switch desired.target {
        case .blackhole:
            return .success(
                Route(destination: destination, protocol: routeProtocol, metric: metric, type: .blackhole, mtu: mtu))
        case .interface(let name):
            guard let index = interfaces.index(of: name) else { return .failure(missing(name, desired)) }
            return .success(
                Route(
                    destination: destination, outputInterface: index, protocol: routeProtocol, metric: metric,
                    mtu: mtu))
        case .gateway(let gateway, let name):
            guard let index = interfaces.index(of: name) else { return .failure(missing(name, desired)) }
            return .success(
                Route(
                    destination: destination, gateway: gateway, outputInterface: index,
                    protocol: routeProtocol, metric: metric, isOnLink: true, mtu: mtu))
        }
    }

    /// When an undesired route on a workload interface may be removed; nil for routes without a grace period.
    private func graceExpiry(of route: Route) -> ContinuousClock.Instant? {
        guard let index = route.outputInterface, let name = view.name(of: index),
            view.policy.isWorkloadInterface(name), let seen = view.firstSeen[index]
        else { return nil }
        return seen.advanced(by: gracePeriod)
    }

    private func missing(_ interface: String, _ route: DesiredRoute) -> DataplaneFailure {
        DataplaneFailure(object: .route(route.destination), reason: "interface \(interface) does not exist")
    }

    private static func destinationOrder(_ lhs: Route, _ rhs: Route) -> Bool {
        (lhs.destination.address, lhs.destination.prefixLength, lhs.metric ?? 0)
            < (rhs.destination.address, rhs.destination.prefixLength, rhs.metric ?? 0)
    }

    private func name(_ index: Int32) -> String { view.displayName(index) }
}

/// Interface indexes by name, remembering the last answer: most routes of a plan go through the same device
/// (`vxlan.calico`), and comparing a short name is cheaper than hashing it.
struct InterfaceLookup {
    let view: KernelView
    private var lastName = ""
    private var lastIndex: Int32?

    init(view: KernelView) { self.view = view }

    mutating func index(of name: String) -> Int32? {
        if name != lastName {
            lastName = name
            lastIndex = view.index(of: name)
        }
        return lastIndex
    }
}
