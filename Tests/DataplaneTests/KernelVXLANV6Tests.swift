import Calculation
import CalicoAPI
import Dataplane
import Netlink
import NetworkAddress
import Testing

/// `vxlan-v6.calico` against the real kernel, in a namespace of the test's own.
@Suite("IPv6 VXLAN against the kernel", needsNamespaces)
struct KernelVXLANV6Tests {
    /// `eth0` (a veth) with 192.0.2.1/24 and 2001:db8::1/64 (no duplicate address detection: the address is
    /// usable at once).
    private func prepare(_ ns: TestNamespace) throws {
        try ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0-peer")
        try ns.ip("link", "add", "cali1", "type", "veth", "peer", "name", "wl0")
        for link in ["eth0", "eth0-peer", "cali1", "wl0"] { try ns.ip("link", "set", link, "up") }
        try ns.ip("address", "add", "192.0.2.1/24", "dev", "eth0")
        try ns.ip("-6", "address", "add", "2001:db8::1/64", "dev", "eth0", "nodad")
    }

    @Test func theDeviceItsVTEPAndItsRoutesAreProgrammedIdempotently() async throws {
        try await TestNamespace.with { ns in
            try prepare(ns)
            let reconciler = DataplaneReconciler(kernel: try ns.kernel())
            let report = reconciler.apply(sampleDesiredV6())
            #expect(report.failures.isEmpty, "\(report.failures)")

            let link = try ns.ip("-d", "link", "show", "dev", "vxlan-v6.calico")
            #expect(link.contains("mtu 1430"))
            #expect(link.contains(",UP,"))
            #expect(link.contains("link/ether 66:aa:bb:cc:dd:61"))
            #expect(link.contains("vxlan id 4096 local 2001:db8::1 dev eth0"), "\(link)")
            #expect(link.contains("dstport 4789"))
            #expect(link.contains("nolearning"))
            #expect(
                try ns.ip("-6", "address", "show", "dev", "vxlan-v6.calico", "scope", "global").contains(
                    "inet6 2001:db8:1::1/128"))
            let routes = try ns.ip("-6", "route", "show")
            #expect(
                routes.contains("2001:db8:1::40/122 via 2001:db8:1::41 dev vxlan-v6.calico metric 1024 onlink mtu 1430")
            )
            #expect(routes.contains("blackhole 2001:db8:1::/122 dev lo proto 80"), "\(routes)")
            #expect(
                try ns.ip("-6", "neigh", "show", "dev", "vxlan-v6.calico").contains(
                    "2001:db8:1::41 lladdr 66:aa:bb:cc:dd:62 PERMANENT"))
            #expect(
                try ns.bridge("fdb", "show", "dev", "vxlan-v6.calico").contains(
                    "66:aa:bb:cc:dd:62 dst 2001:db8::2 self permanent"))
            // IPv4's device is beside it, unchanged.
            #expect(try ns.ip("-d", "link", "show", "dev", "vxlan.calico").contains("vxlan id 4096 local 192.0.2.1"))

            #expect(reconciler.apply(sampleDesiredV6()).writeCount == 0)
            reconciler.requestResync()
            let resynced = reconciler.apply(sampleDesiredV6())
            #expect(resynced.dumpedKernel)
            #expect(resynced.writeCount == 0, "\(resynced.writes)")

            // Not desired any more: the device and everything through it go, vxlan.calico stays.
            #expect(reconciler.apply(sampleDesired()).failures.isEmpty)
            #expect(!(try ns.ip("link", "show")).contains("vxlan-v6.calico"))
            #expect(!(try ns.ip("-6", "route", "show")).contains("2001:db8:1::40/122"))
            #expect((try ns.ip("link", "show")).contains("vxlan.calico"))
        }
    }
}
