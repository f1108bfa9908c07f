import Foundation
import Testing

private let cluster = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: shop, labels: {env: prod}}
    ---
    apiVersion: projectcalico.org/v3
    kind: Tier
    metadata: {name: security}
    spec: {order: 100, defaultAction: Pass}
    ---
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: security.guard}
    spec:
      tier: security
      order: 10
      selector: all()
      ingress:
      - {action: Deny, source: {nets: [198.51.100.0/24]}}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: allow-frontend, namespace: shop}
    spec:
      selector: role == 'backend'
      ingress:
      - {action: Allow, protocol: TCP, source: {selector: role == 'frontend'}, destination: {ports: [8080]}}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: audit, namespace: shop}
    spec:
      selector: all()
      order: 5
      ingress:
      - {action: Log}
      egress:
      - {action: Log}
      - {action: Allow}
    ---
    apiVersion: projectcalico.org/v3
    kind: WorkloadEndpoint
    metadata: {name: node--1-k8s-backend-eth0, namespace: shop, labels: {role: backend}}
    spec:
      node: node-1
      pod: backend
      interfaceName: calibackend0
      ipNetworks: [192.0.2.2/32]
      serviceAccountName: api
      profiles: [kns.shop, ksa.shop.api, gone]
    ---
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: node-1-eth0, labels: {host: node-1}}
    spec: {node: node-1, interfaceName: eth0, expectedIPs: [198.51.100.1]}
    """

@Suite("tabbyctl policy", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct PolicyCommandTests {
    private func loaded() throws -> Tabbyctl {
        let ctl = Tabbyctl()
        let applied = try ctl.run("apply", "-f", try ctl.file("cluster.yaml", cluster))
        #expect(applied.status == 0, "\(applied.err)")
        return ctl
    }

    @Test func showListsTiersPoliciesAndProfilesInEvaluationOrder() throws {
        let ctl = try loaded()
        defer { ctl.remove() }
        let shown = try ctl.run("policy", "show", "--endpoint", "shop/node--1-k8s-backend-eth0")
        #expect(shown.status == 0, "\(shown.err)")
        let expected = """
            Workload endpoint shop/node--1-k8s-backend-eth0 on node-1 (interface calibackend0)
              addresses: 192.0.2.2/32
              labels: pcns.env=prod, pcns.projectcalico.org/name=shop, pcsa.projectcalico.org/name=api, \
            projectcalico.org/namespace=shop, projectcalico.org/serviceaccount=api, role=backend

            Ingress (to the endpoint):
              tier security (order 100, default action Pass)
                1. gnp/security.guard  order 10  selector all()  1 rule
              tier default (order 1000000, default action Deny, built-in)
                2. np/shop/audit  order 5  selector all()  1 rule
                3. np/shop/allow-frontend  order none  selector role == 'backend'  1 rule
              profiles (reached when no tier decided):
                pro/kns.shop  1 rule, synthesized
                pro/ksa.shop.api  0 rules, synthesized
                pro/gone  0 rules, missing
              otherwise: drop

            Egress (from the endpoint):
              tier default (order 1000000, default action Deny, built-in)
                1. np/shop/audit  order 5  selector all()  2 rules
              profiles (reached when no tier decided):
                pro/kns.shop  1 rule, synthesized
                pro/ksa.shop.api  0 rules, synthesized
                pro/gone  0 rules, missing
              otherwise: drop

            """
        #expect(shown.out == expected)
        // The pod's name finds its endpoint too.
        let byPod = try ctl.run("policy", "show", "--endpoint", "shop/backend")
        #expect(byPod.out == expected)
    }

    @Test func showAsJSON() throws {
        let ctl = try loaded()
        defer { ctl.remove() }
        let shown = try ctl.run("policy", "show", "--endpoint", "shop/backend", "-o", "json")
        #expect(shown.status == 0, "\(shown.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(shown.out.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "node--1-k8s-backend-eth0")
        #expect(object["node"] as? String == "node-1")
        let ingress = try #require(object["ingress"] as? [String: Any])
        let tiers = try #require(ingress["tiers"] as? [[String: Any]])
        #expect(tiers.map { $0["name"] as? String } == ["security", "default"])
        let policies = try #require(tiers.last?["policies"] as? [[String: Any]])
        #expect(policies.map { $0["id"] as? String } == ["np/shop/audit", "np/shop/allow-frontend"])
        let profiles = try #require(ingress["profiles"] as? [[String: Any]])
        #expect(profiles.map { $0["origin"] as? String } == ["synthesized", "synthesized", "missing"])
    }

    @Test func showAHostEndpoint() throws {
        let ctl = try loaded()
        defer { ctl.remove() }
        let shown = try ctl.run("policy", "show", "--endpoint", "node-1-eth0")
        #expect(shown.status == 0, "\(shown.err)")
        #expect(shown.out.hasPrefix("Host endpoint node-1-eth0 on node-1 (interface eth0)\n"))
        #expect(shown.out.contains("1. gnp/security.guard"))
        #expect(!shown.out.contains("np/shop/"), "NetworkPolicies never select host endpoints")
        #expect(
            shown.out.contains("Egress (from the endpoint):\n  no policy applies\n  no profiles\n  otherwise: drop"))
    }

    @Test func unknownEndpointsAndBadArguments() throws {
        let ctl = try loaded()
        defer { ctl.remove() }
        let missing = try ctl.run("policy", "show", "--endpoint", "shop/nothing")
        #expect(missing.status == 1)
        #expect(missing.err.contains("WorkloadEndpoint \"shop/nothing\" not found"))
        let bad = try ctl.run("policy", "show", "--endpoint", "a/b/c")
        #expect(bad.status == 2)
        let noHost = try ctl.run("policy", "show", "--endpoint", "eth9")
        #expect(noHost.status == 1)
        #expect(noHost.err.contains("HostEndpoint \"eth9\" not found"))
    }

    @Test func selectorMatchAgainstAnEndpoint() throws {
        let ctl = try loaded()
        defer { ctl.remove() }
        let cases: [(String, String, String)] = [
            ("role == 'backend'", "shop/backend", "true"),
            ("pcns.env == 'prod' && projectcalico.org/namespace == 'shop'", "shop/backend", "true"),
            ("pcsa.projectcalico.org/name == 'api'", "shop/node--1-k8s-backend-eth0", "true"),
            ("role == 'frontend'", "shop/backend", "false"),
            ("host == 'node-1'", "node-1-eth0", "true"),
            ("has(projectcalico.org/namespace)", "node-1-eth0", "false"),
        ]
        for (selector, endpoint, answer) in cases {
            let result = try ctl.run("selector", "match", "--selector", selector, "--endpoint", endpoint)
            #expect(result.status == 0, "\(selector) \(endpoint): \(result.err)")
            #expect(result.out == answer + "\n", "\(selector) \(endpoint)")
        }
        let both = try ctl.run(
            "selector", "match", "--selector", "all()", "--endpoint", "shop/backend", "--labels", "a=b")
        #expect(both.status == 2)
        let missing = try ctl.run("selector", "match", "--selector", "all()", "--endpoint", "shop/none")
        #expect(missing.status == 1)
    }
}
