import Calculation
import CalicoAPI
import Datastore
import Policy
import ResourceCache

/// The agent's calculation graph: the resource cache, and the calculations that subscribe to its deltas by
/// kind. A datastore event becomes at most one delta; each calculation is handed only the kinds it reads, and
/// says whether its output may have changed, so an apply recomputes and reconciles only what a change touched.
struct CalculationPipeline {
    /// What one event may have changed.
    struct Impact: Equatable {
        var routes = false
        var policy = false
        /// The FelixConfiguration settings must be resolved again.
        var settings = false
        /// An IPPool changed, or this node's own Node: its tunnel addresses may need claiming again.
        var tunnels = false
        /// BIRD's configuration may have to be rendered again (a BGP kind, a Node, a pool or a block changed).
        var bgp = false

        var isEmpty: Bool { !routes && !policy && !settings && !tunnels && !bgp }
    }

    /// The kinds the datastore watch must deliver: every kind a calculation subscribes to.
    static let watchedKinds: Set<ResourceKind> = RouteCalculation.kinds.union(PolicyCalculation.kinds).union(bgpKinds)

    /// The kinds BIRD's configuration is rendered from.
    static let bgpKinds: Set<ResourceKind> = [.bgpConfiguration, .bgpPeer, .bgpFilter, .node, .ipPool, .ipamBlock]

    let node: String
    private(set) var cache = ResourceCache()
    private(set) var routes: RouteCalculation
    private(set) var policy: PolicyCalculation
    /// How many deltas the cache produced, and how many no calculation cared about.
    private(set) var deltas = 0
    private(set) var unusedDeltas = 0

    init(node: String) {
        self.node = node
        routes = RouteCalculation(node: node)
        policy = PolicyCalculation(node: node)
    }

    /// Feeds one watch event (`.added`, `.modified` or `.deleted`; others have no delta).
    mutating func ingest(_ event: WatchEvent) -> Impact {
        let delta: ResourceDelta?
        switch event {
        case .added(let resource), .modified(let resource): delta = cache.upsert(resource)
        case .deleted(let resource): delta = cache.remove(resource.key)
        case .synced, .problem, .problemCleared, .resyncing: delta = nil
        }
        guard let delta else { return Impact() }
        deltas += 1
        var impact = Impact()
        if RouteCalculation.kinds.contains(delta.kind) { impact.routes = routes.apply(delta) }
        if PolicyCalculation.kinds.contains(delta.kind) { impact.policy = policy.apply(delta, cache: cache) }
        impact.settings = delta.kind == .felixConfiguration
        impact.bgp = Self.bgpKinds.contains(delta.kind)
        impact.tunnels = delta.kind == .ipPool || (delta.kind == .node && delta.key.name == node)
        if impact.isEmpty { unusedDeltas += 1 }
        return impact
    }

    /// The desired dataplane (recomputed only when needed; see `RouteCalculation`).
    mutating func desiredDataplane(environment: NodeEnvironment, settings: FelixSettings) -> DesiredDataplane {
        routes.desired(cache: cache, environment: environment, settings: settings)
    }

    /// The node's policy program (recomputed or patched only as needed; see `PolicyCalculation`).
    mutating func policyProgram() -> PolicyProgram { policy.program(cache: cache) }

    /// Everything is computed afresh next time (after a reload).
    mutating func invalidate() {
        routes.invalidate()
        policy.invalidate()
    }
}
