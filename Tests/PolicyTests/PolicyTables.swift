import NetworkAddress
import CalicoAPI
import NetworkAddress

@testable import Policy

/// The tables of policy cases: each scenario adds resources to `PolicyWorld` and states, for every packet of a
/// matrix, the verdict Calico's semantics give.
enum PolicyTables {
    typealias Expectation = (_ peer: String, _ traffic: Traffic) -> Bool

    /// Peers of the world: pods of three namespaces and two nodes, the host endpoint, the network set, an
    /// outside address.
    static let peers = [
        "shop/frontend", "shop/db", "shop/remote", "dev/tester", "ops/monitor", "198.51.100.7", "198.51.100.1",
        "203.0.113.5",
    ]
    static let podPeers = ["shop/frontend", "shop/db", "shop/remote", "dev/tester", "ops/monitor"]
    static let traffic: [Traffic] = [.tcp(8080), .tcp(80), .udp(8080), .ping]

    /// Ingress at `at` from every peer with every kind of traffic.
    static func ingress(
        _ scenario: String, _ policies: String, at: String = "shop/backend", peers: [String] = peers,
        traffic: [Traffic] = traffic, allowed: Expectation
    ) -> [PolicyCase] {
        peers.flatMap { peer in
            traffic.map { item in
                PolicyCase(
                    scenario: scenario, policies: policies, from: Peer(peer), to: Peer(at), traffic: item,
                    direction: .ingress, expected: allowed(peer, item) ? .allow : .deny)
            }
        }
    }

    /// Egress from `from` to every peer with every kind of traffic.
    static func egress(
        _ scenario: String, _ policies: String, from: String = "shop/frontend", peers: [String] = peers,
        traffic: [Traffic] = traffic, allowed: Expectation
    ) -> [PolicyCase] {
        peers.flatMap { peer in
            traffic.map { item in
                PolicyCase(
                    scenario: scenario, policies: policies, from: Peer(from), to: Peer(peer), traffic: item,
                    direction: .egress, expected: allowed(peer, item) ? .allow : .deny)
            }
        }
    }

    static func isTCP(_ traffic: Traffic, _ port: UInt16) -> Bool {
        if case .tcp(let value) = traffic { return value == port }
        return false
    }

    static func isTCP(_ traffic: Traffic) -> Bool {
        if case .tcp = traffic { return true }
        return false
    }

    // MARK: Policies

    static let allowFrontend = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: allow-frontend, namespace: shop}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Allow
            protocol: TCP
            source: {selector: role == 'frontend'}
            destination: {ports: [8080]}

        """

    static func denyRemote(order: Int) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: deny-remote}
        spec:
          order: \(order)
          selector: role == 'backend'
          ingress:
          - action: Deny
            source: {nets: [192.0.2.30/32]}

        """
    }

    static func securityTier(defaultAction: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100, defaultAction: \(defaultAction)}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: security.guard}
        spec:
          tier: security
          order: 1
          selector: projectcalico.org/namespace == 'shop'
          ingress:
          - action: Deny
            source: {nets: [198.51.100.0/24]}
          - action: Pass
            source: {namespaceSelector: env == 'prod'}

        """
    }

    static func fromNamespaces(_ selector: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: from-namespaces, namespace: shop}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Allow
            source: {namespaceSelector: "\(selector)"}

        """
    }

    static let globalOnly = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: global-only}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Allow
            source: {namespaceSelector: global()}

        """

    static let blockFeed = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: block-feed}
        spec:
          selector: all()
          types: [Egress]
          egress:
          - action: Deny
            destination: {selector: feed == 'blocked'}
          - action: Allow

        """

    static let noDocs = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: no-docs, namespace: shop}
        spec:
          selector: all()
          egress:
          - action: Deny
            destination: {nets: [198.51.100.0/24]}
          - action: Allow

        """

    static let negations = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: negations, namespace: shop}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Allow
            protocol: TCP
            source: {notSelector: role == 'db', notNets: [192.0.2.30/32]}
            destination: {notPorts: [22, "1000:2000"]}
          # One address family per rule, as Calico requires.
          - action: Allow
            notProtocol: TCP
            source: {nets: [192.0.2.0/24]}
          - action: Allow
            notProtocol: TCP
            source: {nets: ["2001:db8::/64"]}

        """

    static let icmp = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: icmp, namespace: shop}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Deny
            protocol: ICMP
            icmp: {type: 8, code: 1}
          - action: Allow
            protocol: ICMP
            icmp: {type: 8}
          - action: Allow
            protocol: ICMP
            notICMP: {type: 3}
          - action: Allow
            protocol: ICMPv6
            icmp: {type: 128}

        """

    static let ipVersions = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: versions, namespace: shop}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Allow
            ipVersion: 6
            protocol: TCP
          - action: Allow
            protocol: UDP
            source: {nets: ["2001:db8::/64"]}
          - action: Allow
            protocol: ICMPv6

        """

    static let namedPorts = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: named}
        spec:
          selector: projectcalico.org/namespace == 'shop' && role in {'backend', 'db'}
          ingress:
          - action: Allow
            protocol: TCP
            destination: {ports: [http]}
          - action: Allow
            protocol: TCP
            destination: {selector: role == 'db', ports: [pg, 9999]}
          - action: Allow
            protocol: UDP
            destination: {notPorts: [http, 53]}

        """

    static func serviceAccounts(_ match: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: accounts, namespace: shop}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Allow
            source: {serviceAccounts: \(match)}

        """
    }

    static let onlyEgressRules = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: egress-only, namespace: shop}
        spec:
          selector: role == 'backend'
          egress:
          - action: Deny
            destination: {nets: [198.51.100.0/24]}
          - action: Allow

        """

    static func noRules(types: String?) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: isolate, namespace: shop}
        spec:
          selector: role == 'backend'
        """ + (types.map { "\n  types: \($0)\n" } ?? "\n")
    }

    static func tie(
        _ first: (name: String, action: String, order: String?),
        _ second: (name: String, action: String, order: String?)
    )
        -> String
    {
        [first, second].map { policy in
            """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: \(policy.name)}
            spec:
              selector: role == 'backend'
            """ + (policy.order.map { "\n  order: \($0)" } ?? "") + """

                  ingress:
                  - action: \(policy.action)

                """
        }.joined(separator: "---\n")
    }

    static func tiers(_ specs: [(tier: String, order: String?, action: String)]) -> String {
        specs.map { spec in
            var text = ""
            if spec.tier != "default" && spec.tier != "nowhere" {
                text += """
                    apiVersion: projectcalico.org/v3
                    kind: Tier
                    metadata: {name: \(spec.tier)}
                    spec: {\(spec.order.map { "order: \($0)" } ?? "")}
                    ---

                    """
            }
            return text + """
                apiVersion: projectcalico.org/v3
                kind: GlobalNetworkPolicy
                metadata: {name: \(spec.tier).\(spec.action.lowercased())}
                spec:
                  tier: \(spec.tier)
                  selector: role == 'backend'
                  ingress:
                  - action: \(spec.action)

                """
        }.joined(separator: "---\n")
    }

    static let logThenAllow = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: log, namespace: shop}
        spec:
          selector: role == 'backend'
          ingress:
          - action: Log
            protocol: TCP
          - action: Allow
            source: {selector: role == 'frontend'}

        """

    static let hostPolicy = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: host-web}
        spec:
          selector: host == 'node-1'
          ingress:
          - action: Allow
            protocol: TCP
            destination: {ports: [80]}

        """

    static let devProfile = """
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: kns.dev}
        spec:
          labelsToApply: {pcns.env: staging}
          ingress:
          - action: Deny
            source: {selector: role == 'monitor'}
          - action: Pass
            protocol: UDP
          - action: Allow
            protocol: TCP
          egress:
          - action: Allow

        """

    static let namespacedGlobal = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: prod-only}
        spec:
          namespaceSelector: env == 'prod'
          selector: role in {'backend', 'frontend'}
          ingress:
          - action: Allow
            protocol: UDP

        """

    // MARK: The tables

    static var all: [PolicyCase] {
        var cases: [PolicyCase] = []
        let pods = Set(podPeers)
        // Default allow through the kns profile, both ways, for pods, hosts and outside addresses.
        cases += ingress("default allow", "") { _, _ in true }
        cases += egress("default allow", "") { _, _ in true }
        cases += ingress("default allow", "", at: "ops/monitor") { _, _ in true }
        // An endpoint with no profile, a missing profile or a rule-less ksa profile is denied.
        for pod in ["shop/lonely", "shop/ghost", "shop/sa-only"] {
            cases += ingress("no profiles", "", at: pod) { _, _ in false }
            cases += egress("no profiles", "", from: pod) { _, _ in false }
        }
        // A NetworkPolicy allowing only TCP/8080 from role == 'frontend' of its own namespace.
        let frontends: Set = ["shop/frontend", "shop/remote"]
        cases += ingress("allow TCP/8080 from frontend", allowFrontend) { peer, item in
            frontends.contains(peer) && isTCP(item, 8080)
        }
        cases += egress("allow TCP/8080 from frontend", allowFrontend, from: "shop/backend") { _, _ in true }
        cases += ingress("allow TCP/8080 from frontend", allowFrontend, at: "shop/db") { _, _ in true }
        cases += ingress("allow TCP/8080 from frontend", allowFrontend, at: "shop/lonely") { peer, item in
            frontends.contains(peer) && isTCP(item, 8080)
        }
        // A higher-priority GlobalNetworkPolicy Deny overrides; a lower-priority one does not.
        cases += ingress("GNP deny before NP", allowFrontend + "---\n" + denyRemote(order: 10)) { peer, item in
            peer == "shop/frontend" && isTCP(item, 8080)
        }
        cases += ingress(
            "GNP deny after NP",
            allowFrontend.replacingOccurrences(of: "spec:\n", with: "spec:\n  order: 5\n")
                + "---\n" + denyRemote(order: 10)
        ) { peer, item in frontends.contains(peer) && isTCP(item, 8080) }
        // Pass hands over to the next tier; the tier's default action applies when nothing matched.
        let prod: Set = ["shop/frontend", "shop/db", "shop/remote"]
        cases += ingress("Pass, tier default Deny", securityTier(defaultAction: "Deny")) { peer, _ in
            prod.contains(peer)
        }
        cases += ingress("Pass, tier default Pass", securityTier(defaultAction: "Pass")) { peer, _ in
            !peer.hasPrefix("198.51.100.")
        }
        cases += ingress("Pass into a NetworkPolicy", securityTier(defaultAction: "Pass") + "---\n" + allowFrontend) {
            peer, item in frontends.contains(peer) && isTCP(item, 8080)
        }
        cases += egress("Pass tier is ingress only", securityTier(defaultAction: "Deny"), from: "shop/backend") {
            _, _ in true
        }
        // namespaceSelector admits pods of the selected namespaces only.
        cases += ingress("namespaceSelector env == dev", fromNamespaces("env == 'dev'")) { peer, _ in
            peer == "dev/tester"
        }
        cases += ingress("namespaceSelector all()", fromNamespaces("all()")) { peer, _ in pods.contains(peer) }
        cases += ingress("namespaceSelector by name", fromNamespaces("projectcalico.org/name == 'ops'")) { peer, _ in
            peer == "ops/monitor"
        }
        cases += ingress("namespaceSelector has(team)", fromNamespaces("has(team)")) { peer, _ in prod.contains(peer) }
        cases += ingress("namespaceSelector global()", globalOnly) { peer, _ in
            peer == "198.51.100.1" || peer == "203.0.113.5"
        }
        // A GlobalNetworkSet in a rule; a CIDR egress deny.
        cases += egress("GlobalNetworkSet deny", blockFeed, peers: peers + ["203.0.113.200"]) { peer, _ in
            peer != "203.0.113.5"
        }
        cases += egress("egress deny CIDR", noDocs) { peer, _ in !peer.hasPrefix("198.51.100.") }
        cases += egress("egress deny CIDR elsewhere", noDocs, from: "dev/tester") { _, _ in true }
        // notSelector, notNets, notPorts, notProtocol.
        let negationTraffic: [Traffic] = traffic + [.tcp(22), .tcp(1500), .tcp(2001), .udp(22), .sctp(80), .proto(47)]
        cases += ingress("negations", negations, traffic: negationTraffic) { peer, item in
            let shopPeer = peer == "shop/frontend" || peer == "shop/db" || peer == "shop/remote"
            if isTCP(item) {
                guard case .tcp(let port) = item else { return false }
                return shopPeer && peer != "shop/db" && peer != "shop/remote" && port != 22
                    && !(1000...2000).contains(port)
            }
            return pods.contains(peer)
        }
        // ICMP type and code.
        let icmpTraffic: [Traffic] = [
            .icmp(type: 8, code: 0), .icmp(type: 8, code: 1), .icmp(type: 3, code: 0), .icmp(type: 0, code: 0),
            .icmp(type: 11, code: 0), .tcp(80),
        ]
        cases += ingress("ICMP type/code", icmp, traffic: icmpTraffic) { _, item in
            guard case .icmp(let type, let code) = item else { return false }
            return type != 3 && !(type == 8 && code == 1)
        }
        cases += ingress(
            "ICMPv6 type", icmp, at: "shop/backend@6", peers: ["shop/frontend@6"],
            traffic: [.icmp(type: 128, code: 0), .icmp(type: 129, code: 0)]
        ) {
            _, item in
            if case .icmp(128, _) = item { return true }
            return false
        }
        cases += ingress(
            "ICMP rules are IPv4 only", icmp, at: "shop/backend@6", peers: ["shop/frontend@6"],
            traffic: [.icmp(type: 8, code: 0)]
        ) {
            _, _ in false
        }
        // ipVersion and families.
        cases += ingress("ipVersion 6 only (v4)", ipVersions, peers: ["shop/frontend", "shop/db"]) { _, _ in false }
        cases += ingress("ipVersion 6 only (v6)", ipVersions, at: "shop/backend@6", peers: ["shop/frontend@6"]) {
            _, _ in true
        }
        // Named ports from endpoint `ports`.
        let namedTraffic: [Traffic] = [
            .tcp(8080), .tcp(8081), .tcp(9090), .tcp(5432), .tcp(9999), .udp(8080), .udp(53), .udp(8081),
        ]
        cases += ingress(
            "named ports at backend", namedPorts, peers: ["shop/frontend", "198.51.100.7"], traffic: namedTraffic
        ) {
            _, item in
            switch item {
            case .tcp(let port): return port == 8080
            case .udp(let port): return port != 53
            default: return false
            }
        }
        cases += ingress(
            "named ports at db", namedPorts, at: "shop/db", peers: ["shop/frontend"], traffic: namedTraffic
        ) {
            _, item in
            switch item {
            case .tcp(let port): return port == 8081 || port == 5432 || port == 9999
            case .udp(let port): return port != 53
            default: return false
            }
        }
        // serviceAccounts by name and by selector.
        cases += ingress("serviceAccounts names", serviceAccounts("{names: [frontend-sa]}")) { peer, _ in
            peer == "shop/frontend"
        }
        cases += ingress(
            "serviceAccounts selector", serviceAccounts("{selector: \"projectcalico.org/name == 'db-sa'\"}")
        ) {
            peer, _ in peer == "shop/db"
        }
        cases += ingress("serviceAccounts both", serviceAccounts("{names: [frontend-sa, db-sa], selector: all()}")) {
            peer, _ in peer == "shop/frontend" || peer == "shop/db"
        }
        // types defaulting.
        cases += ingress("types default to Egress", onlyEgressRules) { _, _ in true }
        cases += egress("types default to Egress", onlyEgressRules, from: "shop/backend") { peer, _ in
            !peer.hasPrefix("198.51.100.")
        }
        cases += ingress("types default to Ingress", noRules(types: nil)) { _, _ in false }
        cases += egress("types default to Ingress", noRules(types: nil), from: "shop/backend") { _, _ in true }
        cases += egress("types both", noRules(types: "[Ingress, Egress]"), from: "shop/backend") { _, _ in false }
        // Order ties by name; nil order last.
        let tieTraffic: [Traffic] = [.tcp(80), .ping]
        let podsOnly = ["shop/frontend", "dev/tester"]
        cases += ingress(
            "tie: a-allow before b-deny", tie(("a-allow", "Allow", "100"), ("b-deny", "Deny", "100")), peers: podsOnly,
            traffic: tieTraffic
        ) {
            _, _ in true
        }
        cases += ingress(
            "tie: a-deny before b-allow", tie(("b-allow", "Allow", "100"), ("a-deny", "Deny", "100")), peers: podsOnly,
            traffic: tieTraffic
        ) {
            _, _ in false
        }
        cases += ingress(
            "nil order last", tie(("a-allow", "Allow", nil), ("z-deny", "Deny", "1000")), peers: podsOnly,
            traffic: tieTraffic
        ) {
            _, _ in false
        }
        cases += ingress(
            "order beats name", tie(("z-allow", "Allow", "1"), ("a-deny", "Deny", "2")), peers: podsOnly,
            traffic: tieTraffic
        ) {
            _, _ in true
        }
        // Tier order: by order, nil after numbers, missing tiers last.
        cases += ingress(
            "tier order", tiers([("low", "200", "Allow"), ("high", "100", "Deny")]), peers: podsOnly,
            traffic: tieTraffic
        ) {
            _, _ in false
        }
        cases += ingress(
            "tier nil order last", tiers([("last", nil, "Deny"), ("default", nil, "Allow")]), peers: podsOnly,
            traffic: tieTraffic
        ) {
            _, _ in true
        }
        cases += ingress(
            "missing tier last", tiers([("nowhere", nil, "Deny"), ("default", nil, "Allow")]), peers: podsOnly,
            traffic: tieTraffic
        ) {
            _, _ in true
        }
        cases += ingress(
            "missing tier passes on", tiers([("nowhere", nil, "Pass")]), peers: podsOnly, traffic: tieTraffic
        ) {
            _, _ in true
        }
        // Log goes on to the next rule.
        // (dev/tester is a frontend too, but the rule's selector is scoped to the policy's namespace.)
        cases += ingress("log then allow", logThenAllow) { peer, _ in frontends.contains(peer) }
        // Host endpoint: failsafe ports always; no profile otherwise.
        let hostTraffic: [Traffic] = [.tcp(22), .tcp(80), .udp(68), .tcp(6443), .udp(53), .tcp(443)]
        cases += ingress(
            "host endpoint failsafe", "", at: "198.51.100.1", peers: ["198.51.100.7", "shop/frontend"],
            traffic: hostTraffic
        ) {
            _, item in
            switch item {
            case .tcp(let port): return [22, 6443].contains(port)
            case .udp(let port): return port == 68
            default: return false
            }
        }
        cases += egress(
            "host endpoint failsafe", "", from: "198.51.100.1", peers: ["198.51.100.7"], traffic: hostTraffic
        ) {
            _, item in
            switch item {
            case .tcp(let port): return port == 6443
            case .udp(let port): return port == 53
            default: return false
            }
        }
        cases += ingress(
            "host endpoint policy", hostPolicy, at: "198.51.100.1", peers: ["198.51.100.7"], traffic: hostTraffic
        ) {
            _, item in
            switch item {
            case .tcp(let port): return [22, 6443, 80].contains(port)
            case .udp(let port): return port == 68
            default: return false
            }
        }
        // A Profile resource replaces the synthesized kns profile: its rules and its labels.
        cases += ingress("kns profile resource", devProfile, at: "dev/tester", traffic: traffic + [.sctp(1)]) {
            peer, item in
            if peer == "ops/monitor" { return false }
            return isTCP(item)
        }
        cases += ingress("kns profile labels", devProfile + "---\n" + fromNamespaces("env == 'dev'")) { _, _ in false }
        cases += ingress("kns profile labels", devProfile + "---\n" + fromNamespaces("env == 'staging'")) { peer, _ in
            peer == "dev/tester"
        }
        // A GlobalNetworkPolicy's namespaceSelector limits the endpoints it applies to.
        cases += ingress("GNP namespaceSelector applies", namespacedGlobal) { _, item in
            if case .udp = item { return true }
            return false
        }
        cases += ingress("GNP namespaceSelector skips", namespacedGlobal, at: "dev/tester") { _, _ in true }
        return cases
    }
}
