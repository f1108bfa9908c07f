import CalicoAPI

/// Calico's evaluation order: tiers in ascending order (valid tiers first, nil order after numbers, ties by
/// name), and within a tier policies by `order` (nil last), then name, namespace and kind.
struct PolicyOrdering: Sendable {
    struct TierEntry: Sendable {
        let tier: TierRecord
        let policies: [PolicyRecord]
    }

    private let state: PolicyState
    private let tierRanks: [String: Int]
    private let tiers: [String: TierRecord]

    /// Costs the number of tiers named by policies (few); policies are ordered per endpoint, among those that
    /// match it.
    init(_ state: PolicyState) {
        self.state = state
        let tiers = state.policyCountByTier.keys.map { state.tier(named: $0) }.sorted(by: TierRecord.precedes)
        var ranks: [String: Int] = [:]
        for (rank, tier) in tiers.enumerated() { ranks[tier.name] = rank }
        tierRanks = ranks
        self.tiers = Dictionary(uniqueKeysWithValues: tiers.map { ($0.name, $0) })
    }

    /// The tiers and policies that apply to an endpoint with these labels, per direction: only policies whose
    /// selector matches and whose types include the direction, and only tiers with at least one of them.
    func applicable(to labels: Labels) -> [PolicyType: [TierEntry]] {
        // Sorted as small keys, then looked up: records are big values and moving them costs.
        var keys: [(rank: Int, key: PolicySortKey, id: PolicyID)] = []
        state.policyFilter.forEachCandidate(labels) { id in
            guard let selector = state.policies[id]?.selector, selector.matches(labels) else { return }
            let policy = state.policies[id]!
            keys.append((tierRanks[policy.tier] ?? .max, policy.sortKey, id))
        }
        keys.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.key < $1.key }
        let matched = keys.map { state.policies[$0.id]! }
        var result: [PolicyType: [TierEntry]] = [:]
        for direction in PolicyType.allCases {
            var entries: [TierEntry] = []
            var current: [PolicyRecord] = []
            for policy in matched where policy.types.contains(direction) {
                if let last = current.last, last.tier != policy.tier {
                    entries.append(entry(current))
                    current = []
                }
                current.append(policy)
            }
            if !current.isEmpty { entries.append(entry(current)) }
            result[direction] = entries
        }
        return result
    }

    private func entry(_ policies: [PolicyRecord]) -> TierEntry {
        let name = policies[0].tier
        return TierEntry(tier: tiers[name] ?? state.tier(named: name), policies: policies)
    }
}
