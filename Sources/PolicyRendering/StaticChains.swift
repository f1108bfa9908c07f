import CalicoAPI
import NFTables
import Policy

/// The base chains, the dispatch chains, workload-to-host, tunnel filtering and NAT-outgoing: the part of the
/// ruleset that does not depend on policies (only on endpoints' presence, pools and settings).
struct StaticChains {
    let settings: RenderingSettings

    /// `filter` hooks at priority 0 (`filter`), NAT at 100 (`srcnat`), as nft names them.
    static let filterPriority: Int32 = 0
    static let sourceNATPriority: Int32 = 100

    func add(_ program: PolicyProgram, into builder: inout TableBuilder) {
        let family = builder.family
        addSets(program, into: &builder)
        let prefixes = settings.interfacePrefixes

        builder.addBaseChain(
            RulesetNames.forward, BaseChain(type: .filter, hook: .forward, priority: Self.filterPriority),
            prefixes.map { prefix in
                builder.rule(
                    RulesetNames.forward, "from workloads",
                    [.meta(.iifname, .eq, prefix + "*"), .jump(RulesetNames.fromWorkloadDispatch)])
            }
                + prefixes.map { prefix in
                    builder.rule(
                        RulesetNames.forward, "to workloads",
                        [.meta(.oifname, .eq, prefix + "*"), .jump(RulesetNames.toWorkloadDispatch)])
                })

        builder.addChain(
            RulesetNames.fromWorkloadDispatch,
            [
                builder.rule(
                    RulesetNames.fromWorkloadDispatch, "workload egress",
                    [.verdictMap([.iifname], map: RulesetNames.fromWorkloadMap)])
            ]
                + prefixes.map { prefix in
                    builder.rule(
                        RulesetNames.fromWorkloadDispatch, "unknown interface",
                        [.meta(.iifname, .eq, prefix + "*"), .counter, .drop])
                })
        builder.addChain(
            RulesetNames.toWorkloadDispatch,
            [
                builder.rule(
                    RulesetNames.toWorkloadDispatch, "workload ingress",
                    [.verdictMap([.oifname], map: RulesetNames.toWorkloadMap)])
            ]
                + prefixes.map { prefix in
                    builder.rule(
                        RulesetNames.toWorkloadDispatch, "unknown interface",
                        [.meta(.oifname, .eq, prefix + "*"), .counter, .drop])
                })

        var input: [KernelRule] = []
        if family == .v4 {
            let hosts = Statement.lookup([.ipv4(.saddr)], set: RulesetNames.allHosts)
            if settings.ipipEnabled {
                let ipip = Statement.l4proto(.eq, IPProtocol(rawValue: 4))
                input.append(builder.rule(RulesetNames.input, "IPIP from known hosts", [ipip, hosts, .accept]))
                input.append(builder.rule(RulesetNames.input, "IPIP from elsewhere", [ipip, .counter, .drop]))
            }
            if settings.vxlanEnabled {
                let vxlan = Statement.udp(.dport, .eq, settings.vxlanPort)
                input.append(builder.rule(RulesetNames.input, "VXLAN from known hosts", [vxlan, hosts, .accept]))
                input.append(builder.rule(RulesetNames.input, "VXLAN from elsewhere", [vxlan, .counter, .drop]))
            }
        } else if settings.vxlanV6Enabled {
            let hosts = Statement.lookup([.ipv6(.saddr)], set: RulesetNames.allHosts)
            let vxlan = Statement.udp(.dport, .eq, settings.vxlanPort)
            input.append(builder.rule(RulesetNames.input, "VXLAN from known hosts", [vxlan, hosts, .accept]))
            input.append(builder.rule(RulesetNames.input, "VXLAN from elsewhere", [vxlan, .counter, .drop]))
        }
        input += prefixes.map { prefix in
            builder.rule(
                RulesetNames.input, "from workloads to the host",
                [.meta(.iifname, .eq, prefix + "*"), .jump(RulesetNames.workloadToHost)])
        }
        input.append(builder.rule(RulesetNames.input, "host endpoints", [.jump(RulesetNames.fromHostDispatch)]))
        builder.addBaseChain(
            RulesetNames.input, BaseChain(type: .filter, hook: .input, priority: Self.filterPriority), input)

        var toHost: [KernelRule] = []
        if family == .v6 {
            for type in EndpointChainRenderer.neighbourDiscovery {
                toHost.append(
                    builder.rule(
                        RulesetNames.workloadToHost, "icmpv6 \(type)",
                        [.l4proto(.eq, .icmpv6), EndpointChainRenderer.icmpType(type), .accept]))
            }
        }
        toHost.append(
            builder.rule(RulesetNames.workloadToHost, "workload egress", [.jump(RulesetNames.fromWorkloadDispatch)]))
        let verdict: Statement
        switch settings.defaultEndpointToHostAction {
        case .drop: verdict = .drop
        case .return: verdict = .return
        case .accept: verdict = .accept
        }
        toHost.append(
            builder.rule(
                RulesetNames.workloadToHost,
                "defaultEndpointToHostAction \(settings.defaultEndpointToHostAction.rawValue)", [.counter, verdict]))
        builder.addChain(RulesetNames.workloadToHost, toHost)

        builder.addBaseChain(
            RulesetNames.output, BaseChain(type: .filter, hook: .output, priority: Self.filterPriority),
            prefixes.map { prefix in
                builder.rule(
                    RulesetNames.output, "host to local workloads", [.meta(.oifname, .eq, prefix + "*"), .return])
            } + [builder.rule(RulesetNames.output, "host endpoints", [.jump(RulesetNames.toHostDispatch)])])

        addHostDispatch(program, into: &builder)
        addNATOutgoing(into: &builder)
    }

    private func addHostDispatch(_ program: PolicyProgram, into builder: inout TableBuilder) {
        let allInterfaces = program.hostEndpoints.contains { $0.interfaceName == "*" }
        for (chain, map, key, target) in [
            (RulesetNames.fromHostDispatch, RulesetNames.fromHostMap, InterfaceKey.iifname, RulesetNames.fromHost("*")),
            (RulesetNames.toHostDispatch, RulesetNames.toHostMap, InterfaceKey.oifname, RulesetNames.toHost("*")),
        ] {
            var rules = [
                builder.rule(chain, "loopback", [.meta(key, .eq, "lo"), .return]),
                builder.rule(chain, "host endpoints", [.verdictMap([key == .iifname ? .iifname : .oifname], map: map)]),
            ]
            if allInterfaces { rules.append(builder.rule(chain, "all-interfaces host endpoint", [.goto(target)])) }
            builder.addChain(chain, rules)
        }
    }

    private func addNATOutgoing(into builder: inout TableBuilder) {
        let family = builder.family
        builder.addBaseChain(
            RulesetNames.postrouting, BaseChain(type: .nat, hook: .postrouting, priority: Self.sourceNATPriority),
            [builder.rule(RulesetNames.postrouting, "NAT outgoing", [.jump(RulesetNames.natOutgoing)])])
        var translation: Statement = .masquerade
        if family == .v4, case .v4(let address)? = settings.natOutgoingAddress {
            translation = .snat(to: address)
        }
        let source = KernelValues.addressKey(family, .saddr)
        let destination = KernelValues.addressKey(family, .daddr)
        builder.addChain(
            RulesetNames.natOutgoing,
            [
                builder.rule(
                    RulesetNames.natOutgoing, "from natOutgoing pools to outside every pool",
                    [
                        .lookup([source], set: RulesetNames.natOutgoingPools),
                        .lookup([destination], .neq, set: RulesetNames.allPools), .counter, translation,
                    ])
            ])
    }

    private func addSets(_ program: PolicyProgram, into builder: inout TableBuilder) {
        let family = builder.family
        builder.addSet(
            builder.addressSet(RulesetNames.allPools),
            KernelValues.intervals(program.allPools.filter { $0.family == family }))
        builder.addSet(
            builder.addressSet(RulesetNames.natOutgoingPools),
            KernelValues.intervals(program.natOutgoingPools.filter { $0.family == family }))
        builder.addSet(
            builder.addressSet(RulesetNames.allHosts),
            KernelValues.intervals(program.hostNetworks.filter { $0.family == family }))
        let keyType = SetKeyType(.inetProtocol, .inetService)
        for (name, ports) in [
            (RulesetNames.failsafeInbound, program.failsafeInbound),
            (RulesetNames.failsafeOutbound, program.failsafeOutbound),
        ] {
            let elements = ports.filter { $0.net == nil }.map {
                SetElement(.inetProtocol($0.protocol), .inetService($0.port))
            }
            builder.addSet(NamedSet(table: builder.table, name: name, keyType: keyType), Set(elements))
        }
    }
}
