import NetworkAddress
import Foundation
import Netlink
import NetworkAddress
import Testing

@Suite("Routes against the kernel", needsNamespaces)
struct RouteTests {
    /// A namespace with tv0 up and 192.0.2.1/24, 2001:db8::1/64 on it.
    private func prepared(_ ns: TestNamespace) throws -> (RouteSocket, Link) {
        let socket = try ns.socket()
        let link = try ns.vethPair(socket: socket)
        try socket.addAddress(InterfaceAddress(interfaceIndex: link.index, prefix: prefix("192.0.2.1/24")))
        try socket.addAddress(
            InterfaceAddress(interfaceIndex: link.index, prefix: prefix("2001:db8::1/64"), flags: .noDAD))
        return (socket, link)
    }

    @Test func everyRouteKindRoundTripsThroughADump() async throws {
        try await TestNamespace.with { ns in
            let (socket, link) = try prepared(ns)
            let proto = RouteProtocol(80)
            let routes = [
                Route(destination: prefix("10.0.0.1/32"), outputInterface: link.index, protocol: proto),
                Route(
                    destination: prefix("10.0.1.0/26"), gateway: address("198.51.100.2"), outputInterface: link.index,
                    protocol: proto, isOnLink: true),
                Route(
                    destination: prefix("10.0.2.0/24"), gateway: address("192.0.2.2"), outputInterface: link.index,
                    protocol: proto, metric: 7, mtu: 1400),
                Route(destination: prefix("10.0.3.0/24"), protocol: proto, type: .blackhole),
                Route(destination: prefix("10.0.4.0/24"), protocol: proto, type: .unreachable),
                Route(destination: prefix("10.0.5.0/24"), protocol: proto, type: .prohibit),
                Route(
                    destination: prefix("10.0.6.0/24"), outputInterface: link.index, scope: .host, protocol: proto,
                    table: RouteTable(1000)),
                Route(
                    destination: prefix("2001:db8:1::/64"), gateway: address("2001:db8::2"),
                    outputInterface: link.index, protocol: proto, metric: 1024),
            ]
            #expect(try socket.apply(routes.map { .addRoute($0) }).isEmpty)

            var dumped = try socket.routes(family: .v4, protocol: proto)
            dumped += try socket.routes(family: .v6, protocol: proto)
            #expect(Set(dumped) == Set(routes))
            // The kernel filters by table and protocol.
            #expect(try socket.routes(family: .v4, table: RouteTable(1000)) == [routes[6]])
            #expect(
                try socket.routes(family: .v4, table: .main, protocol: .kernel).map(\.destination)
                    == [prefix("192.0.2.0/24")])

            let shown = try ns.ip("route", "show", "proto", "80")
            #expect(shown.contains("10.0.0.1 dev tv0 scope link"))
            #expect(shown.contains("10.0.1.0/26 via 198.51.100.2 dev tv0 onlink"))
            #expect(shown.contains("10.0.2.0/24 via 192.0.2.2 dev tv0 metric 7 mtu 1400"))
            #expect(shown.contains("blackhole 10.0.3.0/24"))
            #expect(shown.contains("unreachable 10.0.4.0/24"))
            #expect(shown.contains("prohibit 10.0.5.0/24"))
            #expect(try ns.ip("route", "show", "table", "1000").contains("10.0.6.0/24 dev tv0 proto 80 scope host"))
            #expect(try ns.ip("-6", "route", "show", "proto", "80").contains("2001:db8:1::/64 via 2001:db8::2 dev tv0"))

            // Replace changes a route in place.
            var moved = routes[2]
            moved.gateway = address("192.0.2.3")
            try socket.replaceRoute(moved)
            #expect(try ns.ip("route", "show", "10.0.2.0/24").contains("via 192.0.2.3"))

            // Deleting with the dumped values removes exactly those routes.
            var toDelete = routes
            toDelete[2] = moved
            #expect(try socket.apply(toDelete.map { .deleteRoute($0) }).isEmpty)
            #expect(try socket.routes(family: .v4, protocol: proto).isEmpty)
            #expect(try socket.routes(family: .v6, protocol: proto).isEmpty)
            #expect(try socket.routes(family: .v4, table: RouteTable(1000)).isEmpty)
        }
    }

    @Test func tenThousandRoutesAddDumpReplaceDelete() async throws {
        try await TestNamespace.with { ns in
            let (socket, link) = try prepared(ns)
            let routes = (0..<10_000).map { i in
                Route(
                    destination: CIDR(host: .v4(IPv4Address(0x0a00_0000 + UInt32(i) + 1))),
                    outputInterface: link.index, protocol: RouteProtocol(80))
            }
            #expect(try socket.apply(routes.map { .addRoute($0) }).isEmpty)
            let dumped = try socket.routes(family: .v4, table: .main, protocol: RouteProtocol(80))
            #expect(dumped.count == 10_000)
            #expect(Set(dumped) == Set(routes))
            let lines = try ns.ip("route", "show", "proto", "80").split(separator: "\n")
            #expect(lines.count == 10_000)

            // Re-applying is idempotent with replace, and an error storm with add.
            #expect(try socket.apply(routes.map { .replaceRoute($0) }).isEmpty)
            let again = try socket.apply(routes.map { .addRoute($0) })
            #expect(again.count == 10_000)
            #expect(again.map(\.index) == Array(0..<10_000))
            #expect(again.allSatisfy { $0.error.errno.name == "EEXIST" })
            #expect(try socket.routes(family: .v4, protocol: RouteProtocol(80)).count == 10_000)

            #expect(try socket.apply(routes.map { .deleteRoute($0) }).isEmpty)
            #expect(try socket.routes(family: .v4, protocol: RouteProtocol(80)).isEmpty)
        }
    }

    @Test func failuresAreMatchedToTheOperationsThatCausedThem() async throws {
        try await TestNamespace.with { ns in
            let (socket, link) = try prepared(ns)
            let good = Route(destination: prefix("10.1.0.0/24"), outputInterface: link.index)
            let operations: [NetlinkOperation] = [
                .addRoute(good),
                .addRoute(good),  // EEXIST
                .replaceRoute(
                    Route(
                        destination: prefix("10.1.1.0/26"), gateway: address("198.51.100.9"),
                        outputInterface: link.index)),  // gateway not on the link: ENETUNREACH
                .deleteRoute(Route(destination: prefix("10.1.2.0/24"), outputInterface: link.index)),  // ESRCH
                .addRoute(Route(destination: prefix("10.1.3.0/24"), outputInterface: 424_242)),  // ENODEV
                .addRoute(Route(destination: prefix("10.1.4.1/24"), outputInterface: link.index)),  // EINVAL
                .addRoute(Route(destination: prefix("10.1.5.0/24"), outputInterface: link.index)),
            ]
            let failures = try socket.apply(operations)
            #expect(failures.map(\.index) == [1, 2, 3, 4, 5])
            #expect(failures.map(\.error.errno.name) == ["EEXIST", "ENETUNREACH", "ESRCH", "ENODEV", "EINVAL"])
            #expect(failures[0].error.description == "route add 10.1.0.0/24 dev tv0: EEXIST (File exists)")
            #expect(failures[1].error.operation == "route replace 10.1.1.0/26 via 198.51.100.9 dev tv0")
            #expect(failures[1].error.message == "Nexthop has invalid gateway")
            #expect(failures[3].error.operation == "route add 10.1.3.0/24 dev if424242")
            #expect(failures[4].error.message?.contains("prefix") == true)
            #expect(failures[1].operation == operations[2])
            // The operations around the failures were applied.
            let applied = try socket.routes(family: .v4, table: .main, protocol: .boot).map(\.destination)
            #expect(Set(applied) == [prefix("10.1.0.0/24"), prefix("10.1.5.0/24")])

            let single = #expect(throws: NetlinkError.self) { try socket.addRoute(good) }
            #expect(single?.errno.name == "EEXIST")
        }
    }
}
