import CalicoAPI
import NFTables
import Policy

/// The chain of one endpoint in one direction, in Felix's order:
///
/// 1. `ct state established,related accept`, `ct state invalid drop` (established flows skip policy);
/// 2. clear the accept and pass marks;
/// 3. from a workload (IPv4): drop VXLAN (UDP `vxlanPort`) and IPIP unless allowed; on a host endpoint, accept
///    the failsafe ports (and, IPv6, neighbour discovery) before any policy;
/// 4. per tier: clear the pass mark; per policy: jump to its chain unless a policy of the tier passed, and stop
///    if it allowed; at the end of a tier whose default action is Deny, drop unless a policy passed;
/// 5. per profile: jump to its chain, stop if it allowed;
/// 6. drop ("no profile matched"; an endpoint without profiles is denied).
///
/// "Stop" is `return` for workloads, so that pod-to-pod traffic on one node gets the sender's egress and then
/// the receiver's ingress chain; for host endpoints, whose chains are the last word on the input and output
/// hooks, it is `accept`.
struct EndpointChainRenderer {
    let settings: RenderingSettings

    static let marks = RulesetNames.acceptMark | RulesetNames.passMark

    func chain(
        named name: String, endpoint: EndpointProgram, direction: PolicyType, failsafe: [FailsafePort],
        builder: TableBuilder
    ) -> [KernelRule] {
        let program = endpoint.direction(direction)
        let isHost = endpoint.kind == .host
        let stop: Statement = isHost ? .accept : .return
        let who =
            "\(endpoint.kind == .host ? "hep" : "wep") \(endpoint.key.namespace.map { $0 + "/" } ?? "")"
            + endpoint.name
        var rules: [KernelRule] = [
            builder.rule(name, "\(who) conntrack established", [.ctState(.eq, [.established, .related]), .accept]),
            builder.rule(name, "\(who) conntrack invalid", [.ctState(.eq, .invalid), .counter, .drop]),
        ]
        if isHost {
            if builder.family == .v6 {
                for type in Self.neighbourDiscovery {
                    rules.append(
                        builder.rule(
                            name, "\(who) icmpv6 \(type)", [.l4proto(.eq, .icmpv6), Self.icmpType(type), .accept]))
                }
            }
            rules += failsafeRules(name, failsafe: failsafe, direction: direction, who: who, builder: builder)
        }
        rules.append(builder.rule(name, "\(who) clear marks", [.setMark(0, mask: Self.marks)]))
        if !isHost && direction == .egress && builder.family == .v4 {
            if !settings.allowVXLANPacketsFromWorkloads {
                rules.append(
                    builder.rule(
                        name, "\(who) no VXLAN from workloads",
                        [.udp(.dport, .eq, settings.vxlanPort), .counter, .drop]))
            }
            if !settings.allowIPIPPacketsFromWorkloads {
                rules.append(
                    builder.rule(
                        name, "\(who) no IPIP from workloads",
                        [.l4proto(.eq, IPProtocol(rawValue: 4)), .counter, .drop]))
            }
        }
        for tier in program.tiers {
            rules.append(
                builder.rule(name, "\(who) start of tier \(tier.name)", [.setMark(0, mask: RulesetNames.passMark)]))
            for policy in tier.policies {
                let target = RulesetNames.policyChain(PolicyChainKey(policy, direction))
                rules.append(
                    builder.rule(
                        name, "\(who) policy \(policy)", [.mark(.eq, 0, mask: RulesetNames.passMark), .jump(target)]))
                rules.append(
                    builder.rule(
                        name, "\(who) \(policy) allowed", [.mark(.neq, 0, mask: RulesetNames.acceptMark), stop]))
            }
            if tier.defaultAction == .deny {
                rules.append(
                    builder.rule(
                        name, "\(who) end of tier \(tier.name): deny",
                        [.mark(.eq, 0, mask: RulesetNames.passMark), .counter, .drop]))
            }
        }
        for profile in program.profiles {
            let target = RulesetNames.policyChain(PolicyChainKey(profile, direction))
            rules.append(builder.rule(name, "\(who) profile \(profile.name)", [.jump(target)]))
            rules.append(
                builder.rule(
                    name, "\(who) \(profile.name) allowed", [.mark(.neq, 0, mask: RulesetNames.acceptMark), stop]))
        }
        rules.append(builder.rule(name, "\(who) no profile matched", [.counter, .drop]))
        return rules
    }

    /// Failsafe ports: those for any peer through the failsafe set, those limited to a network one rule each.
    private func failsafeRules(
        _ name: String, failsafe: [FailsafePort], direction: PolicyType, who: String, builder: TableBuilder
    ) -> [KernelRule] {
        let inbound = direction == .ingress
        let set = inbound ? RulesetNames.failsafeInbound : RulesetNames.failsafeOutbound
        var rules = [
            builder.rule(
                name, "\(who) failsafe ports", [.lookup([.l4proto, .transportPort(.dport)], set: set), .accept])
        ]
        for port in failsafe {
            guard let net = port.net, net.family == builder.family else { continue }
            let field: AddressField = inbound ? .saddr : .daddr
            rules.append(
                builder.rule(
                    name, "\(who) failsafe \(port)",
                    [
                        KernelValues.addressMatch(field, .eq, net),
                        .port(IPProtocol(rawValue: port.protocol), .dport, .eq, port.port...port.port), .accept,
                    ]))
        }
        return rules
    }

    /// ICMPv6 types a host needs whatever the policy: MLD query, report and done, router solicitation and
    /// advertisement, neighbour solicitation and advertisement.
    static let neighbourDiscovery: [UInt8] = [130, 131, 132, 133, 134, 135, 136]

    static func icmpType(_ type: UInt8) -> Statement {
        Statement([.payload(.transport, offset: 0, length: 1, into: .r1), .compare(.r1, .eq, [type])])
    }
}
