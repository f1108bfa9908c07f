import Calculation
import CalicoAPI
import Dataplane
import Netlink
import Testing

@Suite("Ownership: only Tabby's state changes (fake kernel)")
struct OwnershipTests {
    /// Foreign state a node typically has: other protocols, other tables, kernel routes, a foreign link
    /// with its own address and neighbours.
    private static func addForeignState(_ kernel: FakeKernel) throws -> [Route] {
        let eth0 = try #require(kernel.link(named: "eth0"))
        let cali1 = try #require(kernel.link(named: "cali1"))
        let bridge = kernel.addLink(name: "br-foreign", kind: .other("bridge"))
        try kernel.external(
            .addAddress(InterfaceAddress(interfaceIndex: bridge.index, prefix: cidr("203.0.113.1/24"))))
        try kernel.external(
            .addNeighbor(
                Neighbor(
                    interfaceIndex: eth0.index, address: ip("192.0.2.254"), linkLayerAddress: mac("02:00:00:00:00:fe"))
            ))
        let foreign = [
            Route(
                destination: cidr("0.0.0.0/0"), gateway: ip("192.0.2.254"), outputInterface: eth0.index,
                protocol: .static),
            Route(
                destination: cidr("203.0.113.0/24"), outputInterface: bridge.index, scope: .link, protocol: .kernel),
            // BIRD's route, another table with Tabby's protocol, a route via eth0 with protocol boot.
            Route(
                destination: cidr("10.20.0.0/16"), gateway: ip("192.0.2.7"), outputInterface: eth0.index,
                protocol: RouteProtocol(12)),
            Route(
                destination: cidr("10.30.0.0/16"), protocol: RouteProtocol(80), table: RouteTable(100),
                type: .blackhole),
            Route(destination: cidr("10.40.0.0/16"), outputInterface: eth0.index, protocol: .boot),
            Route(destination: cidr("10.50.0.0/16"), outputInterface: eth0.index, protocol: RouteProtocol(42)),
            // The kernel's own routes on a workload interface and IPv6 link-local.
            Route(destination: cidr("fe80::/64"), outputInterface: cali1.index, protocol: .kernel, metric: 256),
            Route(destination: cidr("fe80::/64"), outputInterface: eth0.index, protocol: .kernel, metric: 256),
        ]
        for route in foreign { try kernel.external(.addRoute(route)) }
        return foreign
    }

    /// Tabby-owned routes left from a previous run that are no longer desired.
    private static func addStaleTabbyRoutes(_ kernel: FakeKernel) throws {
        let eth0 = try #require(kernel.link(named: "eth0"))
        let vxlan = try kernel.createVXLAN(
            name: "vxlan.calico",
            attributes: VXLANAttributes(vni: 4096, parentIndex: eth0.index, local: ip("192.0.2.1")),
            mtu: 1450, macAddress: vtepMAC)
        try kernel.external(.changeLink(index: vxlan.index, LinkChange(isUp: true)))
        let stale = [
            Route(destination: cidr("198.51.100.192/26"), protocol: RouteProtocol(80), type: .blackhole),
            Route(
                destination: cidr("203.0.113.64/26"), gateway: ip("192.0.2.9"), outputInterface: eth0.index,
                protocol: RouteProtocol(80), isOnLink: true),
            Route(
                destination: cidr("10.60.0.0/26"), gateway: ip("198.51.100.200"), outputInterface: vxlan.index,
                protocol: .boot, isOnLink: true),
            // Another metric for a desired destination is another route.
            Route(destination: cidr("198.51.100.0/26"), protocol: RouteProtocol(80), metric: 100, type: .blackhole),
        ]
        for route in stale { try kernel.external(.addRoute(route)) }
        kernel.resetWrites()
    }

    @Test func firstApplySweepsStaleTabbyRoutesAndLeavesForeignOnesAlone() throws {
        var foreign: [Route] = []
        let node = try FakeNode { kernel in
            foreign = try Self.addForeignState(kernel)
            try Self.addStaleTabbyRoutes(kernel)
        }
        let foreignLink = try #require(node.kernel.link(named: "br-foreign"))
        let foreignAddresses = node.kernel.state.addresses.filter { $0.interfaceIndex != node.vxlan()?.index }
        let foreignNeighbors = node.kernel.state.neighbors

        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty, "\(report.failures)")

        let deleted = node.kernel.writes.compactMap(\.deletedRoute).map(\.destination)
        #expect(
            Set(deleted)
                == [
                    cidr("198.51.100.192/26"), cidr("203.0.113.64/26"), cidr("10.60.0.0/26"),
                    cidr("198.51.100.0/26"),
                ])
        #expect(node.kernel.routes().filter { $0.destination == cidr("198.51.100.0/26") }.count == 1)
        // The stale blackhole at metric 100 was deleted by its exact key; the desired one remains.
        #expect(node.mainRoute("198.51.100.0/26")?.metric == nil)

        // Every foreign route, link, address and neighbour is still there, unchanged.
        for route in foreign {
            let kept = node.kernel.state.routes.contains {
                $0.destination == route.destination && $0.table == route.table
                    && $0.protocol == route.protocol && $0.outputInterface == route.outputInterface
            }
            #expect(kept, "foreign route \(route) was removed")
        }
        #expect(node.kernel.link(named: "br-foreign") == foreignLink)
        #expect(foreignAddresses.allSatisfy { node.kernel.state.addresses.contains($0) })
        #expect(foreignNeighbors.allSatisfy { node.kernel.state.neighbors.contains($0) })
        // No write names a foreign object.
        for write in node.kernel.writes {
            if case .deleteRoute(let route) = write.operation {
                #expect(!foreign.contains { $0.destination == route.destination }, "deleted foreign \(route)")
            }
        }
    }

    @Test func desiredRouteTakesOverAForeignRouteToTheSameDestination() throws {
        let node = try FakeNode { kernel in
            let eth0 = try #require(kernel.link(named: "eth0"))
            // BIRD's route to a block that is now Tabby's VXLAN block.
            try kernel.external(
                .addRoute(
                    Route(
                        destination: cidr("198.51.100.64/26"), gateway: ip("192.0.2.2"),
                        outputInterface: eth0.index,
                        protocol: RouteProtocol(12))))
        }
        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty)
        let routes = node.kernel.routes().filter { $0.destination == cidr("198.51.100.64/26") }
        #expect(routes.count == 1)
        #expect(routes.first?.outputInterface == node.vxlan()?.index)
        #expect(!node.kernel.writes.contains { $0.isRouteDelete })
    }

    @Test func aForeignRouteThatIsAlreadyTheDesiredOneIsNotRewritten() throws {
        // The CNI plugin added the workload route exactly as desired.
        let node = try FakeNode { kernel in
            let cali1 = try #require(kernel.link(named: "cali1"))
            try kernel.external(.addRoute(Route(destination: cidr("198.51.100.5/32"), outputInterface: cali1.index)))
        }
        _ = node.reconciler.apply(sampleDesired())
        #expect(!node.kernel.writes.contains { $0.replacedRoute?.destination == cidr("198.51.100.5/32") })
    }

    @Test func customDeviceRouteProtocolIsExclusive() throws {
        let configuration = DataplaneReconciler.Configuration(deviceRouteProtocol: 42)
        let custom = try FakeNode(configuration: configuration) { kernel in _ = try Self.addForeignState(kernel) }
        _ = custom.reconciler.apply(DesiredDataplane())
        #expect(custom.mainRoute("10.50.0.0/16") == nil, "protocol 42 is Tabby's when deviceRouteProtocol is 42")
        #expect(custom.mainRoute("10.40.0.0/16") != nil, "protocol boot via eth0 is not Tabby's")

        let standard = try FakeNode { kernel in _ = try Self.addForeignState(kernel) }
        _ = standard.reconciler.apply(DesiredDataplane())
        #expect(standard.mainRoute("10.50.0.0/16") != nil)
        #expect(standard.kernel.writes.isEmpty, "\(standard.kernel.writes)")
    }

    @Test func externalRoutesOnWorkloadInterfacesFollowRemoveExternalRoutes() throws {
        let prepare: (FakeKernel) throws -> Void = { kernel in
            let cali1 = try #require(kernel.link(named: "cali1"))
            try kernel.external(
                .addRoute(Route(destination: cidr("10.70.0.0/24"), outputInterface: cali1.index, protocol: .static)))
            try kernel.external(
                .addRoute(Route(destination: cidr("10.71.0.0/24"), outputInterface: cali1.index, protocol: .boot)))
        }
        let keeping = try FakeNode(
            configuration: DataplaneReconciler.Configuration(removeExternalRoutes: false), prepare: prepare)
        _ = keeping.reconciler.apply(DesiredDataplane())
        keeping.clock.advance(by: .seconds(11))
        _ = keeping.reconciler.apply(DesiredDataplane())
        #expect(keeping.mainRoute("10.70.0.0/24") != nil)
        #expect(keeping.mainRoute("10.71.0.0/24") == nil)

        let removing = try FakeNode(prepare: prepare)
        _ = removing.reconciler.apply(DesiredDataplane())
        removing.clock.advance(by: .seconds(11))
        _ = removing.reconciler.apply(DesiredDataplane())
        #expect(removing.mainRoute("10.70.0.0/24") == nil)
        #expect(removing.mainRoute("10.71.0.0/24") == nil)
        #expect(removing.kernel.routes().contains { $0.destination == cidr("192.0.2.0/24") })
    }
}
