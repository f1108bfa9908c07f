import CalicoAPI

/// The policies of the cluster in evaluation order: tiers in ascending order (valid tiers first, nil order after
/// numbers, ties by name), and within a tier by `order` (nil last), then name, namespace and kind.
struct PolicyOrdering: Sendable {
    struct Entry: Sendable {
        let tier: TierRecord
        let policies: [PolicyRecord]
    }

    let tiers: [Entry]

    init(_ state: PolicyState) {
        var byTier: [String: [PolicyRecord]] = [:]
        for policy in state.policies.values where !policy.untrackedOrPreDNAT {
            byTier[policy.tier, default: []].append(policy)
        }
        let tiers = byTier.keys.map { state.tier(named: $0) }.sorted(by: TierRecord.precedes)
        self.tiers = tiers.map { tier in
            Entry(tier: tier, policies: byTier[tier.name]!.sorted { $0.sortKey < $1.sortKey })
        }
    }

    /// The tiers and policies that apply to an endpoint with these labels in one direction: only policies whose
    /// selector matches and whose types include the direction, and only tiers with at least one of them.
    func applicable(to labels: Labels, _ direction: PolicyType) -> [(tier: TierRecord, policies: [PolicyRecord])] {
        var result: [(tier: TierRecord, policies: [PolicyRecord])] = []
        for entry in tiers {
            let policies = entry.policies.filter { $0.types.contains(direction) && $0.selector.matches(labels) }
            if !policies.isEmpty { result.append((entry.tier, policies)) }
        }
        return result
    }
}
