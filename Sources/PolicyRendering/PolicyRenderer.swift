import CalicoAPI
import NFTables
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
        let families: [IPFamily] = settings.ipv6 ? [.v4, .v6] : [.v4]
        return DesiredRuleset(tables: families.map { table(program, family: $0, settings: settings) })
    }

    /// One family's table.
    public static func table(_ program: PolicyProgram, family: IPFamily, settings: RenderingSettings) -> DesiredTable {
        var builder = TableBuilder(family: family, name: settings.tableName)
        let policies = PolicyRuleRenderer(program: program, settings: settings)
        for key in program.chains.keys.sorted() {
            guard let chain = program.chains[key] else { continue }
            let name = RulesetNames.policyChain(key)
            let rules = policies.rules(chain, chain: name, into: &builder)
            builder.addChain(name, rules)
        }
        addEndpoints(program, settings: settings, into: &builder)
        StaticChains(settings: settings).add(program, into: &builder)
        return builder.contents
    }

    private static func addEndpoints(_ program: PolicyProgram, settings: RenderingSettings, into builder: inout TableBuilder) {
        let endpoints = EndpointChainRenderer(settings: settings)
        var fromWorkload = Set<SetElement>()
        var toWorkload = Set<SetElement>()
        for (interface, endpoint) in program.workloadEndpoints {
            let from = RulesetNames.fromWorkload(interface)
            let to = RulesetNames.toWorkload(interface)
            builder.addChain(
                from, endpoints.chain(named: from, endpoint: endpoint, direction: .egress, failsafe: [], builder: builder))
            builder.addChain(
                to, endpoints.chain(named: to, endpoint: endpoint, direction: .ingress, failsafe: [], builder: builder))
            fromWorkload.insert(SetElement(.ifname(interface), verdict: .goto(from)))
            toWorkload.insert(SetElement(.ifname(interface), verdict: .goto(to)))
        }
        builder.addSet(.verdictMap(table: builder.table, name: RulesetNames.fromWorkloadMap, keyType: .ifname), fromWorkload)
        builder.addSet(.verdictMap(table: builder.table, name: RulesetNames.toWorkloadMap, keyType: .ifname), toWorkload)

        var fromHost = Set<SetElement>()
        var toHost = Set<SetElement>()
        var seen = Set<String>()
        // One host endpoint per interface: the first by name, as the program lists them.
        for endpoint in program.hostEndpoints where !endpoint.interfaceName.isEmpty {
            guard seen.insert(endpoint.interfaceName).inserted else { continue }
            let from = RulesetNames.fromHost(endpoint.interfaceName)
            let to = RulesetNames.toHost(endpoint.interfaceName)
            builder.addChain(
                from,
                endpoints.chain(
                    named: from, endpoint: endpoint, direction: .ingress, failsafe: program.failsafeInbound,
                    builder: builder))
            builder.addChain(
                to,
                endpoints.chain(
                    named: to, endpoint: endpoint, direction: .egress, failsafe: program.failsafeOutbound,
                    builder: builder))
            if endpoint.interfaceName != "*" {
                fromHost.insert(SetElement(.ifname(endpoint.interfaceName), verdict: .goto(from)))
                toHost.insert(SetElement(.ifname(endpoint.interfaceName), verdict: .goto(to)))
            }
        }
        builder.addSet(.verdictMap(table: builder.table, name: RulesetNames.fromHostMap, keyType: .ifname), fromHost)
        builder.addSet(.verdictMap(table: builder.table, name: RulesetNames.toHostMap, keyType: .ifname), toHost)
    }
}
