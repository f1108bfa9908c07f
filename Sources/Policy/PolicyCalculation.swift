import CalicoAPI
import ResourceCache

/// Keeps one node's policy program current from the resource cache's deltas, doing work in proportion to what
/// a change can affect (Felix's calculation graph works this way too: each stage remembers what it emitted and
/// passes on only the difference).
///
/// * A change of policies, tiers or profile rules, of this node's own endpoints (or their inherited labels), of
///   pools, of a node's addresses or of FelixConfiguration recomputes the program.
/// * A change elsewhere (a remote endpoint, a network set) only moves members between selector sets; the sets
///   this node's program uses are refreshed in place and nothing else is recomputed.
/// * A change that moves no set member (a remote endpoint's label no selector reads) costs nothing at all.
public struct PolicyCalculation: Sendable {
    /// Work done so far, for tests and the agent's metrics.
    public struct Statistics: Sendable, Equatable {
        /// Programs computed from scratch.
        public var fullCalculations = 0
        /// Programs brought up to date by refreshing changed sets only.
        public var setRefreshes = 0
        /// Deltas that could not change this node's program.
        public var ignoredDeltas = 0
    }

    /// The kinds whose deltas this calculation reads.
    public static let kinds: Set<ResourceKind> = PolicyState.kinds.union([.ipPool, .node, .felixConfiguration])

    public let node: String
    public private(set) var state = PolicyState()
    public private(set) var statistics = Statistics()
    private var program: PolicyProgram?
    private var needsFullCalculation = true

    public init(node: String) {
        self.node = node
    }

    /// Whether the program may differ from the last one returned by `program(cache:)`.
    public var isDirty: Bool { needsFullCalculation || program == nil || !state.changedSets.isEmpty }

    /// Feeds one delta of `cache` (the cache as it is after the change). Returns whether this node's program may
    /// have changed.
    @discardableResult
    public mutating func apply(_ delta: ResourceDelta, cache: ResourceCache) -> Bool {
        let wasDirty = isDirty
        switch delta.kind {
        case .ipPool, .felixConfiguration:
            needsFullCalculation = true
        case .node:
            let (previous, current) = delta.contents(as: Node.self)
            if previous?.spec.bgp?.ipv4Address != current?.spec.bgp?.ipv4Address
                || previous?.spec.bgp?.ipv6Address != current?.spec.bgp?.ipv6Address
            {
                needsFullCalculation = true
            }
        default:
            let change = state.apply(delta, cache: cache)
            if change.rules || touchesLocalEndpoint(delta) || change.items.contains(where: { isLocal($0, cache) }) {
                needsFullCalculation = true
            }
        }
        if !wasDirty && !isDirty { statistics.ignoredDeltas += 1 }
        return isDirty
    }

    /// Forgets the last program, so that the next one is computed from scratch (after a reload, say).
    public mutating func invalidate() { needsFullCalculation = true }

    /// The node's program: computed from scratch when something it depends on directly changed, else the last
    /// one with the changed sets refreshed.
    public mutating func program(cache: ResourceCache) -> PolicyProgram {
        if needsFullCalculation || program == nil {
            program = PolicyCalculator.program(state: state, cache: cache, node: node)
            statistics.fullCalculations += 1
        } else if !state.changedSets.isEmpty {
            refreshSets(&program!)
            statistics.setRefreshes += 1
        }
        needsFullCalculation = false
        state.clearChangedSets()
        return program!
    }

    private func refreshSets(_ program: inout PolicyProgram) {
        for id in state.changedSets {
            guard let definition = program.setDefinitions[id] else { continue }
            if definition.namedPort == nil {
                program.addressSets[id] = state.index.addresses(of: id) ?? []
            } else {
                program.namedPortSets[id] = state.index.namedPortMembers(of: id) ?? []
            }
        }
    }

    private func touchesLocalEndpoint(_ delta: ResourceDelta) -> Bool {
        switch delta.kind {
        case .workloadEndpoint:
            let (previous, current) = delta.contents(as: WorkloadEndpoint.self)
            return previous?.spec.node == node || current?.spec.node == node
        case .hostEndpoint:
            let (previous, current) = delta.contents(as: HostEndpoint.self)
            return previous?.spec.node == node || current?.spec.node == node
        default:
            return false
        }
    }

    private func isLocal(_ key: ResourceKey, _ cache: ResourceCache) -> Bool {
        switch key.kind {
        case .workloadEndpoint: cache.workloadEndpoint(key)?.node == node
        case .hostEndpoint: cache.hostEndpoints[key.name]?.node == node
        default: false
        }
    }
}
