import Calculation
import CalicoAPI
import Dataplane
import Glibc
import Netlink
import SystemError
import Testing

@Suite("Devices: vxlan.calico and tunl0 (fake kernel)")
struct DeviceTests {
    @Test func vniChangeRecreatesTheDeviceAndEverythingOnIt() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        let old = try #require(node.vxlan())
        node.deliverEvents()
        node.kernel.resetWrites()

        let report = node.reconciler.apply(sampleDesired(vni: 4097))
        #expect(report.failures.isEmpty, "\(report.failures)")
        let new = try #require(node.vxlan())
        #expect(new.index != old.index)
        guard case .vxlan(let attributes) = new.kind else { throw Missing("a vxlan device") }
        #expect(attributes.vni == 4097)
        #expect(new.isUp)
        #expect(new.macAddress == vtepMAC)
        #expect(
            report.writes.first
                == DataplaneWrite(
                    action: .delete, object: .device("vxlan.calico"), detail: "to recreate: VNI 4096 -> 4097"))
        #expect(report.writes.dropFirst().first?.action == .create)

        // What went away with the old device is back on the new one.
        #expect(node.mainRoute("198.51.100.64/26")?.outputInterface == new.index)
        #expect(node.kernel.state.fdb.map(\.interfaceIndex) == [new.index])
        #expect(node.kernel.state.neighbors.contains { $0.interfaceIndex == new.index })
        #expect(node.kernel.state.addresses.contains { $0.interfaceIndex == new.index })
        // Routes not through the device were not touched.
        #expect(!node.kernel.writes.contains { $0.replacedRoute?.destination == cidr("198.51.100.5/32") })

        node.deliverEvents()
        node.kernel.resetWrites()
        #expect(node.reconciler.apply(sampleDesired(vni: 4097)).writeCount == 0)
    }

    @Test func otherIdentityChangesRecreateToo() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        var desired = sampleDesired()
        desired.vxlan?.mac = mac("66:aa:bb:cc:dd:99")
        var report = node.reconciler.apply(desired)
        #expect(report.writes.first?.action == .delete)
        #expect(node.vxlan()?.macAddress == mac("66:aa:bb:cc:dd:99"))

        desired.vxlan?.port = 8472
        report = node.reconciler.apply(desired)
        #expect(report.writes.first?.detail == "to recreate: port 4789 -> 8472")

        desired.vxlan?.localAddress = ip("192.0.2.100")
        report = node.reconciler.apply(desired)
        #expect(report.writes.first?.detail == "to recreate: local 192.0.2.1 -> 192.0.2.100")
    }

    @Test func addressAndUpStateAreFixedInPlace() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        let vxlan = try #require(node.vxlan())
        // Someone adds an address and takes the device down.
        let foreign = InterfaceAddress(interfaceIndex: vxlan.index, prefix: cidr("203.0.113.5/24"))
        let linkLocal = InterfaceAddress(interfaceIndex: vxlan.index, prefix: cidr("fe80::1/64"))
        try node.kernel.external(.addAddress(foreign))
        try node.kernel.external(.addAddress(linkLocal))
        try node.kernel.external(.changeLink(index: vxlan.index, LinkChange(isUp: false)))
        #expect(node.deliverEvents())
        node.kernel.resetWrites()

        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(node.vxlan()?.index == vxlan.index)
        #expect(node.vxlan()?.isUp == true)
        let addresses = node.kernel.state.addresses.filter { $0.interfaceIndex == vxlan.index }.map(\.prefix)
        #expect(Set(addresses) == [cidr("198.51.100.0/32"), cidr("fe80::1/64")])
        // Going down flushed the route through the device; it is back.
        #expect(node.mainRoute("198.51.100.64/26")?.outputInterface == vxlan.index)
        #expect(report.dumpedKernel)
    }

    @Test func vxlanDeviceIsRemovedAfterItsRoutes() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        node.kernel.resetWrites()
        var desired = sampleDesired()
        desired.vxlan = nil
        desired.routes[cidr("198.51.100.64/26")] = nil
        desired.neighbors = desired.neighbors.filter { $0.interface != "vxlan.calico" }
        desired.fdb = []

        let report = node.reconciler.apply(desired)
        #expect(report.failures.isEmpty)
        #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.64/26")), .device("vxlan.calico")])
        #expect(node.vxlan() == nil)
        #expect(node.mainRoute("198.51.100.5/32") != nil)
    }

    @Test func missingParentInterfaceIsReportedAndTheRestApplied() throws {
        let node = try FakeNode()
        var desired = sampleDesired()
        desired.vxlan?.parentInterface = "eth7"
        let report = node.reconciler.apply(desired)
        #expect(
            report.failures.contains {
                $0.object == .device("vxlan.calico") && $0.reason == "parent interface eth7 does not exist"
            })
        #expect(node.vxlan() == nil)
        #expect(report.failures.contains { $0.object == .route(cidr("198.51.100.64/26")) })
        #expect(node.mainRoute("198.51.100.5/32") != nil)
        #expect(node.mainRoute("198.51.100.0/26") != nil)
    }

    @Test func ipipOnAKernelWithoutIPIPIsAClearFailureAndEverythingElseIsApplied() throws {
        let node = try FakeNode()
        node.kernel.ipipSupported = false
        var desired = sampleDesired()
        desired.ipip = IPIPDevice(address: ip("198.51.100.1"), mtu: 1480)
        desired.routes[cidr("198.51.100.192/26")] = DesiredRoute(
            destination: cidr("198.51.100.192/26"), target: .gateway(ip("192.0.2.4"), interface: "tunl0"),
            kind: .ipipTunnel, routeProtocol: 80, mtu: 1480)

        let report = node.reconciler.apply(desired)
        let device = try #require(report.failures.first { $0.object == .device("tunl0") })
        #expect(device.errno == Errno(EOPNOTSUPP))
        #expect(device.reason == "link add tunl0 type ipip: EOPNOTSUPP (Unknown device type)")
        #expect(
            report.failures.contains {
                $0.object == .route(cidr("198.51.100.192/26")) && $0.reason == "interface tunl0 does not exist"
            })
        #expect(report.failures.count == 2)
        #expect(node.mainRoute("198.51.100.64/26") != nil)
        #expect(node.vxlan() != nil)
    }

    @Test func tunl0GetsItsAddressMTUAndUpStateAndIsStrippedWhenNotNeeded() throws {
        let node = try FakeNode { kernel in
            // The ipip module's fallback device, with an address someone left on it.
            let tunl0 = kernel.addLink(name: "tunl0", kind: .ipip(IPIPAttributes()), mtu: 1480, isUp: false)
            try kernel.external(
                .addAddress(InterfaceAddress(interfaceIndex: tunl0.index, prefix: cidr("203.0.113.9/32"))))
        }
        let tunl0 = try #require(node.kernel.link(named: "tunl0"))
        var desired = sampleDesired()
        desired.ipip = IPIPDevice(address: ip("198.51.100.1"), mtu: 1440)
        var report = node.reconciler.apply(desired)
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(!node.kernel.writes.contains { if case .ensureIPIPTunnel = $0 { return true } else { return false } })
        #expect(node.kernel.link(named: "tunl0")?.isUp == true)
        #expect(node.kernel.link(named: "tunl0")?.mtu == 1440)
        #expect(
            node.kernel.state.addresses.filter { $0.interfaceIndex == tunl0.index }.map(\.prefix)
                == [cidr("198.51.100.1/32")])

        node.kernel.resetWrites()
        desired.ipip = nil
        report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.object) == [.address(interface: "tunl0", cidr("198.51.100.1/32"))])
        #expect(node.kernel.state.addresses.filter { $0.interfaceIndex == tunl0.index }.isEmpty)
        #expect(node.kernel.link(named: "tunl0")?.mtu == 1440, "the device itself is left alone")
    }

    @Test func tunl0IsCreatedWhenMissingAndIPIPIsDesired() throws {
        let node = try FakeNode()
        var desired = sampleDesired()
        desired.ipip = IPIPDevice(address: ip("198.51.100.1"), mtu: 1480)
        let report = node.reconciler.apply(desired)
        #expect(report.failures.isEmpty)
        let tunl0 = try #require(node.kernel.link(named: "tunl0"))
        #expect(tunl0.isUp && tunl0.mtu == 1480)
        #expect(node.kernel.state.addresses.contains { $0.interfaceIndex == tunl0.index })

        // Without IPIP desired, a missing tunl0 is not created.
        let other = try FakeNode()
        _ = other.reconciler.apply(sampleDesired())
        #expect(other.kernel.link(named: "tunl0") == nil)
    }
}
