import Calculation
import CalicoAPI
import Glibc
import Netlink
import SystemError

/// Makes the kernel match a desired dataplane, changing only the difference and only Tabby-owned state
/// (DESIGN.md rules 3 and 4).
///
/// The reconciler keeps a view of the kernel: a dump (the first apply, `resync()`, or after lost
/// notifications), kept current by its own writes and by `kernelChanged(_:)`. `apply` compares the desired
/// state with that view and sends only the difference, in one batch in Felix's order: devices first, then
/// addresses, VTEP neighbours and FDB entries, route removals, route programming, and device removal last.
/// An apply with nothing new makes no kernel writes. The first apply is a mark and sweep: every Tabby-owned
/// route, neighbour and FDB entry that is not desired is removed (workload routes after their grace period).
///
/// Not thread-safe: one owner, the agent's actor.
public final class DataplaneReconciler {
    public let configuration: Configuration
    /// The kernel this reconciler programs.
    public let kernel: any Kernel
    let clock: () -> ContinuousClock.Instant
    /// The kernel as last dumped and since updated (internal for the device preparation in another file).
    var view: KernelView
    private var sysctls = SysctlState()
    private var needsDump = true
    /// The route keys the last apply wanted, to tell which notifications matter.
    private var desiredRouteKeys: Set<RouteKey> = []
    /// Each link's up state as the kernel last reported it (dump or notification). Notifications arrive after
    /// the reconciler's own writes are in the view, so a "down" in them is compared with the previous report,
    /// not with the view: creating a device down and then setting it up is not a device going down.
    private var reportedUp: [Int32: Bool] = [:]
    /// Felix's `mtuIfacePattern` over the link names, for `environment` (internal for that extension).
    var mtuInterfaceMatcher = InterfacePatternMatcher()

    /// - Parameters:
    ///   - clock: the time used for the grace period of workload routes (injectable for tests).
    public init(
        kernel: any Kernel, configuration: Configuration = Configuration(),
        clock: @escaping () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.kernel = kernel
        self.configuration = configuration
        self.clock = clock
        view = KernelView(policy: OwnershipPolicy(configuration))
    }

    /// Whether the next apply dumps the kernel first.
    public var isResyncPending: Bool { needsDump }

    /// Makes the next apply dump the kernel first (the periodic full resync).
    public func requestResync() { needsDump = true }

    /// Dumps the kernel now and replaces the view: links, addresses, main-table routes, neighbours, and the
    /// VXLAN devices' FDB. The global sysctls are read again on the next apply, and so are the per-interface
    /// ones of interfaces that are new or were recreated, and of this resync's slice of the others (each
    /// interface's every `Configuration.sysctlReadBackRounds` resyncs).
    public func resync() throws(NetlinkError) {
        let links = try kernel.links()
        let addresses = try kernel.addresses()
        let routes = try kernel.mainTableRoutes(family: .v4) + ipv6Routes()
        let neighbors = try kernel.neighbors(family: .v4) + ipv6Neighbors()
        var fdb: [FDBEntry] = []
        for vxlan in links where Self.vxlanDeviceNames.contains(vxlan.name) {
            fdb += try kernel.fdbEntries(interfaceIndex: vxlan.index)
        }
        let previousIndexes = view.indexByName
        view.reset(links: links, addresses: addresses, routes: routes, neighbors: neighbors, fdb: fdb, now: clock())
        reportedUp = Dictionary(links.map { ($0.index, $0.isUp) }, uniquingKeysWith: { $1 })
        sysctls.resync(
            previous: previousIndexes, current: view.indexByName, rounds: configuration.sysctlReadBackRounds)
        needsDump = false
    }

    /// Programs `desired`: computes the difference from the kernel view and applies it. Never throws: whatever
    /// fails is in the report with the object it concerns, and everything else is still applied.
    public func apply(_ desired: DesiredDataplane) -> ApplyReport {
        let started = ContinuousClock.now
        var report = ApplyReport()
        defer { report.duration = ContinuousClock.now - started }
        if needsDump {
            do {
                try resync()
                report.dumpedKernel = true
            } catch {
                report.failures.append(DataplaneFailure(object: .kernel, error))
                return report
            }
        }
        let now = clock()

        let vxlan = VXLANIntents(
            v4: prepareVXLAN(desired.vxlan, name: VXLANDevice.name, report: &report),
            v6: prepareVXLAN(desired.vxlanV6, name: VXLANDevice.nameV6, report: &report))
        prepareIPIP(desired.ipip, report: &report)

        let plan = makePlan(desired, vxlan: vxlan, now: now)
        report.failures += plan.failures
        execute(plan, report: &report)
        applySysctls(desired.sysctls, report: &report)
        report.graceExpiry = plan.graceExpiry
        return report
    }

    /// The difference between `desired` and the view. A function of its own so that the planners' copies of
    /// the view are gone before the view is updated (no copy-on-write of the whole view).
    private func makePlan(_ desired: DesiredDataplane, vxlan: VXLANIntents, now: ContinuousClock.Instant)
        -> DataplanePlan
    {
        var plan = DataplanePlan()
        let devices = DevicePlanner(view: view)
        devices.planVXLAN(vxlan.v4, name: VXLANDevice.name, into: &plan)
        devices.planVXLAN(vxlan.v6, name: VXLANDevice.nameV6, into: &plan)
        devices.planIPIP(desired.ipip, into: &plan)
        let neighbors = NeighborPlanner(
            view: view, vxlanIndexes: Set([vxlan.v4.keptIndex, vxlan.v6.keptIndex].compactMap { $0 }))
        neighbors.planNeighbors(desired.neighbors, into: &plan)
        neighbors.planFDB(desired.fdb, into: &plan)
        let routes = RoutePlanner(view: view, now: now, gracePeriod: configuration.workloadRouteGracePeriod)
        desiredRouteKeys = routes.plan(desired.routes, into: &plan)
        return plan
    }

    /// What Tabby owns in the kernel now, as far as the view knows.
    public var summary: DataplaneSummary {
        let policy = view.policy
        let devices = configuration.deviceNames.filter { view.index(of: $0) != nil }
        let neighbors = view.neighbors.values.filter { neighbor in
            guard neighbor.state.contains(.permanent), let name = view.name(of: neighbor.interfaceIndex) else {
                return false
            }
            return policy.isWorkloadInterface(name) || policy.deviceNames.contains(name)
        }
        return DataplaneSummary(
            routes: view.ownedRoutes.count, devices: devices, neighbors: neighbors.count, fdbEntries: view.fdb.count)
    }

    // MARK: Executing a plan

    /// Sends the plan as one batch and keeps the view in step with what the kernel accepted.
    private func execute(_ plan: DataplanePlan, report: inout ApplyReport) {
        let ordered = plan.ordered
        guard !ordered.isEmpty else { return }
        let failures: [NetlinkOperationFailure]
        do {
            failures = try kernel.apply(ordered.map(\.operation))
        } catch {
            // The outcome is unknown (replies lost): learn it from a dump before the next plan.
            needsDump = true
            report.failures.append(DataplaneFailure(object: .kernel, error))
            return
        }
        var failed: [Int: NetlinkError] = [:]
        for failure in failures { failed[failure.index] = failure.error }
        for (index, planned) in ordered.enumerated() {
            guard let error = failed[index] else {
                view.record(planned.operation)
                report.writes.append(planned.write)
                continue
            }
            if planned.isRemoval, Self.meansAlreadyGone(error.errno) {
                view.record(planned.operation)
            } else {
                report.failures.append(DataplaneFailure(object: planned.object, error))
                // A device the view still has is gone (its deletion not yet seen): learn the truth before the
                // next plan rather than aiming at the old interface index again.
                if error.errno == Errno(ENODEV) { needsDump = true }
            }
        }
    }

    /// The errors of a removal whose object is already gone: the wanted state holds.
    private static func meansAlreadyGone(_ errno: Errno) -> Bool {
        [Errno(ESRCH), Errno(ENOENT), Errno(EADDRNOTAVAIL), Errno(ENODEV)].contains(errno)
    }

    // MARK: Sysctls

    /// Writes the sysctls whose kernel value differs; values known from an earlier apply are not even read, and
    /// the others are read in one batch.
    private func applySysctls(_ desired: [String: String], report: inout ApplyReport) {
        let unknown = desired.filter { !sysctls.isKnown($0.key, as: $0.value) }.sorted { $0.key < $1.key }
        guard !unknown.isEmpty else { return }
        let values = kernel.readSysctls(unknown.map(\.key))
        for ((path, value), read) in zip(unknown, values) {
            do throws(SysctlError) {
                let current = try read.get()
                if SysctlState.sameValue(current, value) {
                    sysctls.remember(path, current)
                    continue
                }
                try kernel.writeSysctl(path, value)
                sysctls.remember(path, value)
                report.writes.append(DataplaneWrite(action: .write, object: .sysctl(path), detail: value))
            } catch {
                report.failures.append(DataplaneFailure(object: .sysctl(path), error))
            }
        }
    }

    // MARK: Notifications

    /// Updates the view from a notification (`NetlinkMonitor`). Returns whether the event is news about Tabby's
    /// state (an owned or desired route, Tabby's devices, workload interfaces, their neighbours and FDB entries)
    /// and so calls for an apply soon; the echo of the reconciler's own write is not. `.resyncNeeded` makes the
    /// next apply dump the kernel.
    @discardableResult
    public func kernelChanged(_ event: NetlinkEvent) -> Bool {
        switch event {
        case .resyncNeeded:
            needsDump = true
            return true
        case .link(.new, let link):
            let previous = view.upsertLink(link, now: clock())
            if previous?.name != link.name {
                sysctls.forget(interface: link.name)
                if let previous { sysctls.forget(interface: previous.name) }
            }
            let wasUp = reportedUp.updateValue(link.isUp, forKey: link.index)
            if wasUp == true, !link.isUp {
                // The kernel flushes the IPv4 routes of a device that goes down without notifications.
                needsDump = true
            }
            return concerns(link.name) || previous.map { concerns($0.name) } ?? false
        case .link(.deleted, let link):
            view.removeLink(index: link.index)
            reportedUp[link.index] = nil
            sysctls.forget(interface: link.name)
            return concerns(link.name)
        case .address(let change, let address):
            let known = view.addresses(of: address.interfaceIndex).contains { $0.prefix == address.prefix }
            if change == .new { view.upsertAddress(address) } else { view.removeAddress(address) }
            // The echo of an address the view already has is not news.
            guard change == .deleted || !known else { return false }
            return view.name(of: address.interfaceIndex).map { view.policy.deviceNames.contains($0) } ?? false
        case .route(let change, let route):
            guard route.table == .main else { return false }
            let key = RouteKey(route)
            guard change == .new else {
                view.removeRoute(key)
                // Only a desired route going away needs repair; an undesired one going is what was wanted.
                return desiredRouteKeys.contains(key)
            }
            let echo = view.routes[key]?.route == route.normalized
            view.upsertRoute(route)
            return !echo && (view.ownedRoutes.contains(key) || desiredRouteKeys.contains(key))
        case .neighbor(let change, let neighbor):
            let known = view.neighbors[NeighborKey(interfaceIndex: neighbor.interfaceIndex, address: neighbor.address)]
            if change == .new { view.upsertNeighbor(neighbor) } else { view.removeNeighbor(neighbor) }
            if change == .new, let known, known.state == neighbor.state,
                known.linkLayerAddress == neighbor.linkLayerAddress
            {
                return false
            }
            return view.name(of: neighbor.interfaceIndex).map(concerns) ?? false
        case .fdb(let change, let entry):
            guard Self.vxlanDeviceNames.contains(where: { view.index(of: $0) == entry.interfaceIndex }) else {
                return false
            }
            let known = view.fdb[FDBKey(entry)] != nil
            if change == .new { view.upsertFDB(entry) } else { view.removeFDB(entry) }
            return change == .deleted || !known
        }
    }

    /// The VXLAN devices, whose FDB entries are Tabby's.
    static let vxlanDeviceNames = [VXLANDevice.name, VXLANDevice.nameV6]

    /// Tabby's devices and workload interfaces.
    private func concerns(_ interfaceName: String) -> Bool {
        view.policy.deviceNames.contains(interfaceName) || view.policy.isWorkloadInterface(interfaceName)
    }

    /// The IPv6 main-table routes, or none when the kernel has IPv6 disabled.
    private func ipv6Routes() throws(NetlinkError) -> [Route] {
        do {
            return try kernel.mainTableRoutes(family: .v6)
        } catch  where error.errno == Errno(EAFNOSUPPORT) {
            return []
        }
    }

    /// The IPv6 neighbours, or none when the kernel has IPv6 disabled.
    private func ipv6Neighbors() throws(NetlinkError) -> [Neighbor] {
        do {
            return try kernel.neighbors(family: .v6)
        } catch  where error.errno == Errno(EAFNOSUPPORT) {
            return []
        }
    }
}
