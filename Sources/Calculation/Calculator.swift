import CalicoAPI
import ResourceCache

/// Computes the desired dataplane of one node from the cluster state, following Felix's conventions
/// (calico-reference.md §4). Pure: the same inputs give the same value, and nothing is read or written
/// besides the arguments.
///
/// Cost: this node's WorkloadEndpoints plus the cluster's nodes and blocks (and the borrowed addresses,
/// which the resource cache lists per block when the block arrives); never the cluster's endpoints.
public enum Calculator {
    /// The routes, devices, neighbours, FDB entries, sysctls and pod MTU that `node` should have, and the
    /// problems that kept something from being programmed.
    public static func desired(
        cache: ResourceCache, node: String, environment: NodeEnvironment, settings: FelixSettings
    ) -> DesiredDataplane {
        var builder = DataplaneBuilder(cache: cache, node: node, environment: environment, settings: settings)
        builder.addNodeProblems()
        builder.addKernelSysctls()
        builder.addTunnelDevices()
        builder.addPodMTU()
        builder.addWorkloads()
        builder.addBlockRoutes()
        builder.addRemoteVTEPs()
        return builder.finish()
    }
}

/// The working state of one calculation: the inputs, what is decided once (which encapsulations are on),
/// and the result being filled in.
struct DataplaneBuilder {
    let cache: ResourceCache
    let nodeName: String
    let local: NodeRecord?
    let environment: NodeEnvironment
    let settings: FelixSettings
    /// VXLAN and IPIP in effect: FelixConfiguration's flag, else whether an IPv4 pool uses the encapsulation.
    let vxlanEnabled: Bool
    let ipipEnabled: Bool
    /// IPv6 VXLAN in effect: as Felix, whether an IPv6 pool uses VXLAN (no FelixConfiguration field switches it),
    /// and only with `ipv6Support`.
    let vxlanEnabledV6: Bool
    var result = DesiredDataplane()
    /// A set, since many blocks can hit the same problem (a pool's encapsulation that is switched off).
    var problems: Set<DataplaneProblem> = []

    init(cache: ResourceCache, node: String, environment: NodeEnvironment, settings: FelixSettings) {
        self.cache = cache
        self.nodeName = node
        self.local = cache.nodes[node]
        self.environment = environment
        self.settings = settings
        let ipv4Pools = cache.poolsBySpecificity.filter { $0.cidr.family == .v4 }
        vxlanEnabled = settings.vxlanEnabled ?? ipv4Pools.contains { $0.vxlanMode != .never }
        ipipEnabled = settings.ipipEnabled ?? ipv4Pools.contains { $0.ipipMode != .never }
        vxlanEnabledV6 =
            settings.ipv6Support
            && cache.poolsBySpecificity.contains { $0.cidr.family == .v6 && $0.vxlanMode != .never }
        // Sized up front: growing these collections (rehashing every key) was a large share of the time.
        let endpoints = cache.workloadsByNode[node]?.count ?? 0
        result.routes.reserveCapacity(cache.blocks.count + endpoints + 16)
        result.sysctls.reserveCapacity(2 + endpoints * 8)
        result.neighbors.reserveCapacity(cache.nodes.count + endpoints)
        result.fdb.reserveCapacity(cache.nodes.count * (vxlanEnabledV6 ? 2 : 1))
    }

    var nodeResource: String { ResourceKey(kind: .node, name: nodeName).description }

    mutating func problem(_ resource: String, _ reason: String) {
        problems.insert(DataplaneProblem(resource: resource, reason: reason))
    }

    /// Adds a route; when another route has the same destination, the lower kind wins (Felix's route classes),
    /// and between equal kinds the lower target, so the result does not depend on iteration order.
    mutating func add(_ route: DesiredRoute) {
        if let existing = result.routes[route.destination] {
            let keepExisting =
                existing.kind != route.kind
                ? existing.kind < route.kind
                : String(describing: existing.target) <= String(describing: route.target)
            if keepExisting { return }
        }
        result.routes[route.destination] = route
    }

    /// Problems with this node's Node resource, and resources the cache could not interpret.
    mutating func addNodeProblems() {
        if let local {
            for reason in local.problems { problem(nodeResource, reason) }
        } else {
            problem(nodeResource, "this node has no Node resource yet; routes to other nodes wait for its address")
        }
        for (key, reason) in cache.unusable { problem(key.description, reason) }
    }

    /// Forwarding on, as Felix's `configureKernel` does when `ipForwarding` is Enabled.
    mutating func addKernelSysctls() {
        guard settings.ipForwarding == .enabled else { return }
        result.sysctls["net/ipv4/ip_forward"] = "1"
        if settings.ipv6Support { result.sysctls["net/ipv6/conf/all/forwarding"] = "1" }
    }

    /// The pod MTU: the smallest MTU among the encapsulations in use (IPv6 VXLAN included), else the host MTU.
    mutating func addPodMTU() {
        var candidates: [Int] = []
        if vxlanEnabled { candidates.append(settings.effectiveVXLANMTU(hostMTU: environment.hostMTU)) }
        if ipipEnabled { candidates.append(settings.effectiveIPIPMTU(hostMTU: environment.hostMTU)) }
        if vxlanEnabledV6 { candidates.append(settings.effectiveVXLANMTUV6(hostMTU: environment.hostMTU)) }
        result.podMTU = candidates.min() ?? environment.hostMTU
    }

    func finish() -> DesiredDataplane {
        var result = self.result
        result.problems = problems.sorted { ($0.resource, $0.reason) < ($1.resource, $1.reason) }
        return result
    }
}
