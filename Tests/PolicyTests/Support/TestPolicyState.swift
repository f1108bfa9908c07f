import CalicoAPI
import ResourceCache

@testable import Policy

/// The resource cache and the policy state, fed as the agent feeds them (each resource through the cache, each
/// delta into the state), with the state's insides in reach of the tests.
struct TestPolicyState {
    var cache = ResourceCache()
    var state = PolicyState()

    /// True when the cache changed.
    @discardableResult
    mutating func upsert(_ resource: AnyResource) -> Bool {
        guard let delta = cache.upsert(resource) else { return false }
        state.apply(delta, cache: cache)
        return true
    }

    @discardableResult
    mutating func remove(_ key: ResourceKey) -> Bool {
        guard let delta = cache.remove(key) else { return false }
        state.apply(delta, cache: cache)
        return true
    }

    var index: SelectorIndex { state.index }
    var changedSets: Set<SetID> { state.changedSets }
    var unusable: [ResourceKey: String] { state.unusable }
    mutating func clearChangedSets() { state.clearChangedSets() }
    func members(of set: SetID) -> Set<ResourceKey>? { state.members(of: set) }
    func effectiveLabels(of key: ResourceKey) -> Labels? { state.effectiveLabels(of: key) }
    func node(of key: ResourceKey) -> String? { cache.node(of: key) }
}

extension PolicyCalculator {
    static func program(state: TestPolicyState, node: String) -> PolicyProgram {
        program(state: state.state, cache: state.cache, node: node)
    }

    static func report(state: TestPolicyState, endpoint key: ResourceKey) -> EndpointPolicyReport? {
        report(state: state.state, cache: state.cache, endpoint: key)
    }
}
