import NetworkAddress
import Foundation
import Netlink
import NetworkAddress
import Testing

@Suite("Notifications against the kernel", needsNamespaces)
struct MonitorTests {
    @Test func deletedRoutesAndLinksAreReported() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.socket()
            let link = try ns.vethPair(socket: socket)
            let route = Route(
                destination: prefix("10.2.0.0/24"), outputInterface: link.index, protocol: RouteProtocol(80))
            try socket.addRoute(route)

            let monitor = try NetlinkMonitor(in: ns.namespace)
            let events = try monitor.events()
            // Someone deletes the route by hand.
            try ns.ip("route", "del", "10.2.0.0/24")
            let routeEvent = await firstEvent(in: events) {
                if case .route(.deleted, let deleted) = $0 { return deleted.destination == prefix("10.2.0.0/24") }
                return false
            }
            #expect(routeEvent == .route(.deleted, route))

            try ns.ip("addr", "add", "192.0.2.1/24", "dev", "tv0")
            let addressEvent = await firstEvent(in: events) {
                if case .address(.new, let added) = $0 { return added.prefix == prefix("192.0.2.1/24") }
                return false
            }
            #expect(addressEvent != nil)

            try ns.ip("neigh", "add", "192.0.2.9", "lladdr", "66:e4:5a:c9:41:01", "dev", "tv0", "nud", "permanent")
            let neighborEvent = await firstEvent(in: events) {
                if case .neighbor(.new, let added) = $0 { return added.address == address("192.0.2.9") }
                return false
            }
            #expect(
                neighborEvent
                    == .neighbor(
                        .new,
                        Neighbor(
                            interfaceIndex: link.index, address: address("192.0.2.9"),
                            linkLayerAddress: mac("66:e4:5a:c9:41:01"))))

            try ns.ip("link", "del", "tv0")
            let linkEvent = await firstEvent(in: events) {
                if case .link(.deleted, let deleted) = $0 { return deleted.name == "tv0" }
                return false
            }
            #expect(linkEvent != nil)
            monitor.stop()
            #expect(throws: NetlinkError.self) { try monitor.events() }
        }
    }

    @Test func overflowIsReportedAsResyncNeeded() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.socket()
            let link = try ns.vethPair(socket: socket)
            // A tiny receive queue, and a burst of changes before anyone reads: the kernel must drop some.
            let monitor = try NetlinkMonitor(in: ns.namespace, groups: .ipv4Route, receiveBufferSize: 4096)
            let routes = (1...2000).map { i in
                Route(
                    destination: CIDR(host: .v4(IPv4Address(0x0a03_0000 + UInt32(i)))), outputInterface: link.index)
            }
            #expect(try socket.apply(routes.map { .addRoute($0) }).isEmpty)
            let events = try monitor.events()
            let resync = await firstEvent(in: events) { $0 == .resyncNeeded }
            #expect(resync == .resyncNeeded)
        }
    }
}
