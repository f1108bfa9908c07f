import Calculation
import Dataplane
import Foundation
import Netlink
import NetworkAddress
import Testing

/// A notification monitor whose receive queue overflows (`ENOBUFS`) must not leave the reconciler believing a
/// view that lost changes: the overflow makes the next apply a full resync, which finds and repairs what the
/// dropped notifications would have told. In a namespace, with the overflow provoked for real.
@Suite("Monitor overflow against the kernel", needsNamespaces)
struct MonitorOverflowTests {
    /// A node: underlay `eth0` (192.0.2.1/24) and the workload veth `cali1`, as `sampleDesired` expects.
    private func prepare(_ ns: TestNamespace) throws {
        try ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer")
        try ns.ip("link", "add", "cali1", "type", "veth", "peer", "name", "wl0")
        for link in ["eth0", "eth0-peer", "cali1", "wl0"] { try ns.ip("link", "set", link, "up") }
        try ns.ip("address", "add", "192.0.2.1/24", "dev", "eth0")
    }

    /// Events until the first `.resyncNeeded` (included), or all that came within `seconds` when none did.
    private func eventsUntilResync(_ stream: AsyncStream<NetlinkEvent>, within seconds: Double = 10) async
        -> [NetlinkEvent]
    {
        await withTaskGroup(of: [NetlinkEvent]?.self) { group in
            group.addTask {
                var events: [NetlinkEvent] = []
                for await event in stream {
                    events.append(event)
                    if event == .resyncNeeded { break }
                }
                return events
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? []
        }
    }

    @Test func anOverflowLeadsToAFullResyncThatRepairsWhatTheLostNotificationsHeld() async throws {
        try await TestNamespace.with { ns in
            try prepare(ns)
            let kernel = try ns.kernel()
            let reconciler = DataplaneReconciler(kernel: kernel)
            let desired = sampleDesired()
            #expect(reconciler.apply(desired).failures.isEmpty)
            #expect(!reconciler.isResyncPending)

            // The agent's monitor, with a queue too small for a burst, and nobody reading yet: a batch of 2000
            // foreign routes fills it, so the kernel drops the notification of the Tabby route deleted after it.
            let namespace = try #require(kernel.namespace)
            let monitor = try NetlinkMonitor(in: namespace, receiveBufferSize: 4096)
            defer { monitor.stop() }
            let batch = (1...2000).map { "route add 203.0.113.\($0 % 250)/32 dev eth0 table \(1000 + $0 / 250)" }
            let path = "/tmp/\(ns.name)-routes.batch"
            try batch.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            defer { unlink(path) }
            try ns.ip("-batch", path)
            try ns.ip("route", "del", "198.51.100.64/26")

            let events = await eventsUntilResync(try monitor.events())
            #expect(events.last == .resyncNeeded, "no ENOBUFS after \(events.count) events")
            let lostDeletion = !events.contains { event in
                if case .route(.deleted, let route) = event { return route.destination == cidr("198.51.100.64/26") }
                return false
            }
            var news = false
            for event in events where reconciler.kernelChanged(event) { news = true }
            #expect(news, "an overflow is news: it calls for an apply")
            #expect(reconciler.isResyncPending)

            let report = reconciler.apply(desired)
            #expect(report.dumpedKernel)
            #expect(report.failures.isEmpty, "\(report.failures)")
            #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.64/26"))], "\(report.writes)")
            #expect(try ns.ip("route", "show").contains("198.51.100.64/26 via 198.51.100.64 dev vxlan.calico"))
            // The foreign routes are left alone, and the next pass has nothing to do.
            #expect(
                try ns.ip("route", "show", "table", "all").split(separator: "\n").filter {
                    $0.hasPrefix("203.0.113.")
                }.count == 2000)
            #expect(reconciler.apply(desired).writeCount == 0)
            if !lostDeletion { print("note: the kernel queued the route deletion despite the overflow") }
        }
    }
}
