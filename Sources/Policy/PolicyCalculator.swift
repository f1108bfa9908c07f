import CalicoAPI
import NetworkAddress

/// Computes what one node must enforce for network policy, from a `PolicyState`. Pure: the same state and node
/// give the same program.
///
/// Set members come from the state's selector index (kept current by each upsert); the per-endpoint parts
/// (which tiers and policies apply) are worked out here, evaluating for each local endpoint only the policies
/// whose selector its labels can satisfy (see `SelectorPrefilter`). Sets are copied from the index without
/// copying their storage, so a renderer that compares two programs finds unchanged sets equal at the cost of one
/// pointer comparison.
public enum PolicyCalculator {
    /// The program for `node`. `settings` overrides the host endpoint settings the state's FelixConfigurations
    /// give (for the agent's local overrides).
    public static func program(state: PolicyState, node: String, settings: HostPolicySettings? = nil)
        -> PolicyProgram
    {
        let ordering = PolicyOrdering(state)
        let settings = settings ?? HostPolicySettings(state, node: node)
        var program = PolicyProgram(node: node)
        var chainKeys: Set<PolicyChainKey> = []

        for key in state.workloadEndpointKeys(on: node) {
            guard let info = state.workloads[key] else { continue }
            // Two endpoints claiming one interface is a broken datastore; the first by key keeps it.
            if info.interfaceName.isEmpty || program.workloadEndpoints[info.interfaceName] != nil { continue }
            let endpoint = endpointProgram(
                state, ordering, kind: .workload, key: key, interfaceName: info.interfaceName,
                addresses: info.addresses, profiles: info.profiles)
            program.workloadEndpoints[info.interfaceName] = endpoint
            chainKeys.formUnion(chains(of: endpoint))
        }
        for name in (state.hostEndpointNamesByNode[node] ?? []).sorted() {
            guard let info = state.hostEndpoints[name] else { continue }
            let endpoint = endpointProgram(
                state, ordering, kind: .host, key: ResourceKey(kind: .hostEndpoint, name: name),
                interfaceName: info.interfaceName, addresses: info.addresses, profiles: info.profiles)
            program.hostEndpoints.append(endpoint)
            chainKeys.formUnion(chains(of: endpoint))
        }

        var requirements: [SetID: SetRequirement] = [:]
        for key in chainKeys {
            let rules: NormalizedRuleList
            switch key.policy.kind {
            case .profile:
                guard let profile = state.profile(named: key.policy.name) else { continue }
                rules = profile.rules(key.direction)
            case .globalNetworkPolicy, .networkPolicy:
                guard let policy = state.policies[key.policy] else { continue }
                rules = policy.rules(key.direction)
            }
            program.chains[key] = PolicyChainProgram(key: key, ipv4Rules: rules.ipv4, ipv6Rules: rules.ipv6)
            requirements.merge(rules.sets) { first, _ in first }
        }
        for (id, requirement) in requirements {
            program.setDefinitions[id] = requirement.definition
            switch requirement {
            case .selector: program.addressSets[id] = state.index.addresses(of: id) ?? []
            case .namedPort: program.namedPortSets[id] = state.index.namedPortMembers(of: id) ?? []
            }
        }

        program.failsafeInbound = settings.failsafeInbound
        program.failsafeOutbound = settings.failsafeOutbound
        for pool in state.pools.values {
            program.allPools.insert(pool.cidr)
            if pool.natOutgoing { program.natOutgoingPools.insert(pool.cidr) }
        }
        for addresses in state.nodeAddresses.values { program.hostNetworks.formUnion(addresses) }
        program.hostNetworks.formUnion(settings.externalNodes)
        return program
    }

    /// The program of one endpoint of the state (workload or host), whatever its node; nil when there is none.
    public static func endpointProgram(state: PolicyState, key: ResourceKey) -> EndpointProgram? {
        let ordering = PolicyOrdering(state)
        switch key.kind {
        case .workloadEndpoint:
            guard let info = state.workloads[key] else { return nil }
            return endpointProgram(
                state, ordering, kind: .workload, key: key, interfaceName: info.interfaceName,
                addresses: info.addresses, profiles: info.profiles)
        case .hostEndpoint:
            guard let info = state.hostEndpoints[key.name] else { return nil }
            return endpointProgram(
                state, ordering, kind: .host, key: key, interfaceName: info.interfaceName, addresses: info.addresses,
                profiles: info.profiles)
        default:
            return nil
        }
    }

    static func endpointProgram(
        _ state: PolicyState, _ ordering: PolicyOrdering, kind: EndpointProgram.Kind, key: ResourceKey,
        interfaceName: String, addresses: [CIDR], profiles: [String]
    ) -> EndpointProgram {
        let labels = state.effectiveLabels(of: key) ?? [:]
        var seen: Set<String> = []
        let profileIDs = profiles.filter { seen.insert($0).inserted && state.profile(named: $0) != nil }.map(
            PolicyID.profile)
        let applicable = ordering.applicable(to: labels)
        func direction(_ direction: PolicyType) -> DirectionProgram {
            let tiers = (applicable[direction] ?? []).map { entry in
                TierProgram(
                    name: entry.tier.name, defaultAction: entry.tier.defaultAction, policies: entry.policies.map(\.id))
            }
            return DirectionProgram(tiers: tiers, profiles: profileIDs)
        }
        return EndpointProgram(
            kind: kind, namespace: key.namespace, name: key.name, interfaceName: interfaceName,
            addresses: addresses.sorted(), labels: labels, ingress: direction(.ingress), egress: direction(.egress))
    }

    private static func chains(of endpoint: EndpointProgram) -> [PolicyChainKey] {
        var keys: [PolicyChainKey] = []
        for direction in PolicyType.allCases {
            let program = endpoint.direction(direction)
            for tier in program.tiers { keys += tier.policies.map { PolicyChainKey($0, direction) } }
            keys += program.profiles.map { PolicyChainKey($0, direction) }
        }
        return keys
    }
}
