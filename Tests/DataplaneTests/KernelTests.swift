import Calculation
import CalicoAPI
import Dataplane
import Foundation
import Netlink
import NetworkAddress
import SystemError
import Testing

/// The reconciler against the real kernel, each test in its own network namespace.
@Suite("Dataplane reconciler against the kernel", needsNamespaces)
struct KernelTests {
    static let workload = "cali1234abcd"

    /// A node in `ns`: underlay `eth0` (192.0.2.1/24, a veth), the workload veth `cali1234abcd`, a foreign bridge
    /// with its own routes, foreign routes of other protocols and tables, and a stale Tabby blackhole.
    private func prepare(_ ns: TestNamespace) throws {
        try ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer")
        try ns.ip("link", "add", Self.workload, "type", "veth", "peer", "name", "wl0")
        try ns.ip("link", "add", "br-foreign", "type", "bridge")
        for link in ["eth0", "eth0-peer", Self.workload, "wl0", "br-foreign"] { try ns.ip("link", "set", link, "up") }
        try ns.ip("address", "add", "192.0.2.1/24", "dev", "eth0")
        try ns.ip("address", "add", "203.0.113.1/24", "dev", "br-foreign")
        try ns.ip("route", "add", "10.20.0.0/16", "via", "192.0.2.7", "dev", "eth0", "proto", "bird")
        try ns.ip("route", "add", "10.21.0.0/16", "via", "192.0.2.8", "dev", "eth0", "proto", "static", "metric", "50")
        try ns.ip("route", "add", "10.30.0.0/16", "dev", "br-foreign", "table", "100", "proto", "static")
        try ns.ip("route", "add", "blackhole", "10.31.0.0/16", "table", "100", "proto", "80")
        try ns.ip("route", "add", "blackhole", "198.51.100.192/26", "proto", "80")
    }

    private func desired(vni: UInt32 = 4096) -> DesiredDataplane {
        var desired = sampleDesired(vni: vni)
        desired.routes[cidr("198.51.100.5/32")]?.target = .interface(Self.workload)
        desired.neighbors = Set(
            desired.neighbors.map { neighbor in
                var renamed = neighbor
                if renamed.interface == "cali1" { renamed.interface = Self.workload }
                return renamed
            })
        desired.sysctls = [
            "net/ipv4/ip_forward": "1",
            "net/ipv4/conf/\(Self.workload)/proxy_arp": "1",
            "net/ipv4/neigh/\(Self.workload)/proxy_delay": "0",
            "net/ipv4/conf/vxlan.calico/rp_filter": "0",
        ]
        return desired
    }

    /// Every route line of every table and both families that is not Tabby's, plus the foreign link as
    /// `ip link` and `ip -4 addr` show it (`ip -d link` shows a running bridge timer, and IPv6 addresses finish
    /// duplicate address detection on their own).
    private func foreignState(_ ns: TestNamespace) throws -> String {
        let routes = try ns.ip("route", "show", "table", "all") + ns.ip("-6", "route", "show", "table", "all")
        // IPv6 link-local and multicast routes the kernel adds by itself whenever a link's DAD completes (later
        // under load) are not anyone's state to compare.
        let foreign = routes.split(separator: "\n").filter { line in
            !line.contains("vxlan.calico") && !line.contains(Self.workload) && !line.contains("198.51.100.")
                && !line.contains("fe80::") && !line.contains("ff00::/8")
        }
        return foreign.joined(separator: "\n") + "\n" + (try ns.ip("link", "show", "dev", "br-foreign"))
            + (try ns.ip("-4", "address", "show", "dev", "br-foreign"))
    }

    @Test func programsANodeIdempotentlyAndLeavesForeignStateAlone() async throws {
        try await TestNamespace.with { ns in
            try prepare(ns)
            let before = try foreignState(ns)
            #expect(before.contains("10.20.0.0/16 via 192.0.2.7 dev eth0 proto bird"))
            #expect(before.contains("blackhole 10.31.0.0/16 table 100 proto 80"))
            let reconciler = DataplaneReconciler(kernel: try ns.kernel())

            let report = reconciler.apply(desired())
            #expect(report.failures.isEmpty, "\(report.failures)")

            let link = try ns.ip("-d", "link", "show", "dev", "vxlan.calico")
            #expect(link.contains("mtu 1450"))
            #expect(link.contains(",UP,"))
            #expect(link.contains("link/ether 66:aa:bb:cc:dd:01"))
            #expect(link.contains("vxlan id 4096 local 192.0.2.1 dev eth0"))
            #expect(link.contains("dstport 4789"))
            #expect(link.contains("nolearning"))
            #expect(try ns.ip("-4", "address", "show", "dev", "vxlan.calico").contains("inet 198.51.100.0/32"))

            let routes = try ns.ip("route", "show")
            #expect(routes.contains("198.51.100.5 dev \(Self.workload) scope link"))
            #expect(routes.contains("blackhole 198.51.100.0/26 proto 80"))
            #expect(routes.contains("198.51.100.64/26 via 198.51.100.64 dev vxlan.calico onlink mtu 1450"))
            #expect(routes.contains("198.51.100.128/26 via 192.0.2.3 dev eth0 proto 80 onlink"))
            #expect(!routes.contains("198.51.100.192/26"), "the stale Tabby blackhole is swept")

            #expect(
                try ns.ip("neigh", "show", "dev", "vxlan.calico").contains(
                    "198.51.100.64 lladdr 66:aa:bb:cc:dd:02 PERMANENT"))
            #expect(
                try ns.ip("neigh", "show", "dev", Self.workload).contains(
                    "198.51.100.5 lladdr 0a:58:c6:33:64:05 PERMANENT"))
            #expect(
                try ns.bridge("fdb", "show", "dev", "vxlan.calico").contains(
                    "66:aa:bb:cc:dd:02 dst 192.0.2.2 self permanent"))
            #expect(try ns.exec("cat", "/proc/sys/net/ipv4/ip_forward") == "1\n")
            #expect(try ns.exec("cat", "/proc/sys/net/ipv4/conf/\(Self.workload)/proxy_arp") == "1\n")
            #expect(try ns.exec("cat", "/proc/sys/net/ipv4/conf/vxlan.calico/rp_filter") == "0\n")

            // A second apply, and a full resync (dump, then apply), make no kernel writes.
            #expect(reconciler.apply(desired()).writeCount == 0)
            reconciler.requestResync()
            let resynced = reconciler.apply(desired())
            #expect(resynced.dumpedKernel)
            #expect(resynced.writeCount == 0, "\(resynced.writes)")

            let after = try foreignState(ns)
            #expect(after == before, "before:\n\(before)\nafter:\n\(after)")
        }
    }

    @Test func changingTheVNIRecreatesTheDevice() async throws {
        try await TestNamespace.with { ns in
            try prepare(ns)
            let reconciler = DataplaneReconciler(kernel: try ns.kernel())
            #expect(reconciler.apply(desired()).failures.isEmpty)
            let index = try ns.ip("-o", "link", "show", "dev", "vxlan.calico").prefix { $0 != ":" }

            let report = reconciler.apply(desired(vni: 4097))
            #expect(report.failures.isEmpty, "\(report.failures)")
            #expect(report.writes.first?.detail == "to recreate: VNI 4096 -> 4097")
            let link = try ns.ip("-d", "-o", "link", "show", "dev", "vxlan.calico")
            #expect(link.contains("vxlan id 4097 local 192.0.2.1 dev eth0"))
            #expect(link.prefix { $0 != ":" } != index)
            #expect(try ns.ip("route", "show").contains("198.51.100.64/26 via 198.51.100.64 dev vxlan.calico"))
            #expect(try ns.bridge("fdb", "show", "dev", "vxlan.calico").contains("dst 192.0.2.2 self permanent"))
            #expect(try ns.ip("neigh", "show", "dev", "vxlan.calico").contains("PERMANENT"))
            #expect(try ns.exec("cat", "/proc/sys/net/ipv4/conf/vxlan.calico/rp_filter") == "0\n")

            reconciler.requestResync()
            #expect(reconciler.apply(desired(vni: 4097)).writeCount == 0)
        }
    }

    @Test func routeAndDeviceDeletedByHandAreReportedAndRestored() async throws {
        try await TestNamespace.with { ns in
            try prepare(ns)
            let kernel = try ns.kernel()
            let reconciler = DataplaneReconciler(kernel: kernel)
            #expect(reconciler.apply(desired()).failures.isEmpty)
            let monitor = try kernel.makeMonitor()
            let events = try monitor.events()
            defer { monitor.stop() }

            try ns.ip("route", "del", "198.51.100.64/26")
            let deleted = await firstEvent(in: events) { event in
                if case .route(.deleted, let route) = event { return route.destination == CIDR("198.51.100.64/26") }
                return false
            }
            let routeEvent = try #require(deleted, "no notification of the deleted route")
            #expect(reconciler.kernelChanged(routeEvent))
            var report = reconciler.apply(desired())
            #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.64/26"))])
            #expect(try ns.ip("route", "show").contains("198.51.100.64/26 via 198.51.100.64 dev vxlan.calico"))
            // The kernel's notification of that write is an echo, not news.
            let echo = await firstEvent(in: events) { event in
                if case .route(.new, let route) = event { return route.destination == CIDR("198.51.100.64/26") }
                return false
            }
            #expect(!reconciler.kernelChanged(try #require(echo, "no notification of the restored route")))

            try ns.ip("link", "del", "vxlan.calico")
            let gone = await firstEvent(in: events) { event in
                if case .link(.deleted, let link) = event { return link.name == "vxlan.calico" }
                return false
            }
            let linkEvent = try #require(gone, "no notification of the deleted device")
            #expect(reconciler.kernelChanged(linkEvent))
            report = reconciler.apply(desired())
            #expect(report.failures.isEmpty, "\(report.failures)")
            #expect(report.writes.contains { $0.action == .create && $0.object == .device("vxlan.calico") })
            #expect(try ns.ip("route", "show").contains("198.51.100.64/26 via 198.51.100.64 dev vxlan.calico"))
            #expect(try ns.bridge("fdb", "show", "dev", "vxlan.calico").contains("dst 192.0.2.2 self permanent"))

            reconciler.requestResync()
            let resynced = reconciler.apply(desired())
            #expect(resynced.writeCount == 0, "\(resynced.writes)")
        }
    }

    @Test func ipipOnThisKernelIsReportedAndTheRestApplied() async throws {
        try await TestNamespace.with { ns in
            try prepare(ns)
            let reconciler = DataplaneReconciler(kernel: try ns.kernel())
            var wanted = desired()
            wanted.ipip = IPIPDevice(address: ip("198.51.100.1"), mtu: 1480)
            let report = reconciler.apply(wanted)
            let hasIPIP = (try? ns.ip("-d", "link", "show", "dev", "tunl0")).map { $0.contains("ipip") } ?? false
            if hasIPIP {
                #expect(report.failures.isEmpty, "\(report.failures)")
                #expect(try ns.ip("address", "show", "dev", "tunl0").contains("inet 198.51.100.1/32"))
            } else {
                let failure = try #require(report.failures.first)
                #expect(report.failures.count == 1)
                #expect(failure.object == .device("tunl0"))
                #expect(failure.errno == Errno(EOPNOTSUPP))
            }
            #expect(try ns.ip("route", "show").contains("198.51.100.64/26 via 198.51.100.64 dev vxlan.calico"))
        }
    }
}
