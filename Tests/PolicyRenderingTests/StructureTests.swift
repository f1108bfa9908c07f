import CalicoAPI
import NFTables
import NetworkAddress
import Policy
import PolicyRendering
import Testing

/// A node with two workloads, a shared selector set, a namespace profile, a tiered policy and pools.
func structureProgram() -> PolicyProgram {
    let frontends = SetID(rawValue: "s:frontends")
    let webIn = PolicyChainKey(.networkPolicy("demo", "web"), .ingress)
    let adminIn = PolicyChainKey(.globalNetworkPolicy("admin.guard"), .ingress)
    let profile = PolicyID.profile("kns.demo")
    let allow8080 = NormalizedRule(
        action: .allow, protocol: 6, source: NormalizedEntity(selector: frontends),
        destination: NormalizedEntity(ports: [PortRange(8080)]), index: 0)
    let passFrontends = NormalizedRule(action: .pass, source: NormalizedEntity(selector: frontends), index: 0)
    let allowAll = NormalizedRule(action: .allow, index: 0)
    let ingress = DirectionProgram(
        tiers: [
            TierProgram(name: "admin", defaultAction: .pass, policies: [adminIn.policy]),
            TierProgram(name: "default", defaultAction: .deny, policies: [webIn.policy]),
        ],
        profiles: [profile])
    var program = PolicyProgram(node: "n")
    program.workloadEndpoints = [
        "caliweb": EndpointProgram(
            kind: .workload, namespace: "demo", name: "web", interfaceName: "caliweb",
            addresses: [cidr("198.51.100.20/32"), cidr("2001:db8::20/128")], labels: [:], ingress: ingress,
            egress: DirectionProgram(profiles: [profile])),
        "calibare": EndpointProgram(
            kind: .workload, namespace: "demo", name: "bare", interfaceName: "calibare",
            addresses: [cidr("198.51.100.21/32")], labels: [:], ingress: DirectionProgram(),
            egress: DirectionProgram()),
    ]
    program.chains = [
        webIn: PolicyChainProgram(key: webIn, ipv4Rules: [allow8080], ipv6Rules: [allow8080]),
        adminIn: PolicyChainProgram(key: adminIn, ipv4Rules: [passFrontends], ipv6Rules: [passFrontends]),
        PolicyChainKey(profile, .ingress): PolicyChainProgram(
            key: PolicyChainKey(profile, .ingress), ipv4Rules: [allowAll], ipv6Rules: [allowAll]),
        PolicyChainKey(profile, .egress): PolicyChainProgram(
            key: PolicyChainKey(profile, .egress), ipv4Rules: [allowAll], ipv6Rules: [allowAll]),
    ]
    program.addressSets = [
        frontends: [cidr("198.51.100.10/32"), cidr("198.51.100.0/28"), cidr("2001:db8::10/128")]
    ]
    program.natOutgoingPools = [cidr("198.51.100.0/24")]
    program.allPools = [cidr("198.51.100.0/24"), cidr("203.0.113.0/24"), cidr("2001:db8::/64")]
    program.hostNetworks = [cidr("192.0.2.11/32")]
    return program
}

/// Every jump, goto and verdict-map target of a table is a chain of it, and every lookup names a set of it.
func references(of table: DesiredTable) -> (chains: Set<String>, sets: Set<String>) {
    var chains = Set<String>()
    var sets = Set<String>()
    for chain in table.chains.values {
        for rule in chain.rules {
            for expression in rule.expressions {
                switch expression {
                case .verdict(let verdict): if let target = verdict.chain { chains.insert(target) }
                case .lookup(_, let set, _, _): sets.insert(set)
                default: break
                }
            }
        }
    }
    for set in table.sets.values {
        for element in set.elements { if let target = element.verdict?.chain { chains.insert(target) } }
    }
    return (chains, sets)
}

func comments(_ chain: DesiredChain?) -> [String] { (chain?.rules ?? []).map { $0.comment ?? "" } }

@Suite struct StructureTests {
    let ruleset = PolicyRenderer.render(structureProgram(), settings: RenderingSettings(vxlanEnabled: true))

    @Test func oneTablePerFamilyHookedIntoForwardInputOutputAndPostrouting() throws {
        #expect(ruleset.tables.map(\.table) == [Table(family: .ip, name: "tabby"), Table(family: .ip6, name: "tabby")])
        let ip = try #require(ruleset.table(.ip))
        let hooks = ip.chains.values.compactMap { chain in chain.chain.base.map { (chain.name, $0) } }
            .sorted { $0.0 < $1.0 }
        #expect(hooks.map(\.0) == ["filter-forward", "filter-input", "filter-output", "nat-postrouting"])
        #expect(hooks.map(\.1.hook) == [.forward, .input, .output, .postrouting])
        #expect(hooks.map(\.1.type) == [.filter, .filter, .filter, .nat])
        #expect(hooks.map(\.1.priority) == [0, 0, 0, 100])
        #expect(hooks.allSatisfy { $0.1.policy == .accept })
        let v4Only = PolicyRenderer.render(structureProgram(), settings: RenderingSettings(ipv6: false))
        #expect(v4Only.tables.map(\.table.family) == [.ip])
    }

    @Test func everyReferenceResolvesAndEveryRuleIsCommented() throws {
        for table in ruleset.tables {
            let (chains, sets) = references(of: table)
            #expect(chains.subtracting(table.chains.keys).isEmpty, "\(table.table): missing chains")
            #expect(sets.subtracting(table.sets.keys).isEmpty, "\(table.table): missing sets")
            for chain in table.chains.values {
                for rule in chain.rules {
                    #expect(rule.comment?.hasPrefix("tabby:") == true)
                    #expect((rule.comment?.utf8.count ?? 0) <= 127)
                    #expect(rule.table == table.table && rule.chain == chain.name)
                }
            }
        }
    }

    @Test func dispatchGoesByInterfaceThroughVerdictMapsAndUnknownInterfacesAreDropped() throws {
        let ip = try #require(ruleset.table(.ip))
        #expect(
            ip.sets["from-wl-map"]?.elements == [
                SetElement(.ifname("caliweb"), verdict: .goto("fw-caliweb")),
                SetElement(.ifname("calibare"), verdict: .goto("fw-calibare")),
            ])
        #expect(
            ip.sets["to-wl-map"]?.elements.contains(SetElement(.ifname("caliweb"), verdict: .goto("tw-caliweb")))
                == true)
        let dispatch = try #require(ip.chains["from-wl-dispatch"]).rules
        #expect(dispatch.count == 2)
        #expect(
            dispatch[0].expressions.last == .lookup(.r1, set: "from-wl-map", destination: .verdict, inverted: false))
        // After the map: any other interface with the prefix is dropped (fail-closed).
        #expect(
            dispatch[1].expressions
                == Rule(
                    in: Chain(table: ip.table, name: "x"),
                    [
                        .meta(.iifname, .eq, "cali*"), .counter, .drop,
                    ]
                ).expressions)
        let twoPrefixes = PolicyRenderer.render(
            structureProgram(), settings: RenderingSettings(interfacePrefixes: ["cali", "tap"]))
        let forward = try #require(twoPrefixes.table(.ip)?.chains["filter-forward"]).rules
        #expect(forward.count == 4)
        #expect(try #require(twoPrefixes.table(.ip)?.chains["to-wl-dispatch"]).rules.count == 3)
    }

    @Test func endpointChainsFollowFelixOrder() throws {
        let ip = try #require(ruleset.table(.ip))
        #expect(
            comments(ip.chains["tw-caliweb"]) == [
                "tabby:wep demo/web conntrack established", "tabby:wep demo/web conntrack invalid",
                "tabby:wep demo/web clear marks",
                "tabby:wep demo/web start of tier admin", "tabby:wep demo/web policy gnp/admin.guard",
                "tabby:wep demo/web gnp/admin.guard allowed",
                "tabby:wep demo/web start of tier default", "tabby:wep demo/web policy np/demo/web",
                "tabby:wep demo/web np/demo/web allowed", "tabby:wep demo/web end of tier default: deny",
                "tabby:wep demo/web profile kns.demo", "tabby:wep demo/web kns.demo allowed",
                "tabby:wep demo/web no profile matched",
            ])
        let rules = try #require(ip.chains["tw-caliweb"]).rules
        #expect(rules[0].expressions.last == .verdict(.accept))
        #expect(rules[1].expressions.last == .verdict(.drop))
        #expect(rules[4].expressions.last == .verdict(.jump("pi-gnp/admin.guard")))
        #expect(rules[5].expressions.last == .verdict(.return))
        #expect(rules.last?.expressions == [.counter, .verdict(.drop)])
        // Egress from a workload drops VXLAN and IPIP it sends itself (IPv4 only).
        #expect(comments(ip.chains["fw-caliweb"]).contains("tabby:wep demo/web no VXLAN from workloads"))
        let ip6Egress = comments(ruleset.table(.ip6)?.chains["fw-caliweb"])
        #expect(!ip6Egress.contains("tabby:wep demo/web no IPIP from workloads"))
        // An endpoint without policies or profiles is denied.
        let bare = try #require(ip.chains["tw-calibare"]).rules
        #expect(bare.last?.expressions == [.counter, .verdict(.drop)])
        #expect(!bare.contains { $0.expressions.contains { if case .verdict(.jump) = $0 { true } else { false } } })
    }

    @Test func actionsUseMarksAndVerdicts() throws {
        let ip = try #require(ruleset.table(.ip))
        let allow = try #require(ip.chains["pi-np/demo/web"]?.rules.first)
        #expect(
            allow.expressions.suffix(5) == [
                .counter, .meta(.mark, into: .r1),
                .bitwise(source: .r1, destination: .r1, mask: [0xff, 0xff, 0xfe, 0xff], xor: [0, 0, 0x01, 0]),
                .setMeta(.mark, from: .r1), .verdict(.return),
            ])
        let pass = try #require(ip.chains["pi-gnp/admin.guard"]?.rules.first)
        #expect(
            pass.expressions.suffix(3).first
                == .bitwise(source: .r1, destination: .r1, mask: [0xff, 0xff, 0xfd, 0xff], xor: [0, 0, 0x02, 0]))
    }

    @Test func rulesWithTheSameSelectorShareOneSetWithTheFamilysMembers() throws {
        let ip = try #require(ruleset.table(.ip))
        let ip6 = try #require(ruleset.table(.ip6))
        let users = ip.chains.values.filter { chain in
            chain.rules.contains {
                $0.expressions.contains(.lookup(.r1, set: "s-frontends", destination: nil, inverted: false))
            }
        }
        #expect(users.map(\.name).sorted() == ["pi-gnp/admin.guard", "pi-np/demo/web"])
        // 198.51.100.10 lies inside 198.51.100.0/28: one interval, as the kernel refuses overlaps.
        #expect(ip.sets["s-frontends"]?.elements == [SetElement(.prefix(CIDR("198.51.100.0/28")!))])
        #expect(ip.sets["s-frontends"]?.namedSet.flags == [.interval])
        #expect(ip6.sets["s-frontends"]?.elements == [SetElement(.prefix(CIDR("2001:db8::10/128")!))])
    }

    @Test func overlappingAndAdjacentIntervalsAreMergedOnlyWhenTheyOverlap() {
        var program = structureProgram()
        program.addressSets[SetID(rawValue: "s:frontends")] = [
            cidr("198.51.100.4/32"), cidr("198.51.100.4/30"), cidr("198.51.100.6/31"), cidr("198.51.100.8/32"),
            cidr("198.51.100.9/32"), cidr("198.51.100.0/29"),
        ]
        let set = PolicyRenderer.render(program).table(.ip)?.sets["s-frontends"]
        #expect(
            set?.elements == [
                SetElement(.prefix(CIDR("198.51.100.0/29")!)),
                SetElement(.ipv4(IPv4Address("198.51.100.8")!)),
                SetElement(.ipv4(IPv4Address("198.51.100.9")!)),
            ])
        program.addressSets[SetID(rawValue: "s:frontends")] = [
            cidr("198.51.100.4/32"), cidr("198.51.100.5/32"), cidr("198.51.100.0/30"), cidr("198.51.100.2/31"),
            cidr("198.51.100.3/32"),
        ]
        #expect(
            PolicyRenderer.render(program).table(.ip)?.sets["s-frontends"]?.elements == [
                SetElement(.prefix(CIDR("198.51.100.0/30")!)),
                SetElement(.ipv4(IPv4Address("198.51.100.4")!)),
                SetElement(.ipv4(IPv4Address("198.51.100.5")!)),
            ])
    }

    @Test func natOutgoingMasqueradesFromNatPoolsToOutsideEveryPool() throws {
        let ip = try #require(ruleset.table(.ip))
        let rule = try #require(ip.chains["nat-outgoing"]?.rules.first)
        #expect(
            rule.expressions == [
                .payload(.network, offset: 12, length: 4, into: .r1),
                .lookup(.r1, set: "masq-ipam-pools", destination: nil, inverted: false),
                .payload(.network, offset: 16, length: 4, into: .r1),
                .lookup(.r1, set: "all-ipam-pools", destination: nil, inverted: true),
                .counter, .masquerade(flags: 0),
            ])
        #expect(ip.sets["masq-ipam-pools"]?.elements == [SetElement(.prefix(CIDR("198.51.100.0/24")!))])
        #expect(ip.sets["all-ipam-pools"]?.elements.count == 2)
        #expect(
            ruleset.table(.ip6)?.sets["all-ipam-pools"]?.elements == [
                SetElement(.prefix(CIDR("2001:db8::/64")!))
            ])
        #expect(ip.chains["nat-postrouting"]?.rules.first?.expressions == [.verdict(.jump("nat-outgoing"))])

        let snat = PolicyRenderer.render(
            structureProgram(), settings: RenderingSettings(natOutgoingAddress: IPAddress("192.0.2.11")))
        #expect(
            snat.table(.ip)?.chains["nat-outgoing"]?.rules.first?.expressions.suffix(2) == [
                .immediate([192, 0, 2, 11], into: .r1),
                .nat(.snat, family: .ip, addressMin: .r1, addressMax: nil, flags: 0),
            ])
        // IPv6 has no natOutgoingAddress: it masquerades.
        #expect(snat.table(.ip6)?.chains["nat-outgoing"]?.rules.first?.expressions.last == .masquerade(flags: 0))
    }

    @Test func tunnelsAreAcceptedOnlyFromKnownHostsAndWorkloadToHostFollowsTheSetting() throws {
        let settings = RenderingSettings(
            defaultEndpointToHostAction: .accept, vxlanEnabled: true, vxlanPort: 4790, ipipEnabled: true)
        let ip = try #require(PolicyRenderer.render(structureProgram(), settings: settings).table(.ip))
        #expect(
            comments(ip.chains["filter-input"]) == [
                "tabby:IPIP from known hosts", "tabby:IPIP from elsewhere", "tabby:VXLAN from known hosts",
                "tabby:VXLAN from elsewhere", "tabby:from workloads to the host", "tabby:host endpoints",
            ])
        let vxlan = try #require(ip.chains["filter-input"]?.rules[2])
        #expect(vxlan.expressions.contains(.compare(.r1, .eq, [0x12, 0xb6])))
        #expect(vxlan.expressions.contains(.lookup(.r1, set: "all-hosts-net", destination: nil, inverted: false)))
        #expect(ip.sets["all-hosts-net"]?.elements == [SetElement(.ipv4(IPv4Address("192.0.2.11")!))])
        #expect(ip.chains["wl-to-host"]?.rules.last?.expressions == [.counter, .verdict(.accept)])
        #expect(
            try #require(ruleset.table(.ip)?.chains["wl-to-host"]?.rules.last?.expressions) == [
                .counter, .verdict(.drop),
            ])
        let noTunnels = PolicyRenderer.render(structureProgram(), settings: RenderingSettings())
        #expect(noTunnels.table(.ip)?.chains["filter-input"]?.rules.count == 2)
        #expect(noTunnels.table(.ip6)?.chains["filter-input"]?.rules.count == 2)
    }

    /// IPv6 VXLAN (`vxlan-v6.calico`) is accepted only from the IPv6 addresses of known nodes, in the ip6 table.
    @Test func ipv6VXLANIsAcceptedOnlyFromKnownIPv6Hosts() throws {
        var program = structureProgram()
        program.hostNetworks.insert(cidr("2001:db8::11/128"))
        let v4Only = PolicyRenderer.render(program, settings: RenderingSettings(vxlanEnabled: true))
        #expect(v4Only.table(.ip6)?.chains["filter-input"]?.rules.count == 2)
        let ruleset = PolicyRenderer.render(program, settings: RenderingSettings(vxlanV6Enabled: true))
        let ip6 = try #require(ruleset.table(.ip6))
        #expect(
            comments(ip6.chains["filter-input"]) == [
                "tabby:VXLAN from known hosts", "tabby:VXLAN from elsewhere", "tabby:from workloads to the host",
                "tabby:host endpoints",
            ])
        let accept = try #require(ip6.chains["filter-input"]?.rules.first)
        #expect(accept.expressions.contains(.lookup(.r1, set: "all-hosts-net", destination: nil, inverted: false)))
        #expect(ip6.sets["all-hosts-net"]?.elements == [SetElement(.ipv6(IPv6Address("2001:db8::11")!))])
        #expect(ruleset.table(.ip)?.chains["filter-input"]?.rules.count == 2)
    }

    @Test func renderingIsDeterministic() {
        #expect(PolicyRenderer.render(structureProgram()) == PolicyRenderer.render(structureProgram()))
        var world = RandomPrograms(seed: 7)
        let program = world.program()
        #expect(PolicyRenderer.render(program) == PolicyRenderer.render(program))
    }
}

/// The renderer with a memory gives what the pure function gives, over a sequence of changing programs, and
/// reuses what did not change.
@Suite struct IncrementalRenderingTests {
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func aRendererWithMemoryAgreesWithTheFunction(seed: UInt64) {
        let renderer = RulesetRenderer()
        var world = RandomPrograms(seed: seed)
        var program = world.program()
        for step in 0..<6 {
            #expect(renderer.render(program) == PolicyRenderer.render(program), "seed \(seed) step \(step)")
            // Change a few things, as label changes, new policies and new endpoints do.
            var next = world.program()
            next.workloadEndpoints["cali0"] = program.workloadEndpoints["cali0"]
            next.chains[PolicyChainKey(RandomPrograms.policies[0], .ingress)] =
                program.chains[PolicyChainKey(RandomPrograms.policies[0], .ingress)]
            next.addressSets[RandomPrograms.selectorSets[0]] = program.addressSets[RandomPrograms.selectorSets[0]]
            program = next
        }
        let settings = RenderingSettings(interfacePrefixes: ["tap"], defaultEndpointToHostAction: .accept)
        #expect(renderer.render(program, settings: settings) == PolicyRenderer.render(program, settings: settings))
    }

    /// A remote endpoint's change moves only set members: the renderer refills those sets in the previous
    /// ruleset, and the result is still what the pure function gives.
    @Test(arguments: [UInt64(11), 12, 13])
    func setMemberChangesAreRefilledInPlace(seed: UInt64) {
        let renderer = RulesetRenderer()
        var world = RandomPrograms(seed: seed)
        var program = world.program()
        let first = renderer.render(program)
        #expect(first == PolicyRenderer.render(program))
        for step in 0..<6 {
            let other = world.program()
            if step % 2 == 0 {
                program.addressSets[RandomPrograms.selectorSets[step % 4]] =
                    other.addressSets[RandomPrograms.selectorSets[step % 4]]
            } else {
                program.namedPortSets = other.namedPortSets
            }
            let rendered = renderer.render(program)
            #expect(rendered == PolicyRenderer.render(program), "seed \(seed) step \(step)")
            #expect(rendered.tables.map(\.chains) == first.tables.map(\.chains))
        }
        // Then a change beyond set members renders the whole table again.
        program.workloadEndpoints = world.program().workloadEndpoints
        #expect(renderer.render(program) == PolicyRenderer.render(program))
    }
}
