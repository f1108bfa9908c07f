import CalicoAPI
import NetworkAddress
import ResourceCache

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
    public static func program(
        state: PolicyState, cache: ResourceCache, node: String, settings: HostPolicySettings? = nil
    ) -> PolicyProgram {
        let ordering = PolicyOrdering(state)
        let settings = settings ?? HostPolicySettings(cache, node: node)
        var program = PolicyProgram(node: node)
        var chainKeys: Set<PolicyChainKey> = []

        for endpoint in cache.workloadEndpoints(on: node) {
            // Two endpoints claiming one interface is a broken datastore; the first by key keeps it.
            if endpoint.interface.isEmpty || program.workloadEndpoints[endpoint.interface] != nil { continue }
            let endpoint = endpointProgram(
                state, ordering, kind: .workload, key: endpoint.key, interfaceName: endpoint.interface,
                addresses: endpoint.addresses, profiles: endpoint.profiles)
            program.workloadEndpoints[endpoint.interfaceName] = endpoint
            chainKeys.formUnion(chains(of: endpoint))
        }
        for host in cache.hostEndpoints(on: node) {
            let endpoint = endpointProgram(
                state, ordering, kind: .host, key: host.key, interfaceName: host.interface,
                addresses: host.addresses, profiles: host.profiles)
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
        for pool in cache.pools.values {
            program.allPools.insert(pool.cidr)
            if pool.natOutgoing { program.natOutgoingPools.insert(pool.cidr) }
        }
        for node in cache.nodes.values { program.hostNetworks.formUnion(node.hostAddresses) }
        program.hostNetworks.formUnion(settings.externalNodes)
        return program
    }

    /// The program of one endpoint of the state (workload or host), whatever its node; nil when there is none.
    public static func endpointProgram(state: PolicyState, cache: ResourceCache, key: ResourceKey)
        -> EndpointProgram?
    {
        let ordering = PolicyOrdering(state)
        switch key.kind {
        case .workloadEndpoint:
            guard let endpoint = cache.workloadEndpoint(key) else { return nil }
            return endpointProgram(
                state, ordering, kind: .workload, key: key, interfaceName: endpoint.interface,
                addresses: endpoint.addresses, profiles: endpoint.profiles)
        case .hostEndpoint:
            guard let host = cache.hostEndpoints[key.name] else { return nil }
            return endpointProgram(
                state, ordering, kind: .host, key: key, interfaceName: host.interface, addresses: host.addresses,
                profiles: host.profiles)
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
