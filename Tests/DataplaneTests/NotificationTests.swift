import Calculation
import CalicoAPI
import Dataplane
import Netlink
import Testing

@Suite("Repair after changes by hand, from notifications (fake kernel)")
struct NotificationTests {
    @Test func routeDeletedByHandIsRestoredByTheNextApply() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        node.deliverEvents()
        let route = try #require(node.mainRoute("198.51.100.64/26"))
        try node.kernel.external(.deleteRoute(route))
        #expect(node.deliverEvents(), "the deletion of a Tabby route calls for an apply")
        node.kernel.resetWrites()

        let report = node.reconciler.apply(sampleDesired())
        #expect(!report.dumpedKernel)
        #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.64/26"))])
        #expect(node.mainRoute("198.51.100.64/26") == route)
    }

    @Test func routeAlteredByHandIsPutBack() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        node.deliverEvents()
        var altered = try #require(node.mainRoute("198.51.100.128/26"))
        altered.gateway = ip("192.0.2.99")
        try node.kernel.external(.replaceRoute(altered))
        node.deliverEvents()
        node.kernel.resetWrites()
        _ = node.reconciler.apply(sampleDesired())
        #expect(node.kernel.writes.count == 1)
        #expect(node.mainRoute("198.51.100.128/26")?.gateway == ip("192.0.2.3"))
    }

    @Test func deviceDeletedByHandIsRecreatedWithEverythingOnIt() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        node.deliverEvents()
        let vxlan = try #require(node.vxlan())
        try node.kernel.external(.deleteLink(index: vxlan.index))
        #expect(node.deliverEvents())
        #expect(node.mainRoute("198.51.100.64/26") == nil)

        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty)
        #expect(!report.dumpedKernel)
        let recreated = try #require(node.vxlan())
        #expect(node.mainRoute("198.51.100.64/26")?.outputInterface == recreated.index)
        #expect(node.kernel.state.fdb.count == 1)
        #expect(node.kernel.state.neighbors.contains { $0.interfaceIndex == recreated.index })
    }

    @Test func echoesOfOwnWritesDoNotCallForAnotherApply() throws {
        let node = try FakeNode()
        var desired = sampleDesired()
        _ = node.reconciler.apply(desired)
        node.deliverEvents()
        desired.routes[cidr("198.51.100.192/26")] = DesiredRoute(
            destination: cidr("198.51.100.192/26"), target: .blackhole, kind: .blackhole, routeProtocol: 80)
        desired.fdb.insert(
            DesiredFDBEntry(interface: "vxlan.calico", mac: mac("66:aa:bb:cc:dd:03"), destination: ip("192.0.2.3")))
        desired.neighbors.insert(
            DesiredNeighbor(interface: "vxlan.calico", address: ip("198.51.100.128"), mac: mac("66:aa:bb:cc:dd:03")))
        #expect(node.reconciler.apply(desired).writeCount == 3)
        #expect(!node.deliverEvents())

        // Removing an undesired route is what was wanted; removing a desired one is news.
        desired.routes[cidr("198.51.100.192/26")] = nil
        #expect(node.reconciler.apply(desired).writeCount == 1)
        #expect(!node.deliverEvents())
        try node.kernel.external(.deleteRoute(try #require(node.mainRoute("198.51.100.0/26"))))
        #expect(node.deliverEvents())
    }

    @Test func foreignChangesAreNotTabbysConcern() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        node.deliverEvents()
        try node.kernel.external(
            .addRoute(
                Route(
                    destination: cidr("203.0.113.0/24"), gateway: ip("192.0.2.254"),
                    outputInterface: node.eth0.index,
                    protocol: .static)))
        node.kernel.addLink(name: "docker0", kind: .other("bridge"))
        #expect(!node.deliverEvents())
        node.kernel.resetWrites()
        #expect(node.reconciler.apply(sampleDesired()).writeCount == 0)
        #expect(node.mainRoute("203.0.113.0/24") != nil)
    }

    @Test func lostNotificationsMakeTheNextApplyDump() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        // A route deleted while notifications were being dropped.
        try node.kernel.external(.deleteRoute(try #require(node.mainRoute("198.51.100.0/26"))))
        _ = node.kernel.takeEvents()
        #expect(node.reconciler.kernelChanged(.resyncNeeded))
        node.kernel.resetWrites()
        let report = node.reconciler.apply(sampleDesired())
        #expect(report.dumpedKernel)
        #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.0/26"))])
    }
}
