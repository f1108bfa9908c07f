import CalicoAPI
import Testing

@testable import Policy

/// The deciding rule and the path a packet took, beyond allow or deny.
@Suite struct VerdictReasonTests {
    private func row(
        _ policies: String, _ from: String, _ to: String, _ traffic: Traffic, _ expected: PolicyVerdict.Decision,
        _ direction: PolicyType = .ingress
    ) -> PolicyCase {
        PolicyCase(
            scenario: "reason", policies: policies, from: Peer(from), to: Peer(to), traffic: traffic,
            direction: direction, expected: expected)
    }

    @Test func allowRuleOfANetworkPolicy() throws {
        let verdict = try row(PolicyTables.allowFrontend, "shop/frontend", "shop/backend", .tcp(8080), .allow).check()
        #expect(
            verdict.reason
                == .rule(
                    RuleReference(PolicyChainKey(.networkPolicy("shop", "allow-frontend"), .ingress), 0),
                    tier: "default"))
        #expect(verdict.logged.isEmpty && verdict.passed.isEmpty)
    }

    @Test func endOfTier() throws {
        let verdict = try row(PolicyTables.allowFrontend, "shop/db", "shop/backend", .tcp(8080), .deny).check()
        #expect(verdict.reason == .tierDefault(tier: "default"))
    }

    @Test func profileAllowsWhenNoPolicyApplies() throws {
        let verdict = try row("", "shop/db", "shop/backend", .udp(53), .allow).check()
        #expect(verdict.reason == .rule(RuleReference(PolicyChainKey(.profile("kns.shop"), .ingress), 0), tier: nil))
    }

    @Test func noProfiles() throws {
        let verdict = try row("", "shop/db", "shop/lonely", .udp(53), .deny).check()
        #expect(verdict.reason == .noProfileAllowed)
    }

    @Test func logRulesAreRecordedAndEvaluationGoesOn() throws {
        let verdict = try row(PolicyTables.logThenAllow, "shop/frontend", "shop/backend", .tcp(80), .allow).check()
        let chain = PolicyChainKey(.networkPolicy("shop", "log"), .ingress)
        #expect(verdict.logged == [RuleReference(chain, 0)])
        #expect(verdict.reason == .rule(RuleReference(chain, 1), tier: "default"))
        let udp = try row(PolicyTables.logThenAllow, "shop/frontend", "shop/backend", .udp(80), .allow).check()
        #expect(udp.logged.isEmpty)
    }

    @Test func passLeavesTheTier() throws {
        let policies = PolicyTables.securityTier(defaultAction: "Deny") + "---\n" + PolicyTables.allowFrontend
        let verdict = try row(policies, "shop/frontend", "shop/backend", .tcp(8080), .allow).check()
        #expect(verdict.passed == ["security"])
        #expect(
            verdict.reason
                == .rule(
                    RuleReference(PolicyChainKey(.networkPolicy("shop", "allow-frontend"), .ingress), 0),
                    tier: "default"))
        let denied = try row(policies, "dev/tester", "shop/backend", .tcp(8080), .deny).check()
        #expect(denied.reason == .tierDefault(tier: "security"))
        let outside = try row(policies, "198.51.100.7", "shop/backend", .tcp(8080), .deny).check()
        #expect(
            outside.reason
                == .rule(
                    RuleReference(PolicyChainKey(.globalNetworkPolicy("security.guard"), .ingress), 0), tier: "security"
                ))
    }

    @Test func tierDefaultPassIsRecorded() throws {
        let verdict = try row(
            PolicyTables.securityTier(defaultAction: "Pass"), "dev/tester", "shop/backend", .tcp(80), .allow
        ).check()
        #expect(verdict.passed == ["security"])
    }

    @Test func failsafeIsTheReasonOnHostEndpoints() throws {
        let verdict = try row("", "198.51.100.7", "198.51.100.1", .tcp(22), .allow).check()
        #expect(verdict.reason == .failsafe(FailsafePort(protocol: 6, port: 22)))
    }

    @Test func failsafePortsComeFromFelixConfiguration() throws {
        let configuration = """
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: default}
            spec:
              failsafeInboundHostPorts: [{protocol: TCP, port: 2222, net: 198.51.100.0/28}]
              failsafeOutboundHostPorts: []
            """
        try row(configuration, "198.51.100.7", "198.51.100.1", .tcp(2222), .allow).check()
        try row(configuration, "198.51.100.70", "198.51.100.1", .tcp(2222), .deny).check()
        try row(configuration, "198.51.100.7", "198.51.100.1", .tcp(22), .deny).check()
        try row(configuration, "198.51.100.1", "198.51.100.7", .udp(53), .deny, .egress).check()
        let perNode =
            configuration + """

                ---
                apiVersion: projectcalico.org/v3
                kind: FelixConfiguration
                metadata: {name: node.node-1}
                spec:
                  failsafeInboundHostPorts: [{protocol: UDP, port: 500}]
                """
        try row(perNode, "198.51.100.70", "198.51.100.1", .udp(500), .allow).check()
        try row(perNode, "198.51.100.7", "198.51.100.1", .tcp(2222), .deny).check()
    }
}
