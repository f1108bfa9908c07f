import Calculation
import CalicoAPI
import Testing

@Suite("Routes to other nodes' blocks")
struct RemoteRouteTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let vxlan: EncapsulationMode
        let ipip: EncapsulationMode
        let remote: String
        let expected: DesiredRoute?
        var testDescription: String { "vxlan \(vxlan.rawValue), ipip \(ipip.rawValue), to \(remote)" }
    }

    static let sameBlock = cidr("10.244.1.0/26")
    static let farBlock = cidr("10.244.2.0/26")

    static func route(
        _ remote: String, _ target: DesiredRoute.Target, _ kind: DesiredRoute.Kind, _ proto: UInt8,
        mtu: Int? = nil
    ) -> DesiredRoute {
        DesiredRoute(
            destination: remote == "same" ? sameBlock : farBlock, target: target, kind: kind, routeProtocol: proto,
            mtu: mtu)
    }

    static let cases: [Case] = [
        // VXLAN Always: the tunnel whatever the subnet, protocol boot (3), the VXLAN MTU.
        Case(
            vxlan: .always, ipip: .never, remote: "same",
            expected: route("same", .gateway(ip("10.244.1.1"), interface: "vxlan.calico"), .vxlanTunnel, 3, mtu: 1450)),
        Case(
            vxlan: .always, ipip: .never, remote: "far",
            expected: route("far", .gateway(ip("10.244.2.1"), interface: "vxlan.calico"), .vxlanTunnel, 3, mtu: 1450)),
        // VXLAN CrossSubnet: direct on the underlay in this subnet, the tunnel elsewhere.
        Case(
            vxlan: .crossSubnet, ipip: .never, remote: "same",
            expected: route("same", .gateway(ip("192.0.2.2"), interface: "eth0"), .vxlanSameSubnet, 80)),
        Case(
            vxlan: .crossSubnet, ipip: .never, remote: "far",
            expected: route("far", .gateway(ip("10.244.2.1"), interface: "vxlan.calico"), .vxlanTunnel, 3, mtu: 1450)),
        // IPIP Always: tunl0 to the node IP, protocol 80, the IPIP MTU.
        Case(
            vxlan: .never, ipip: .always, remote: "same",
            expected: route("same", .gateway(ip("192.0.2.2"), interface: "tunl0"), .ipipTunnel, 80, mtu: 1480)),
        Case(
            vxlan: .never, ipip: .always, remote: "far",
            expected: route("far", .gateway(ip("198.51.100.3"), interface: "tunl0"), .ipipTunnel, 80, mtu: 1480)),
        // IPIP CrossSubnet.
        Case(
            vxlan: .never, ipip: .crossSubnet, remote: "same",
            expected: route("same", .gateway(ip("192.0.2.2"), interface: "eth0"), .ipipSameSubnet, 80)),
        Case(
            vxlan: .never, ipip: .crossSubnet, remote: "far",
            expected: route("far", .gateway(ip("198.51.100.3"), interface: "tunl0"), .ipipTunnel, 80, mtu: 1480)),
        // No encapsulation: direct when on-link, otherwise unreachable.
        Case(
            vxlan: .never, ipip: .never, remote: "same",
            expected: route("same", .gateway(ip("192.0.2.2"), interface: "eth0"), .noEncapsulation, 80)),
        Case(vxlan: .never, ipip: .never, remote: "far", expected: nil),
    ]

    @Test(arguments: cases)
    func routeKindFollowsPoolAndSubnet(_ test: Case) {
        let cluster = state(threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: test.vxlan, ipip: test.ipip)))
        let dataplane = desired(cluster)
        let destination = test.remote == "same" ? Self.sameBlock : Self.farBlock
        #expect(dataplane.routes[destination] == test.expected)
        // Without encapsulation the node in the other subnet cannot be reached, whichever remote this case checks.
        let unencapsulated = test.vxlan == .never && test.ipip == .never
        let unreachable = DataplaneProblem(
            resource: #"IPAMBlock "10-244-2-0-26""#,
            reason: "block 10.244.2.0/26 of node far is unreachable: no encapsulation and not in this node's subnet")
        #expect(dataplane.problems == (unencapsulated ? [unreachable] : []))
        // The local block is always a blackhole with Felix's protocol.
        #expect(
            dataplane.routes[cidr("10.244.0.0/26")]
                == DesiredRoute(
                    destination: cidr("10.244.0.0/26"), target: .blackhole, kind: .blackhole, routeProtocol: 80))
        #expect(dataplane.routes.count == (unencapsulated ? 2 : 3))
    }

    /// With BIRD as the networking backend, routes to other nodes' blocks in a pool without encapsulation are
    /// BIRD's: tabbyd desires none and reports none unreachable; encapsulated pools are tabbyd's as before.
    @Test(arguments: cases)
    func birdCarriesOnlyTheUnencapsulatedPoolsRoutes(_ test: Case) {
        let cluster = state(threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: test.vxlan, ipip: test.ipip)))
        var (settings, _) = FelixSettings.resolve(cache: cluster, node: "local", overrides: [:])
        settings.unencapsulatedRoutesByBIRD = true
        let dataplane = Calculator.desired(
            cache: cluster, node: "local", environment: defaultEnvironment, settings: settings)
        let destination = test.remote == "same" ? Self.sameBlock : Self.farBlock
        let unencapsulated = test.vxlan == .never && test.ipip == .never
        #expect(dataplane.routes[destination] == (unencapsulated ? nil : test.expected))
        #expect(dataplane.problems.isEmpty, "\(dataplane.problems)")
        // The own block stays tabbyd's blackhole.
        #expect(dataplane.routes[cidr("10.244.0.0/26")]?.kind == .blackhole)
    }

    @Test func crossSubnetUsesThisNodesPrefixLength() {
        // With a /16 node address, 192.0.3.9 is in this node's subnet; with /24 it is not.
        for (prefix, expectedKind) in [(16, DesiredRoute.Kind.vxlanSameSubnet), (24, .vxlanTunnel)] {
            let cluster = state([
                pool("p", "10.244.0.0/16", vxlan: .crossSubnet),
                node("local", ip: "192.0.2.1/\(prefix)", vxlan: "10.244.0.1"),
                node("other", ip: "192.0.3.9/24", vxlan: "10.244.1.1"),
                block("10.244.1.0/26", affinity: "other"),
            ])
            #expect(desired(cluster).routes[cidr("10.244.1.0/26")]?.kind == expectedKind)
        }
    }

    @Test func vxlanRouteWaitsForTheRemoteVTEP() {
        var cluster = state([
            pool("p", "10.244.0.0/16", vxlan: .always),
            node("local", ip: "192.0.2.1/24", vxlan: "10.244.0.1"),
            node("far", ip: "198.51.100.3/24"),
            block("10.244.2.0/26", affinity: "far"),
        ])
        var dataplane = desired(cluster)
        #expect(dataplane.routes[Self.farBlock] == nil)
        #expect(dataplane.neighbors.isEmpty)
        #expect(dataplane.problems.map(\.reason).contains { $0.contains("waits for node far's VXLAN tunnel endpoint") })

        cluster.upsert(node("far", ip: "198.51.100.3/24", vxlan: "10.244.2.1"))
        dataplane = desired(cluster)
        #expect(dataplane.routes[Self.farBlock]?.target == .gateway(ip("10.244.2.1"), interface: "vxlan.calico"))
        #expect(dataplane.problems.isEmpty)
    }

    @Test func vxlanRouteNeedsTheRemoteNodeIPToo() {
        let cluster = state([
            pool("p", "10.244.0.0/16", vxlan: .always),
            node("local", ip: "192.0.2.1/24", vxlan: "10.244.0.1"),
            node("far", ip: nil, vxlan: "10.244.2.1"),
            block("10.244.2.0/26", affinity: "far"),
        ])
        let dataplane = desired(cluster)
        #expect(dataplane.routes[Self.farBlock] == nil)
        #expect(dataplane.fdb.isEmpty)
        #expect(dataplane.problems.map(\.reason).contains { $0.contains("node far's IPv4 address") })
    }

    @Test func blockOfAnUnknownNodeIsReportedNotRouted() {
        let cluster = state([
            pool("p", "10.244.0.0/16", vxlan: .always),
            node("local", ip: "192.0.2.1/24", vxlan: "10.244.0.1"),
            block("10.244.7.0/26", affinity: "gone"),
        ])
        let dataplane = desired(cluster)
        #expect(dataplane.routes[cidr("10.244.7.0/26")] == nil)
        #expect(dataplane.problems.map(\.reason).contains { $0.contains("waits for node gone") })
    }

    @Test func sameSubnetRoutesWaitForTheUnderlayInterface() {
        let cluster = state(threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .crossSubnet)))
        let environment = NodeEnvironment(interfaces: ["eth0"], hostMTU: 1500, underlayInterface: nil)
        let dataplane = desired(cluster, environment: environment)
        #expect(dataplane.routes[Self.sameBlock] == nil)
        #expect(dataplane.routes[Self.farBlock]?.kind == .vxlanTunnel)
        #expect(dataplane.vxlan?.parentInterface == nil)
        #expect(dataplane.problems.map(\.reason).contains { $0.contains("interface holding the node IP") })
    }

    @Test func encapsulationSwitchedOffByConfigurationLeavesItsBlocksUnrouted() {
        let cluster = state(
            threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: .always))
                + [felixConfiguration("default") { $0.vxlanEnabled = false }])
        let dataplane = desired(cluster)
        #expect(dataplane.vxlan == nil)
        #expect(dataplane.routes.keys.sorted() == [cidr("10.244.0.0/26")])
        #expect(
            dataplane.problems == [
                DataplaneProblem(
                    resource: #"IPPool "p""#,
                    reason: "uses VXLAN but vxlanEnabled is false; its blocks on other nodes are not routed")
            ])
    }

    @Test func aCustomDeviceRouteProtocolIsUsedForEveryRoute() {
        for (vxlan, ipip) in [(EncapsulationMode.crossSubnet, EncapsulationMode.never), (.never, .always)] {
            let cluster = state(
                threeNodes(pool: pool("p", "10.244.0.0/16", vxlan: vxlan, ipip: ipip))
                    + [felixConfiguration("default") { $0.deviceRouteProtocol = 42 }])
            let dataplane = desired(cluster)
            #expect(dataplane.routes.count == 3)
            #expect(dataplane.routes.values.allSatisfy { $0.routeProtocol == 42 })
        }
    }

    @Test func blocksOutsideEveryPoolAreRoutedAsWithoutEncapsulation() {
        let cluster = state([
            node("local", ip: "192.0.2.1/24"),
            node("same", ip: "192.0.2.2/24"),
            block("172.16.0.0/26", affinity: "same"),
        ])
        let route = desired(cluster).routes[cidr("172.16.0.0/26")]
        #expect(route?.kind == .noEncapsulation)
        #expect(route?.target == .gateway(ip("192.0.2.2"), interface: "eth0"))
    }

    @Test func ipv6BlocksFollowIPv6SupportAndTheNodesIPv6Subnet() {
        let resources: [AnyResource] = [
            pool("v6", "2001:db8:1::/48"),
            node("local", ip: "192.0.2.1/24", ipv6: "2001:db8::1/64"),
            node("same", ip: "192.0.2.2/24", ipv6: "2001:db8::2/64"),
            block("2001:db8:1::/122", affinity: "local"),
            block("2001:db8:1::40/122", affinity: "same"),
            block("2001:db8:1::80/128", affinity: "local"),
        ]
        let on = desired(state(resources))
        #expect(on.routes[cidr("2001:db8:1::/122")]?.kind == .blackhole)
        #expect(on.routes[cidr("2001:db8:1::40/122")]?.target == .gateway(ip("2001:db8::2"), interface: "eth0"))
        #expect(on.routes[cidr("2001:db8:1::80/128")] == nil)
        let off = desired(state(resources), overrides: ["ipv6Support": "false"])
        #expect(off.routes.isEmpty)
    }

    @Test func ipv6VXLANIsReportedAsNotProgrammed() {
        let cluster = state([
            pool("v6", "2001:db8:1::/48", vxlan: .always),
            pool("v4", "10.244.0.0/16", vxlan: .always),
            node("local", ip: "192.0.2.1/24", vxlan: "10.244.0.1", ipv6: "2001:db8::1/64"),
            node("far", ip: "198.51.100.3/24", vxlan: "10.244.2.1", ipv6: "2001:db8:9::3/64"),
            block("2001:db8:1::40/122", affinity: "far"),
        ])
        let dataplane = desired(cluster)
        #expect(dataplane.routes.isEmpty)
        #expect(dataplane.problems.map(\.reason).contains { $0.contains("IPv6 VXLAN") })
    }
}
