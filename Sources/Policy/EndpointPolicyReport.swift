import CalicoAPI
import ResourceCache

/// What applies to one endpoint, in evaluation order, for people: `tabbyctl policy show`.
public struct EndpointPolicyReport: Codable, Sendable, Equatable {
    public struct Policy: Codable, Sendable, Equatable {
        /// `gnp/<name>` or `np/<namespace>/<name>`.
        public var id: String
        public var order: Double?
        /// The selector as written (before namespace rewriting).
        public var selector: String
        /// How many rules the policy has in this direction.
        public var rules: Int
    }

    public struct Tier: Codable, Sendable, Equatable {
        public var name: String
        public var order: Double?
        /// `Deny` or `Pass`: what happens when none of the tier's policies decides.
        public var defaultAction: String
        /// `resource`, `built-in` (Calico's default tiers, supplied when no Tier resource exists) or `missing`
        /// (named by policies but not defined: sorts last).
        public var origin: String
        public var policies: [Policy]
    }

    public struct Profile: Codable, Sendable, Equatable {
        public var name: String
        /// `resource`, `synthesized` (kns./ksa./projectcalico-default-allow without a resource) or `missing`
        /// (contributes nothing).
        public var origin: String
        public var rules: Int
    }

    public struct Direction: Codable, Sendable, Equatable {
        /// Only tiers with at least one policy that applies.
        public var tiers: [Tier]
        /// In the endpoint's order; reached only when no tier decided.
        public var profiles: [Profile]
    }

    /// `workload` or `host`.
    public var kind: String
    public var namespace: String?
    public var name: String
    public var node: String
    public var interfaceName: String
    public var addresses: [String]
    public var labels: Labels
    public var ingress: Direction
    public var egress: Direction
}

extension PolicyCalculator {
    /// The tiers, policies and profiles that apply to an endpoint, in evaluation order; nil when the state has
    /// no such WorkloadEndpoint or HostEndpoint.
    public static func report(state: PolicyState, cache: ResourceCache, endpoint key: ResourceKey)
        -> EndpointPolicyReport?
    {
        let profiles: [String]
        let node: String
        switch key.kind {
        case .workloadEndpoint:
            guard let endpoint = cache.workloadEndpoint(key) else { return nil }
            (profiles, node) = (endpoint.profiles, endpoint.node)
        case .hostEndpoint:
            guard let host = cache.hostEndpoints[key.name] else { return nil }
            (profiles, node) = (host.profiles, host.node)
        default:
            return nil
        }
        guard let program = endpointProgram(state: state, cache: cache, key: key) else { return nil }
        func direction(_ direction: PolicyType) -> EndpointPolicyReport.Direction {
            let tiers = program.direction(direction).tiers.map { tier in
                let record = state.tier(named: tier.name)
                let origin = record.builtIn ? "built-in" : record.valid ? "resource" : "missing"
                let policies = tier.policies.compactMap { id -> EndpointPolicyReport.Policy? in
                    guard let policy = state.policies[id] else { return nil }
                    return EndpointPolicyReport.Policy(
                        id: id.description, order: policy.order, selector: policy.writtenSelector,
                        rules: policy.ruleCount(direction))
                }
                return EndpointPolicyReport.Tier(
                    name: tier.name, order: record.order, defaultAction: record.defaultAction.rawValue, origin: origin,
                    policies: policies)
            }
            let profileReports = profiles.map { name in
                guard let profile = state.profile(named: name) else {
                    return EndpointPolicyReport.Profile(name: name, origin: "missing", rules: 0)
                }
                return EndpointPolicyReport.Profile(
                    name: name, origin: profile.origin.rawValue, rules: profile.ruleCount(direction))
            }
            return EndpointPolicyReport.Direction(tiers: tiers, profiles: profileReports)
        }
        return EndpointPolicyReport(
            kind: program.kind.rawValue, namespace: program.namespace, name: program.name, node: node,
            interfaceName: program.interfaceName, addresses: program.addresses.map(\.description),
            labels: program.labels, ingress: direction(.ingress), egress: direction(.egress))
    }
}

extension PolicyRecord {
    /// The number of rules as written (both families), for display.
    func ruleCount(_ direction: PolicyType) -> Int { rules(direction).writtenCount }
}

extension ProfileRecord {
    func ruleCount(_ direction: PolicyType) -> Int { rules(direction).writtenCount }
}
