import NetworkAddress
import NFTables
import NetworkAddress

/// A ruleset with every object kind the module handles, used by several real-kernel tests.
struct FullRuleset {
    let table = Table(family: .inet, name: "tabby")
    var input: Chain { Chain(table: table, name: "input", base: BaseChain(type: .filter, hook: .input, priority: 0)) }
    var forward: Chain {
        Chain(
            table: table, name: "forward", base: BaseChain(type: .filter, hook: .forward, priority: 10, policy: .drop))
    }
    var postrouting: Chain {
        Chain(table: table, name: "postrouting", base: BaseChain(type: .nat, hook: .postrouting, priority: 100))
    }
    var output: Chain {
        Chain(table: table, name: "output", base: BaseChain(type: .route, hook: .output, priority: -150))
    }
    var workload: Chain { Chain(table: table, name: "cali-tw-cali1234") }
    var policy: Chain { Chain(table: table, name: "cali-pi-allow") }

    var addresses: NamedSet { NamedSet(table: table, name: "addresses", keyType: .ipv4Address) }
    var networks: NamedSet { NamedSet(table: table, name: "networks", keyType: .ipv4Address, flags: .interval) }
    var networks6: NamedSet { NamedSet(table: table, name: "networks6", keyType: .ipv6Address, flags: .interval) }
    var services: NamedSet {
        NamedSet(table: table, name: "services", keyType: SetKeyType(.ipv4Address, .inetProtocol, .inetService))
    }
    var serviceRanges: NamedSet {
        NamedSet(
            table: table, name: "service-ranges", keyType: SetKeyType(.ipv4Address, .inetProtocol, .inetService),
            flags: .interval)
    }
    var interfaces: NamedSet { NamedSet(table: table, name: "interfaces", keyType: .ifname) }
    var dispatch: NamedSet { .verdictMap(table: table, name: "dispatch", keyType: .ifname) }

    var chains: [Chain] { [input, forward, postrouting, output, workload, policy] }
    var sets: [NamedSet] { [addresses, networks, networks6, services, serviceRanges, interfaces, dispatch] }

    var elements: [String: [SetElement]] {
        [
            addresses.name: [
                SetElement(.ipv4(IPv4Address(192, 0, 2, 10))), SetElement(.ipv4(IPv4Address(192, 0, 2, 11))),
            ],
            networks.name: [
                SetElement(.prefix(CIDR("192.0.2.0/24")!)),
                SetElement(.ipv4(IPv4Address(198, 51, 100, 7))),
                SetElement(.ipv4Range(IPv4Address(203, 0, 113, 10), IPv4Address(203, 0, 113, 20))),
            ],
            networks6.name: [SetElement(.prefix(CIDR("2001:db8::/32")!))],
            services.name: [
                SetElement(.ipv4(IPv4Address(192, 0, 2, 1)), .inetProtocol(6), .inetService(80)),
                SetElement(.ipv4(IPv4Address(192, 0, 2, 1)), .inetProtocol(17), .inetService(53)),
            ],
            serviceRanges.name: [
                SetElement(.prefix(CIDR("192.0.2.0/24")!), .inetProtocol(6), .inetServiceRange(8000, 8080))
            ],
            interfaces.name: [SetElement(.ifname("cali1234")), SetElement(.ifname("cali5678"))],
            dispatch.name: [SetElement(.ifname("cali1234"), verdict: .jump(workload.name))],
        ]
    }

    var rules: [Rule] {
        [
            Rule(in: input, comment: "tabby:ct", [.ctState(.eq, [.established, .related]), .accept]),
            Rule(in: input, comment: "tabby:invalid", [.ctState(.eq, .invalid), .counter, .drop]),
            Rule(
                in: input, comment: "tabby:web",
                [
                    .meta(.iifname, .eq, "cali+"), .address(.saddr, .eq, CIDR("192.0.2.0/24")!), .tcp(.dport, .eq, 80),
                    .counter, .accept,
                ]
            ),
            Rule(
                in: input, comment: "tabby:services",
                [.lookup([.ipv4(.saddr), .l4proto, .transportPort(.dport)], set: services.name), .accept]),
            Rule(
                in: input, comment: "tabby:not-networks", [.lookup([.ipv4(.daddr)], .neq, set: networks.name), .drop]),
            Rule(
                in: input, comment: "tabby:v6",
                [.address(.saddr, .eq, CIDR("2001:db8::/32")!), .udp(.sport, .eq, 53), .accept]),
            Rule(
                in: input, comment: "tabby:ports", [.tcp(.dport, .eq, 8000...8080), .reject(.icmpx(.adminProhibited))]),
            Rule(in: input, comment: "tabby:sctp", [.sctp(.dport, .neq, 9), .l4proto(.eq, .sctp), .reject()]),
            Rule(in: input, comment: "tabby:ping", [.icmp(type: 8, code: 0), .log(prefix: "tabby ping "), .accept]),
            Rule(in: input, comment: "tabby:ping6", [.icmpv6(type: 128), .accept]),
            Rule(
                in: input, comment: "tabby:range",
                [.ip(.daddr, .neq, IPv4Address(192, 0, 2, 1)...IPv4Address(192, 0, 2, 9)), .return]),
            Rule(in: input, comment: "tabby:mark", [.mark(.eq, 0x10000, mask: 0xffff_0000), .return]),
            Rule(in: input, comment: "tabby:set-mark", [.setMark(0x10000, mask: 0x10000)]),
            Rule(in: input, comment: "tabby:set-mark-all", [.mark(.neq, 0), .setMark(0x2)]),
            Rule(in: input, comment: "tabby:vmap", [.verdictMap([.iifname], map: dispatch.name)]),
            Rule(in: input, comment: "tabby:ifnames", [.lookup([.iifname], set: interfaces.name), .goto(policy.name)]),
            Rule(in: forward, comment: "tabby:jump", [.meta(.oifname, .eq, "cali1234"), .jump(workload.name)]),
            Rule(in: forward, comment: "tabby:tcp-rst", [.l4proto(.eq, .tcp), .reject(.tcpReset)]),
            Rule(in: workload, comment: "tabby:allow", [.jump(policy.name)]),
            Rule(in: workload, comment: "tabby:addresses", [.lookup([.ipv4(.saddr)], set: addresses.name), .accept]),
            Rule(
                in: workload, comment: "tabby:ranges",
                [.lookup([.ipv4(.saddr), .l4proto, .transportPort(.dport)], set: serviceRanges.name), .accept]),
            Rule(in: workload, comment: "tabby:v6net", [.lookup([.ipv6(.saddr)], set: networks6.name), .accept]),
            Rule(in: workload, comment: "tabby:default", [.drop]),
            Rule(
                in: postrouting, comment: "tabby:masq",
                [.address(.saddr, .eq, CIDR("192.0.2.0/24")!), .meta(.oifname, .neq, "cali+"), .masquerade]),
            Rule(
                in: postrouting, comment: "tabby:snat",
                [.ip(.daddr, .eq, IPv4Address(203, 0, 113, 9)), .snat(to: IPv4Address(198, 51, 100, 1))]),
            Rule(
                in: postrouting, comment: "tabby:snat6",
                [.ip6(.daddr, .eq, IPv6Address("2001:db8::9")!), .snat(to: IPv6Address("2001:db8::1")!)]),
            Rule(in: output, comment: "tabby:route-mark", [.setMark(0x1)]),
        ]
    }

    /// Table, chains, sets, elements and rules, in the order the kernel needs them.
    var transaction: Transaction {
        var transaction = Transaction()
        transaction.add(table)
        for chain in chains { transaction.add(chain) }
        for set in sets {
            transaction.add(set)
            transaction.add(elements[set.name] ?? [], to: set)
        }
        for rule in rules { transaction.add(rule) }
        return transaction
    }
}

extension FullRuleset {
    /// How `nft list ruleset` prints each rule of `rules`, by comment (counter values left out): the kernel
    /// encoding is right when nft reads it back as the rule was meant.
    static let nftText: [String: String] = [
        "tabby:ct": "ct state established,related accept",
        "tabby:invalid": "ct state invalid counter drop",
        "tabby:web": "iifname \"cali*\" ip saddr 192.0.2.0/24 tcp dport 80 counter accept",
        "tabby:services": "ip saddr . meta l4proto . th dport @services accept",
        "tabby:not-networks": "ip daddr != @networks drop",
        "tabby:v6": "ip6 saddr 2001:db8::/32 udp sport 53 accept",
        "tabby:ports": "tcp dport 8000-8080 reject with icmpx admin-prohibited",
        "tabby:sctp": "sctp dport != 9 meta l4proto sctp reject",
        "tabby:ping": "icmp type echo-request icmp code net-unreachable log prefix \"tabby ping \" accept",
        "tabby:ping6": "icmpv6 type echo-request accept",
        "tabby:range": "ip daddr != 192.0.2.1-192.0.2.9 return",
        "tabby:mark": "meta mark 0x00010000/16 return",
        "tabby:set-mark": "meta mark set meta mark | 0x00010000",
        "tabby:set-mark-all": "meta mark != 0x00000000 meta mark set 0x00000002",
        "tabby:vmap": "iifname vmap @dispatch",
        "tabby:ifnames": "iifname @interfaces goto cali-pi-allow",
        "tabby:jump": "oifname \"cali1234\" jump cali-tw-cali1234",
        "tabby:tcp-rst": "meta l4proto tcp reject with tcp reset",
        "tabby:allow": "jump cali-pi-allow",
        "tabby:addresses": "ip saddr @addresses accept",
        "tabby:ranges": "ip saddr . meta l4proto . th dport @service-ranges accept",
        "tabby:v6net": "ip6 saddr @networks6 accept",
        "tabby:default": "drop",
        "tabby:masq": "ip saddr 192.0.2.0/24 oifname != \"cali*\" masquerade",
        "tabby:snat": "ip daddr 203.0.113.9 snat ip to 198.51.100.1",
        "tabby:snat6": "ip6 daddr 2001:db8::9 snat ip6 to 2001:db8::1",
        "tabby:route-mark": "meta mark set 0x00000001",
    ]
}
