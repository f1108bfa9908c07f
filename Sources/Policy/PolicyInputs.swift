import CalicoAPI
import ResourceCache

/// A resource cache and the policy calculation fed from it, given resources directly: what tools (`tabbyctl
/// policy show`), tests and benchmarks use. The agent keeps the same pair in its calculation pipeline.
public struct PolicyInputs: Sendable {
    public private(set) var cache = ResourceCache()
    private var calculation: PolicyCalculation

    /// - Parameter node: the node whose program is kept current incrementally (see `PolicyCalculation`);
    ///   programs of other nodes are computed from scratch.
    public init(following node: String = "") {
        calculation = PolicyCalculation(node: node)
    }

    public var state: PolicyState { calculation.state }

    /// Work the incremental calculation did so far.
    public var statistics: PolicyCalculation.Statistics { calculation.statistics }

    /// Adds or replaces a resource of any kind (kinds policy does not read are ignored). Returns true when the
    /// cache changed.
    @discardableResult
    public mutating func upsert(_ resource: AnyResource) -> Bool {
        guard let delta = cache.upsert(resource) else { return false }
        calculation.apply(delta, cache: cache)
        return true
    }

    /// Removes a resource by key. Returns true when the cache held it.
    @discardableResult
    public mutating func remove(_ key: ResourceKey) -> Bool {
        guard let delta = cache.remove(key) else { return false }
        calculation.apply(delta, cache: cache)
        return true
    }

    /// The program of `node`: for the followed node brought up to date incrementally, for another computed from
    /// scratch.
    public mutating func program(node: String) -> PolicyProgram {
        if node == calculation.node { return calculation.program(cache: cache) }
        return PolicyCalculator.program(state: state, cache: cache, node: node)
    }

    /// The tiers, policies and profiles that apply to one endpoint; nil when there is no such endpoint.
    public func report(endpoint key: ResourceKey) -> EndpointPolicyReport? {
        PolicyCalculator.report(state: state, cache: cache, endpoint: key)
    }

    /// The labels selectors see for an endpoint or network set.
    public func effectiveLabels(of key: ResourceKey) -> Labels? { state.effectiveLabels(of: key) }

    /// Sets whose members changed since the followed node's last program.
    public var changedSets: Set<SetID> { state.changedSets }
}
