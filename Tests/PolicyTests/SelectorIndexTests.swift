import NetworkAddress
import CalicoAPI
import NetworkAddress
import Testing

@testable import Policy

/// The selector index: sets shared by equal selectors, and changes that touch only the sets they concern.
@Suite struct SelectorIndexTests {
    private func policy(_ name: String, _ selectors: [String], namespace: String? = nil) throws -> AnyResource {
        let rules = selectors.map { "  - {action: Allow, source: {selector: \"\($0)\"}}" }.joined(separator: "\n")
        let kind = namespace == nil ? "GlobalNetworkPolicy" : "NetworkPolicy"
        let meta = namespace.map { "{name: \(name), namespace: \($0)}" } ?? "{name: \(name)}"
        return try ResourceCodec.decodeOne(
            """
            apiVersion: projectcalico.org/v3
            kind: \(kind)
            metadata: \(meta)
            spec:
              selector: all()
              ingress:
            \(rules)
            """)
    }

    private func pod(_ name: String, _ ip: String, _ labels: [String: String], namespace: String = "shop") throws
        -> AnyResource
    {
        var endpoint = WorkloadEndpoint(name: name, namespace: namespace)
        endpoint.metadata.labels = labels
        endpoint.spec.node = "node-1"
        endpoint.spec.interfaceName = "cali" + name
        endpoint.spec.ipNetworks = [CIDR(ip + "/32")!]
        endpoint.spec.profiles = ["kns.\(namespace)"]
        return AnyResource(endpoint)
    }

    private func set(_ selector: String) throws -> SetID { .selector(try Selector(parsing: selector)) }

    @Test func equalSelectorsShareOneSetUntilTheLastUseGoes() throws {
        var state = TestPolicyState()
        state.upsert(try pod("a", "192.0.2.1", ["app": "web"]))
        state.upsert(try policy("one", ["app == 'web'"]))
        state.upsert(try policy("two", ["app=='web'"]))
        let id = try set("app == 'web'")
        #expect(state.index.addresses(of: id) == [try CIDR(parsing: "192.0.2.1/32")])
        state.remove(ResourceKey(kind: .globalNetworkPolicy, name: "one"))
        #expect(state.index.addresses(of: id) != nil)
        state.remove(ResourceKey(kind: .globalNetworkPolicy, name: "two"))
        #expect(state.index.addresses(of: id) == nil)
        #expect(state.index.setIDs.isEmpty)
    }

    @Test func aLabelChangeEvaluatesOnlyTheSelectorsThatReadTheLabel() throws {
        var state = TestPolicyState()
        for index in 0..<20 {
            state.upsert(try pod("p\(index)", "192.0.2.\(index + 1)", ["app": "web", "tier": "t\(index % 4)"]))
        }
        // 40 selectors on `tier`, 30 on `app`, 1 on `color`.
        for index in 0..<40 { state.upsert(try policy("tier\(index)", ["tier == 't\(index % 4)' && has(x\(index))"])) }
        for index in 0..<30 { state.upsert(try policy("app\(index)", ["app == 'web' && !has(y\(index))"])) }
        state.upsert(try policy("color", ["color == 'red'"]))
        state.clearChangedSets()

        let before = state.index.evaluations
        state.upsert(try pod("p3", "192.0.2.4", ["app": "web", "tier": "t3", "color": "red"]))
        #expect(state.index.evaluations - before == 1, "only the color selector reads color")
        #expect(state.changedSets == [try set("color == 'red'")])

        state.clearChangedSets()
        let again = state.index.evaluations
        state.upsert(try pod("p3", "192.0.2.4", ["app": "web", "tier": "t0", "color": "red"]))
        #expect(state.index.evaluations - again == 40, "the 40 selectors reading tier, nothing else")
        // p3 left the t3 sets and joined the t0 ones only where has(xN) holds: it does for none.
        #expect(state.changedSets.isEmpty)

        let unread = state.index.evaluations
        state.upsert(try pod("p3", "192.0.2.4", ["app": "web", "tier": "t0", "color": "red", "owner": "me"]))
        #expect(state.index.evaluations == unread, "no selector reads owner")
        #expect(state.changedSets.isEmpty)
    }

    @Test func anAddressChangeUpdatesOnlyTheSetsTheItemIsIn() throws {
        var state = TestPolicyState()
        state.upsert(try pod("a", "192.0.2.1", ["app": "web"]))
        state.upsert(try pod("b", "192.0.2.2", ["app": "db"]))
        state.upsert(try policy("p", ["app == 'web'", "app == 'db'", "has(app)"]))
        state.clearChangedSets()
        let before = state.index.evaluations
        state.upsert(try pod("a", "192.0.2.9", ["app": "web"]))
        #expect(state.index.evaluations == before)
        #expect(state.changedSets == [try set("app == 'web'"), try set("has(app)")])
        #expect(
            state.index.addresses(of: try set("has(app)")) == [
                try CIDR(parsing: "192.0.2.9/32"), try CIDR(parsing: "192.0.2.2/32"),
            ])
    }

    @Test func sharedNetworksAreCounted() throws {
        var state = TestPolicyState()
        state.upsert(try pod("a", "203.0.113.1", ["app": "web"]))
        var networkSet = GlobalNetworkSet(name: "feed")
        networkSet.metadata.labels = ["app": "web"]
        networkSet.spec.nets = [IPNetwork("203.0.113.1/32")!]
        state.upsert(AnyResource(networkSet))
        state.upsert(try policy("p", ["app == 'web'"]))
        let id = try set("app == 'web'")
        #expect(state.members(of: id)?.count == 2)
        state.remove(ResourceKey(kind: .workloadEndpoint, namespace: "shop", name: "a"))
        #expect(state.index.addresses(of: id) == [try CIDR(parsing: "203.0.113.1/32")])
    }

    @Test func aNamespaceLabelChangeReachesItsPodsAndNetworkSets() throws {
        var state = TestPolicyState()
        state.upsert(try pod("a", "192.0.2.1", ["app": "web"]))
        var networkSet = NetworkSet(name: "ext", namespace: "shop")
        networkSet.spec.nets = [IPNetwork("203.0.113.0/28")!]
        state.upsert(AnyResource(networkSet))
        state.upsert(try policy("p", [], namespace: nil))
        let rule = """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: ns}
            spec:
              ingress:
              - {action: Allow, source: {namespaceSelector: env == 'prod'}}
            """
        state.upsert(try ResourceCodec.decodeOne(rule))
        let id = try set(#"pcns.env == "prod""#)
        #expect(state.index.addresses(of: id) == [])
        var namespace = Namespace(name: "shop")
        namespace.metadata.labels = ["env": "prod"]
        state.upsert(AnyResource(namespace))
        #expect(
            state.index.addresses(of: id) == [try CIDR(parsing: "192.0.2.1/32"), try CIDR(parsing: "203.0.113.0/28")])
        #expect(
            state.effectiveLabels(of: ResourceKey(kind: .networkSet, namespace: "shop", name: "ext"))?["pcns.env"]
                == "prod")
        state.remove(namespace.key)
        #expect(state.index.addresses(of: id) == [])
        #expect(
            state.effectiveLabels(of: ResourceKey(kind: .workloadEndpoint, namespace: "shop", name: "a"))
                == [
                    "app": "web", "projectcalico.org/namespace": "shop", "pcns.projectcalico.org/name": "shop",
                ])
    }

    @Test func namedPortSetsFollowTheirSelector() throws {
        var endpoint = WorkloadEndpoint(name: "a", namespace: "shop")
        endpoint.metadata.labels = ["app": "web"]
        endpoint.spec.node = "node-1"
        endpoint.spec.interfaceName = "calia"
        endpoint.spec.ipNetworks = [CIDR("192.0.2.1/32")!, CIDR("2001:db8::1/128")!]
        endpoint.spec.ports = [EndpointPort(name: "http", protocol: .tcp, port: 8080)]
        var state = TestPolicyState()
        state.upsert(AnyResource(endpoint))
        state.upsert(
            try ResourceCodec.decodeOne(
                """
                apiVersion: projectcalico.org/v3
                kind: GlobalNetworkPolicy
                metadata: {name: web}
                spec:
                  ingress:
                  - {action: Allow, protocol: TCP, destination: {selector: app == 'web', ports: [http]}}
                """))
        let id = SetID.namedPort(selector: try Selector(parsing: "app == 'web'"), protocol: 6, name: "http")
        #expect(
            state.index.namedPortMembers(of: id) == [
                NamedPortMember(address: IPAddress("192.0.2.1")!, protocol: 6, port: 8080),
                NamedPortMember(address: IPAddress("2001:db8::1")!, protocol: 6, port: 8080),
            ])
        endpoint.spec.ports = [EndpointPort(name: "http", protocol: .tcp, port: 80)]
        state.clearChangedSets()
        state.upsert(AnyResource(endpoint))
        #expect(state.changedSets == [id])
        #expect(state.index.namedPortMembers(of: id)?.map(\.port) == [80, 80])
        endpoint.metadata.labels = ["app": "db"]
        state.upsert(AnyResource(endpoint))
        #expect(state.index.namedPortMembers(of: id) == [])
    }

    @Test func identicalResourcesChangeNothing() throws {
        var state = TestPolicyState()
        let resources = try PolicyWorld.resources(PolicyTables.allowFrontend + "---\n" + PolicyTables.devProfile)
        for resource in resources {
            let changed = state.upsert(resource)
            #expect(changed)
        }
        state.clearChangedSets()
        for resource in resources {
            let changed = state.upsert(resource)
            #expect(!changed, "\(resource)")
        }
        #expect(state.changedSets.isEmpty)
    }
}
