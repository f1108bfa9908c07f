import CalicoAPI
import NFTables
import NetworkAddress
import Policy

/// Renders a node's `PolicyProgram` as the nf_tables ruleset that enforces it: `table ip tabby` (and
/// `table ip6 tabby` with IPv6). Pure: the same program and settings always give the same ruleset.
///
/// ```
/// filter-forward (hook forward)   iifname "cali*" jump from-wl-dispatch; oifname "cali*" jump to-wl-dispatch
/// from-wl-dispatch                iifname vmap @from-wl-map (goto fw-<if>); iifname "cali*" drop (unknown)
/// to-wl-dispatch                  oifname vmap @to-wl-map (goto tw-<if>); oifname "cali*" drop (unknown)
/// filter-input (hook input)       VXLAN/IPIP from @all-hosts-net accepted, others dropped;
///                                 iifname "cali*" jump wl-to-host; jump from-hep-dispatch
/// wl-to-host                      (IPv6: neighbour discovery) jump from-wl-dispatch; defaultEndpointToHostAction
/// filter-output (hook output)     oifname "cali*" return (host to local workloads is not policed);
///                                 jump to-hep-dispatch
/// nat-postrouting (hook postrouting, nat)  jump nat-outgoing
/// nat-outgoing                    ip saddr @masq-ipam-pools ip daddr != @all-ipam-pools masquerade (or snat)
/// tw-/fw-<if>, fh-/th-<if>        endpoint chains (EndpointChainRenderer)
/// pi-/po-<policy>, pri-/pro-<profile>  policy chains (PolicyRuleRenderer)
/// ```
public enum PolicyRenderer {
    /// The whole ruleset for the program.
    public static func render(_ program: PolicyProgram, settings: RenderingSettings = RenderingSettings())
        -> DesiredRuleset
    {
        RulesetRenderer().render(program, settings: settings)
    }
}

/// `PolicyRenderer` with a memory: a chain whose policy (or endpoint) did not change, and a set whose members did
/// not change, are taken from the previous render instead of being built again. The result is the same as
/// `PolicyRenderer.render`, and unchanged chains and sets share storage with the previous result, so the
/// reconciler finds them equal at the cost of a pointer comparison. Not Sendable: one owner keeps it.
public final class RulesetRenderer {
    private struct PolicyChainEntry {
        var program: PolicyChainProgram
        var rules: [KernelRule]
        var sets: TableBuilder
    }

    private struct EndpointChainEntry {
        var endpoint: EndpointProgram
        var failsafe: [FailsafePort]
        var rules: [KernelRule]
    }

    private struct Caches {
        var policyChains: [String: PolicyChainEntry] = [:]
        var endpointChains: [String: EndpointChainEntry] = [:]
        var addressSets: [SetID: (members: Set<CIDR>, elements: Set<SetElement>)] = [:]
        var namedPortSets: [SetID: (members: Set<NamedPortMember>, elements: Set<SetElement>)] = [:]
        /// The table's sets filled from the program, by set name.
        var selectorSetNames: [String: SetID] = [:]
        var namedPortSetNames: [String: SetID] = [:]
    }

    private var caches: [IPFamily: Caches] = [:]
    private var settings: RenderingSettings?
    /// The last program and what it rendered to.
    private var last: (program: PolicyProgram, ruleset: DesiredRuleset)?

    public init() {}

    /// The ruleset for the program; equal to `PolicyRenderer.render(program, settings:)`.
    public func render(_ program: PolicyProgram, settings: RenderingSettings = RenderingSettings()) -> DesiredRuleset {
        if settings != self.settings {
            caches = [:]
            last = nil
            self.settings = settings
        }
        if let last, Self.differOnlyInSetMembers(program, last.program) {
            let ruleset = refillSets(of: last.ruleset, from: program)
            self.last = (program, ruleset)
            return ruleset
        }
        let families: [IPFamily] = settings.ipv6 ? [.v4, .v6] : [.v4]
        let ruleset = DesiredRuleset(tables: families.map { table(program, family: $0, settings: settings) })
        last = (program, ruleset)
        return ruleset
    }

    /// Whether two programs have the same chains, endpoints, pools and definitions, so that only the members of
    /// selector and named-port sets can differ (what `PolicyCalculation` changes for a remote endpoint). The
    /// parts a set refresh leaves alone share storage with the previous program, so this costs a few pointer
    /// comparisons.
    private static func differOnlyInSetMembers(_ program: PolicyProgram, _ previous: PolicyProgram) -> Bool {
        program.node == previous.node && program.chains == previous.chains
            && program.workloadEndpoints == previous.workloadEndpoints
            && program.hostEndpoints == previous.hostEndpoints && program.setDefinitions == previous.setDefinitions
            && program.failsafeInbound == previous.failsafeInbound
            && program.failsafeOutbound == previous.failsafeOutbound
            && program.natOutgoingPools == previous.natOutgoingPools && program.allPools == previous.allPools
            && program.hostNetworks == previous.hostNetworks
    }

    /// The previous ruleset with the elements of the sets whose members changed computed again; every chain and
    /// every other set is the previous one.
    private func refillSets(of ruleset: DesiredRuleset, from program: PolicyProgram) -> DesiredRuleset {
        var ruleset = ruleset
        for index in ruleset.tables.indices {
            let family: IPFamily = ruleset.tables[index].table.family == KernelValues.family(.v6) ? .v6 : .v4
            guard var cache = caches[family] else { continue }
            for (name, id) in cache.selectorSetNames {
                let members = program.addressSets[id] ?? []
                guard cache.addressSets[id]?.members != members else { continue }
                let elements = Self.addressElements(members, family: family)
                cache.addressSets[id] = (members, elements)
                ruleset.tables[index].sets[name]?.elements = elements
            }
            for (name, id) in cache.namedPortSetNames {
                let members = program.namedPortSets[id] ?? []
                guard cache.namedPortSets[id]?.members != members else { continue }
                let elements = Self.namedPortElements(members, family: family)
                cache.namedPortSets[id] = (members, elements)
                ruleset.tables[index].sets[name]?.elements = elements
            }
            caches[family] = cache
        }
        return ruleset
    }

    private static func addressElements(_ members: Set<CIDR>, family: IPFamily) -> Set<SetElement> {
        KernelValues.intervals(members.filter { $0.family == family })
    }

    private static func namedPortElements(_ members: Set<NamedPortMember>, family: IPFamily) -> Set<SetElement> {
        Set(
            members.filter { $0.address.family == family }.map {
                KernelValues.namedPortElement($0.address, protocol: $0.protocol, port: $0.port)
            })
    }

    private func table(_ program: PolicyProgram, family: IPFamily, settings: RenderingSettings) -> DesiredTable {
        let old = caches[family] ?? Caches()
        var new = Caches()
        var builder = TableBuilder(family: family, name: settings.tableName)
        let policies = PolicyRuleRenderer(settings: settings)
        for key in program.chains.keys.sorted() {
            guard let chain = program.chains[key] else { continue }
            let name = RulesetNames.policyChain(key)
            var entry: PolicyChainEntry
            if let cached = old.policyChains[name], cached.program == chain {
                entry = cached
            } else {
                var scratch = TableBuilder(family: family, name: settings.tableName)
                let rules = policies.rules(chain, chain: name, into: &scratch)
                entry = PolicyChainEntry(program: chain, rules: rules, sets: scratch)
            }
            builder.addChain(name, entry.rules)
            builder.merge(setsOf: entry.sets)
            new.policyChains[name] = entry
        }
        addEndpoints(program, settings: settings, old: old, new: &new, into: &builder)
        StaticChains(settings: settings).add(program, into: &builder)

        for (name, id) in builder.selectorSets {
            let members = program.addressSets[id] ?? []
            let elements: Set<SetElement>
            if let cached = old.addressSets[id], cached.members == members {
                elements = cached.elements
            } else {
                elements = Self.addressElements(members, family: family)
            }
            new.addressSets[id] = (members, elements)
            builder.fill(name, elements)
        }
        for (name, id) in builder.namedPortSets {
            let members = program.namedPortSets[id] ?? []
            let elements: Set<SetElement>
            if let cached = old.namedPortSets[id], cached.members == members {
                elements = cached.elements
            } else {
                elements = Self.namedPortElements(members, family: family)
            }
            new.namedPortSets[id] = (members, elements)
            builder.fill(name, elements)
        }
        new.selectorSetNames = builder.selectorSets
        new.namedPortSetNames = builder.namedPortSets
        caches[family] = new
        return builder.contents
    }

    private func addEndpoints(
        _ program: PolicyProgram, settings: RenderingSettings, old: Caches, new: inout Caches,
        into builder: inout TableBuilder
    ) {
        let endpoints = EndpointChainRenderer(settings: settings)
        func chain(_ name: String, _ endpoint: EndpointProgram, _ direction: PolicyType, _ failsafe: [FailsafePort])
            -> [KernelRule]
        {
            if let cached = old.endpointChains[name], cached.endpoint == endpoint, cached.failsafe == failsafe {
                new.endpointChains[name] = cached
                return cached.rules
            }
            let rules = endpoints.chain(
                named: name, endpoint: endpoint, direction: direction, failsafe: failsafe, builder: builder)
            new.endpointChains[name] = EndpointChainEntry(endpoint: endpoint, failsafe: failsafe, rules: rules)
            return rules
        }
        var fromWorkload = Set<SetElement>()
        var toWorkload = Set<SetElement>()
        for (interface, endpoint) in program.workloadEndpoints {
            let from = RulesetNames.fromWorkload(interface)
            let to = RulesetNames.toWorkload(interface)
            builder.addChain(from, chain(from, endpoint, .egress, []))
            builder.addChain(to, chain(to, endpoint, .ingress, []))
            fromWorkload.insert(SetElement(.ifname(interface), verdict: .goto(from)))
            toWorkload.insert(SetElement(.ifname(interface), verdict: .goto(to)))
        }
        builder.addSet(
            .verdictMap(table: builder.table, name: RulesetNames.fromWorkloadMap, keyType: .ifname), fromWorkload)
        builder.addSet(
            .verdictMap(table: builder.table, name: RulesetNames.toWorkloadMap, keyType: .ifname), toWorkload)

        var fromHost = Set<SetElement>()
        var toHost = Set<SetElement>()
        var seen = Set<String>()
        // One host endpoint per interface: the first by name, as the program lists them.
        for endpoint in program.hostEndpoints where !endpoint.interfaceName.isEmpty {
            guard seen.insert(endpoint.interfaceName).inserted else { continue }
            let from = RulesetNames.fromHost(endpoint.interfaceName)
            let to = RulesetNames.toHost(endpoint.interfaceName)
            builder.addChain(from, chain(from, endpoint, .ingress, program.failsafeInbound))
            builder.addChain(to, chain(to, endpoint, .egress, program.failsafeOutbound))
            if endpoint.interfaceName != "*" {
                fromHost.insert(SetElement(.ifname(endpoint.interfaceName), verdict: .goto(from)))
                toHost.insert(SetElement(.ifname(endpoint.interfaceName), verdict: .goto(to)))
            }
        }
        builder.addSet(.verdictMap(table: builder.table, name: RulesetNames.fromHostMap, keyType: .ifname), fromHost)
        builder.addSet(.verdictMap(table: builder.table, name: RulesetNames.toHostMap, keyType: .ifname), toHost)
    }
}
