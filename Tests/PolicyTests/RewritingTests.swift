import NetworkAddress
import CalicoAPI
import NetworkAddress
import Testing

@testable import Policy

/// Calico's selector rewriting for namespaces and service accounts, by canonical text.
@Suite struct RewritingTests {
    struct SideCase: CustomTestStringConvertible, Sendable {
        var yaml: String
        var namespace: String?
        var selector: String?
        var notSelector: String?
        var testDescription: String { "\(namespace ?? "global"): \(yaml)" }
    }

    static let sides: [SideCase] = [
        SideCase(
            yaml: "{selector: role == 'frontend'}", namespace: "shop",
            selector: #"(projectcalico.org/namespace == "shop" && role == "frontend")"#),
        SideCase(yaml: "{selector: role == 'frontend'}", namespace: nil, selector: #"role == "frontend""#),
        SideCase(
            yaml: "{selector: role == 'x', namespaceSelector: env == 'dev'}", namespace: "shop",
            selector: #"(pcns.env == "dev" && role == "x")"#),
        SideCase(yaml: "{namespaceSelector: env == 'dev'}", namespace: nil, selector: #"pcns.env == "dev""#),
        SideCase(yaml: "{namespaceSelector: all()}", namespace: "shop", selector: "has(projectcalico.org/namespace)"),
        SideCase(yaml: "{namespaceSelector: global()}", namespace: nil, selector: "!has(projectcalico.org/namespace)"),
        SideCase(
            yaml: "{namespaceSelector: \"all() && !has(x)\"}", namespace: nil,
            selector: "(has(projectcalico.org/namespace) && !has(pcns.x))"),
        SideCase(yaml: "{nets: [192.0.2.0/24]}", namespace: "shop", selector: nil),
        SideCase(
            yaml: "{notSelector: role == 'db'}", namespace: "shop", selector: #"projectcalico.org/namespace == "shop""#,
            notSelector: #"role == "db""#),
        SideCase(yaml: "{notSelector: role == 'db'}", namespace: nil, selector: nil, notSelector: #"role == "db""#),
        SideCase(
            yaml: "{serviceAccounts: {names: [b, a]}}", namespace: "shop",
            selector: #"(projectcalico.org/namespace == "shop" && projectcalico.org/serviceaccount in {"a", "b"})"#),
        SideCase(
            yaml: "{serviceAccounts: {names: [a], selector: k == 'v'}}", namespace: nil,
            selector: #"(projectcalico.org/serviceaccount in {"a"} && pcsa.k == "v")"#),
        SideCase(
            yaml: "{serviceAccounts: {selector: all()}}", namespace: nil,
            selector: "has(projectcalico.org/serviceaccount)"),
        SideCase(
            yaml: "{selector: \"a == 'x' || b == 'y'\", serviceAccounts: {names: [s]}}", namespace: "ns",
            selector: #"((projectcalico.org/namespace == "ns" && (a == "x" || b == "y")) && "#
                + #"projectcalico.org/serviceaccount in {"s"})"#),
        SideCase(yaml: "{}", namespace: "shop", selector: nil),
    ]

    @Test(arguments: sides)
    func ruleSide(_ row: SideCase) throws {
        let side = try ManifestDecoder.decode(
            EntityRule.self, from: try #require(ManifestParser.parse(row.yaml).first).root)
        let selector = try SelectorRewriting.ruleSelector(side, policyNamespace: row.namespace)
        #expect(selector?.canonical == row.selector)
        #expect(try SelectorRewriting.ruleNotSelector(side)?.canonical == row.notSelector)
        // The set ID is the Calico unique ID of that canonical text, however it was built.
        if let selector, let text = row.selector {
            #expect(SetID.selector(selector) == SetID.selector(try Selector(parsing: text)))
        }
    }

    @Test func policySelectors() throws {
        #expect(
            try SelectorRewriting.networkPolicySelector(
                selector: "role == 'db'", serviceAccountSelector: nil, namespace: "shop"
            ).canonical == #"(role == "db" && projectcalico.org/namespace == "shop")"#)
        #expect(
            try SelectorRewriting.networkPolicySelector(selector: nil, serviceAccountSelector: "all()", namespace: "s")
                .canonical == #"(projectcalico.org/namespace == "s" && has(projectcalico.org/serviceaccount))"#)
        #expect(
            try SelectorRewriting.globalPolicySelector(
                selector: "role == 'db'", namespaceSelector: "env == 'prod'", serviceAccountSelector: "k == 'v'"
            ).canonical == #"(role == "db" && pcns.env == "prod" && pcsa.k == "v")"#)
        #expect(
            try SelectorRewriting.globalPolicySelector(
                selector: "", namespaceSelector: nil, serviceAccountSelector: nil)
                == .all)
        #expect(
            try SelectorRewriting.globalPolicySelector(
                selector: nil, namespaceSelector: "global()", serviceAccountSelector: nil
            )
            .canonical == "!has(projectcalico.org/namespace)")
    }
}

/// Rules split by family, numbers for names, sets for selectors.
@Suite struct RuleNormalizationTests {
    private func normalize(_ yaml: String, namespace: String? = nil) throws -> NormalizedRuleList {
        let rules = try ManifestDecoder.decode([Rule].self, from: try #require(ManifestParser.parse(yaml).first).root)
        return try RuleNormalizer.normalize(rules, policyNamespace: namespace, field: "ingress")
    }

    @Test func netsAreSplitByFamilyAndRulesThatCannotMatchAreDropped() throws {
        let list = try normalize(
            """
            - action: Allow
              source: {nets: [192.0.2.0/24, "2001:db8::/32"], notNets: [192.0.2.7/32, "2001:db8::7/128"]}
            - {action: Allow, source: {nets: ["2001:db8::/32"]}}
            - {action: Deny, ipVersion: 4}
            - {action: Allow, protocol: ICMP}
            - {action: Allow, protocol: ICMPv6, icmp: {type: 128}}
            - {action: Pass, destination: {nets: [192.0.2.9]}}
            """)
        #expect(list.ipv4.map(\.index) == [0, 2, 3, 5])
        #expect(list.ipv6.map(\.index) == [0, 1, 4])
        #expect(list.ipv4[0].source.nets == [try CIDR(parsing: "192.0.2.0/24")])
        #expect(list.ipv4[0].source.notNets == [try CIDR(parsing: "192.0.2.7/32")])
        #expect(list.ipv6[0].source.nets == [try CIDR(parsing: "2001:db8::/32")])
        #expect(list.ipv6[2].icmp == ICMPMatch(type: 128))
        #expect(list.ipv6[2].protocol == 58)
        #expect(list.ipv4[3].destination.nets == [try CIDR(parsing: "192.0.2.9/32")])
        #expect(list.ipv4[3].action == .pass)
    }

    @Test func netsAreMasked() throws {
        let list = try normalize("- {action: Allow, source: {nets: [192.0.2.77/24]}}")
        #expect(list.ipv4[0].source.nets.map(\.description) == ["192.0.2.0/24"])
    }

    @Test func portsAndNamedPorts() throws {
        let list = try normalize(
            """
            - action: Allow
              protocol: TCP
              destination: {selector: role == 'db', ports: [80, "1000:2000", http], notPorts: [pg, 1500]}
            """, namespace: "shop")
        let rule = try #require(list.ipv4.first)
        #expect(rule.protocol == 6)
        #expect(rule.destination.ports == [PortRange(80), PortRange(1000, 2000)])
        #expect(rule.destination.notPorts == [PortRange(1500)])
        let selector = try Selector(parsing: #"projectcalico.org/namespace == "shop" && role == "db""#)
        #expect(rule.destination.selector == .selector(selector))
        #expect(rule.destination.namedPorts == [.namedPort(selector: selector, protocol: 6, name: "http")])
        #expect(rule.destination.notNamedPorts == [.namedPort(selector: selector, protocol: 6, name: "pg")])
        #expect(Set(list.sets.keys) == Set(rule.setIDs))
        #expect(
            list.sets[.namedPort(selector: selector, protocol: 6, name: "http")]
                == .namedPort(selector, protocol: 6, name: "http"))
    }

    @Test func namedPortsWithoutASelectorLookAtEveryEndpoint() throws {
        let list = try normalize("- {action: Allow, protocol: UDP, destination: {ports: [dns]}}")
        #expect(list.ipv4[0].destination.namedPorts == [.namedPort(selector: .all, protocol: 17, name: "dns")])
        #expect(list.ipv4[0].destination.selector == nil)
    }

    @Test func rulesThatCanNeverMatchAreDropped() throws {
        let services = try ManifestDecoder.decode(
            Rule.self,
            from: try #require(
                ManifestParser.parse("{action: Allow, destination: {services: {name: kubernetes}}}").first
            )
            .root)
        var portsWithoutProtocol = Rule(action: .allow)
        portsWithoutProtocol.destination = EntityRule()
        portsWithoutProtocol.destination?.ports = [.number(80)]
        var unknownProtocol = Rule(action: .deny)
        unknownProtocol.protocol = .name("GRE")
        var badVersion = Rule(action: .deny)
        badVersion.ipVersion = 5
        let list = try RuleNormalizer.normalize(
            [services, portsWithoutProtocol, unknownProtocol, badVersion, Rule(action: .log)], policyNamespace: nil,
            field: "ingress")
        #expect(list.ipv4.map(\.index) == [4])
        #expect(list.ipv6.map(\.index) == [4])
        #expect(list.sets.isEmpty)
    }

    @Test func aBadSelectorNamesTheRule() throws {
        var rule = Rule(action: .allow)
        rule.source = EntityRule()
        rule.source?.selector = "role == "
        #expect(throws: RuleNormalizer.Failure.self) {
            try RuleNormalizer.normalize([Rule(action: .allow), rule], policyNamespace: nil, field: "spec.ingress")
        }
        do {
            _ = try RuleNormalizer.normalize([Rule(action: .allow), rule], policyNamespace: nil, field: "spec.ingress")
        } catch {
            #expect(error.field == "spec.ingress[1]")
        }
    }
}
