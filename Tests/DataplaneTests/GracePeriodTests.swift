import Calculation
import CalicoAPI
import Dataplane
import Netlink
import Testing

@Suite("Grace period of workload routes (fake kernel)")
struct GracePeriodTests {
    @Test func routeOfANewWorkloadInterfaceIsKeptForTenSeconds() throws {
        let node = try FakeNode()
        let desired = sampleDesired()
        _ = node.reconciler.apply(desired)
        node.deliverEvents()

        // The CNI plugin creates cali9 and its route before the WorkloadEndpoint reaches the agent.
        node.clock.advance(by: .seconds(30))
        let seen = node.clock.now
        let cali9 = node.kernel.addLink(name: "cali9")
        try node.kernel.external(
            .addRoute(Route(destination: cidr("198.51.100.9/32"), outputInterface: cali9.index)))
        #expect(node.deliverEvents())
        node.kernel.resetWrites()

        var report = node.reconciler.apply(desired)
        #expect(report.writeCount == 0)
        #expect(report.graceExpiry == seen.advanced(by: .seconds(10)))
        #expect(node.mainRoute("198.51.100.9/32") != nil)

        node.clock.advance(by: .milliseconds(9_900))
        report = node.reconciler.apply(desired)
        #expect(report.writeCount == 0)
        #expect(node.mainRoute("198.51.100.9/32") != nil)

        node.clock.advance(by: .milliseconds(100))
        report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.9/32"))])
        #expect(report.graceExpiry == nil)
        #expect(node.mainRoute("198.51.100.9/32") == nil)
    }

    @Test func desiredRouteOfANewInterfaceIsProgrammedAtOnce() throws {
        let node = try FakeNode()
        var desired = sampleDesired()
        _ = node.reconciler.apply(desired)
        let cali9 = node.kernel.addLink(name: "cali9")
        node.deliverEvents()
        desired.routes[cidr("198.51.100.9/32")] = DesiredRoute(
            destination: cidr("198.51.100.9/32"), target: .interface("cali9"), kind: .localWorkload, routeProtocol: 3)
        let report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.9/32"))])
        #expect(node.mainRoute("198.51.100.9/32")?.outputInterface == cali9.index)
    }

    @Test func staleRoutesOfOtherOwnedKindsAreRemovedAtOnce() throws {
        let node = try FakeNode { kernel in
            let cali1 = try #require(kernel.link(named: "cali1"))
            try kernel.external(
                .addRoute(Route(destination: cidr("198.51.100.77/32"), outputInterface: cali1.index)))
            try kernel.external(
                .addRoute(
                    Route(destination: cidr("198.51.100.192/26"), protocol: RouteProtocol(80), type: .blackhole)))
        }
        let report = node.reconciler.apply(sampleDesired())
        // At start every interface is new to this agent: its workload routes wait out the grace period, the
        // blackhole does not.
        #expect(node.mainRoute("198.51.100.192/26") == nil)
        #expect(node.mainRoute("198.51.100.77/32") != nil)
        #expect(report.graceExpiry == node.clock.now.advanced(by: .seconds(10)))

        node.clock.advance(by: .seconds(10))
        _ = node.reconciler.apply(sampleDesired())
        #expect(node.mainRoute("198.51.100.77/32") == nil)
    }
}
