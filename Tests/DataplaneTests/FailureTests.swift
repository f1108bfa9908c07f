import Calculation
import CalicoAPI
import Dataplane
import Glibc
import Netlink
import SystemError
import Testing

@Suite("Failures are reported per object and the rest is applied (fake kernel)")
struct FailureTests {
    @Test func refusedRouteIsReportedAndRetriedAlone() throws {
        let node = try FakeNode()
        node.kernel.injectFailure = { write in
            write.replacedRoute?.destination == cidr("198.51.100.64/26") ? Errno(ENETUNREACH) : nil
        }
        var report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.count == 1)
        let failure = try #require(report.failures.first)
        #expect(failure.object == .route(cidr("198.51.100.64/26")))
        #expect(failure.errno == Errno(ENETUNREACH))
        #expect(failure.reason.hasPrefix("route replace 198.51.100.64/26 via 198.51.100.64 dev vxlan.calico"))
        #expect(node.mainRoute("198.51.100.64/26") == nil)
        #expect(node.mainRoute("198.51.100.5/32") != nil)
        #expect(node.mainRoute("198.51.100.0/26") != nil)
        #expect(node.mainRoute("198.51.100.128/26") != nil)
        #expect(!node.kernel.state.fdb.isEmpty)

        // Once the kernel accepts it, the next apply writes that route and nothing else.
        node.kernel.injectFailure = nil
        node.kernel.resetWrites()
        report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty)
        #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.64/26"))])
        #expect(node.kernel.writes.count == 1)
    }

    @Test func refusedNeighbourFDBAndSysctlAreEachReported() throws {
        let node = try FakeNode()
        node.kernel.injectFailure = { write in
            switch write {
            case .netlink(.replaceFDB): Errno(EINVAL)
            case .netlink(.replaceNeighbor(let neighbor)) where neighbor.address == ip("198.51.100.5"): Errno(EINVAL)
            case .sysctl(let path, _) where path == "net/ipv4/ip_forward": Errno(EPERM)
            default: nil
            }
        }
        let report = node.reconciler.apply(sampleDesired())
        #expect(
            Set(report.failures.map(\.object))
                == [
                    .fdb(interface: "vxlan.calico", mac: remoteVTEPMAC, destination: ip("192.0.2.2")),
                    .neighbor(interface: "cali1", ip("198.51.100.5")), .sysctl("net/ipv4/ip_forward"),
                ])
        #expect(report.failures.first { $0.object == .sysctl("net/ipv4/ip_forward") }?.errno == Errno(EPERM))
        #expect(node.kernel.state.routes.count(where: { $0.table == .main }) == 5)
        #expect(node.kernel.state.neighbors.count == 1)
        #expect(node.kernel.state.sysctls["net/ipv4/conf/cali1/proxy_arp"] == "1")
    }

    @Test func missingInterfaceLeavesWhatTheKernelHasForThatDestination() throws {
        let node = try FakeNode { kernel in
            let cali1 = try #require(kernel.link(named: "cali1"))
            try kernel.external(
                .addRoute(Route(destination: cidr("198.51.100.44/32"), outputInterface: cali1.index)))
        }
        var desired = sampleDesired()
        desired.routes[cidr("198.51.100.44/32")] = DesiredRoute(
            destination: cidr("198.51.100.44/32"), target: .interface("cali404"), kind: .localWorkload,
            routeProtocol: 3)
        node.clock.advance(by: .seconds(60))
        let report = node.reconciler.apply(desired)
        let failure = try #require(report.failures.first)
        #expect(failure.description == "route 198.51.100.44/32: interface cali404 does not exist")
        #expect(failure.errno == nil)
        node.clock.advance(by: .seconds(60))
        _ = node.reconciler.apply(desired)
        #expect(node.mainRoute("198.51.100.44/32") != nil)
    }

    @Test func dumpFailureWritesNothing() throws {
        let node = try FakeNode()
        node.kernel.dumpErrno = Errno(EPERM)
        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.map(\.object) == [.kernel])
        #expect(report.failures.first?.errno == Errno(EPERM))
        #expect(node.kernel.writes.isEmpty)
        #expect(node.reconciler.isResyncPending)

        node.kernel.dumpErrno = nil
        #expect(node.reconciler.apply(sampleDesired()).failures.isEmpty)
    }

    @Test func unknownBatchOutcomeLeadsToADumpAndNoRepeatedWrites() throws {
        let node = try FakeNode()
        node.kernel.loseRepliesOfNextBatch = true
        var report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.contains { $0.object == .kernel && $0.errno == Errno(ENOBUFS) })
        #expect(node.reconciler.isResyncPending)

        // Everything was in fact applied: the dump shows it, so only the sysctls read back remain equal.
        node.kernel.resetWrites()
        report = node.reconciler.apply(sampleDesired())
        #expect(report.dumpedKernel)
        #expect(report.failures.isEmpty)
        #expect(report.writeCount == 0, "\(report.writes)")
    }

    @Test func removalOfSomethingAlreadyGoneIsNotAFailure() throws {
        let node = try FakeNode { kernel in
            try kernel.external(
                .addRoute(
                    Route(destination: cidr("198.51.100.192/26"), protocol: RouteProtocol(80), type: .blackhole)))
        }
        try node.reconciler.resync()
        // Deleted by hand, and the notification is not delivered before the apply.
        try node.kernel.external(
            .deleteRoute(
                Route(destination: cidr("198.51.100.192/26"), protocol: RouteProtocol(80), type: .blackhole)))
        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(!report.writes.contains { $0.object == .route(cidr("198.51.100.192/26")) })
    }
}
