import Calculation
import CalicoAPI
import Dataplane
import Netlink
import NetworkAddress
import Testing

let vtepMACV6 = mac("66:aa:bb:cc:dd:61")
let remoteVTEPMACV6 = mac("66:aa:bb:cc:dd:62")

/// `sampleDesired()` plus IPv6 VXLAN: `vxlan-v6.calico` over eth0's 2001:db8::1, a remote VTEP at 2001:db8::2 with
/// tunnel address 2001:db8:1::41, a route to its block through the device and a blackhole for the own block.
func sampleDesiredV6(vni: UInt32 = 4096, mtu: Int = 1430) -> DesiredDataplane {
    var desired = sampleDesired()
    desired.vxlanV6 = VXLANDevice(
        vni: vni, port: 4789, mac: vtepMACV6, address: ip("2001:db8:1::1"), mtu: mtu, parentInterface: "eth0",
        localAddress: ip("2001:db8::1"))
    desired.routes[cidr("2001:db8:1::40/122")] = DesiredRoute(
        destination: cidr("2001:db8:1::40/122"), target: .gateway(ip("2001:db8:1::41"), interface: "vxlan-v6.calico"),
        kind: .vxlanTunnel, routeProtocol: 3, mtu: mtu)
    desired.routes[cidr("2001:db8:1::/122")] = DesiredRoute(
        destination: cidr("2001:db8:1::/122"), target: .blackhole, kind: .blackhole, routeProtocol: 80)
    desired.neighbors.insert(
        DesiredNeighbor(interface: "vxlan-v6.calico", address: ip("2001:db8:1::41"), mac: remoteVTEPMACV6))
    desired.fdb.insert(
        DesiredFDBEntry(interface: "vxlan-v6.calico", mac: remoteVTEPMACV6, destination: ip("2001:db8::2")))
    return desired
}

/// A fake node whose eth0 also has 2001:db8::1/64.
func dualStackNode() throws -> FakeNode {
    try FakeNode { kernel in
        guard let eth0 = kernel.link(named: "eth0") else { throw Missing("eth0") }
        try kernel.external(.addAddress(InterfaceAddress(interfaceIndex: eth0.index, prefix: cidr("2001:db8::1/64"))))
    }
}

extension FakeNode {
    func vxlanV6() -> Link? { kernel.link(named: "vxlan-v6.calico") }
}

@Suite("Devices: vxlan-v6.calico (fake kernel)")
struct VXLANV6DeviceTests {
    @Test func theDeviceItsVTEPsAndRoutesAreProgrammed() throws {
        let node = try dualStackNode()
        let report = node.reconciler.apply(sampleDesiredV6())
        #expect(report.failures.isEmpty, "\(report.failures)")
        let device = try #require(node.vxlanV6())
        guard case .vxlan(let attributes) = device.kind else { throw Missing("a vxlan device") }
        #expect(
            attributes
                == VXLANAttributes(
                    vni: 4096, port: 4789, parentIndex: node.eth0.index, local: ip("2001:db8::1"), learning: false))
        #expect(device.macAddress == vtepMACV6)
        #expect(device.mtu == 1430)
        #expect(device.isUp)
        // IPv4's device is there too, and distinct.
        #expect(try #require(node.vxlan()).index != device.index)

        let addresses = node.kernel.state.addresses.filter { $0.interfaceIndex == device.index }.map(\.prefix)
        #expect(addresses == [cidr("2001:db8:1::1/128")])
        #expect(
            node.kernel.state.neighbors.contains {
                $0.interfaceIndex == device.index && $0.address == ip("2001:db8:1::41")
                    && $0.linkLayerAddress == remoteVTEPMACV6 && $0.state.contains(.permanent)
            })
        #expect(
            node.kernel.state.fdb.contains {
                $0.interfaceIndex == device.index && $0.macAddress == remoteVTEPMACV6
                    && $0.destination == ip("2001:db8::2")
            })
        let route = try #require(node.mainRoute("2001:db8:1::40/122"))
        #expect(route.gateway == ip("2001:db8:1::41"))
        #expect(route.outputInterface == device.index)
        #expect(route.isOnLink)
        #expect(route.mtu == 1430)
        #expect(node.mainRoute("2001:db8:1::/122")?.type == .blackhole)

        // Idempotent: the echoes change nothing, a second apply and a full resync write nothing.
        node.deliverEvents()
        #expect(node.reconciler.apply(sampleDesiredV6()).writeCount == 0)
        node.reconciler.requestResync()
        let resync = node.reconciler.apply(sampleDesiredV6())
        #expect(resync.dumpedKernel)
        #expect(resync.writeCount == 0, "\(resync.writes)")
    }

    @Test func anIdentityChangeRecreatesOnlyThatDevice() throws {
        let node = try dualStackNode()
        _ = node.reconciler.apply(sampleDesiredV6())
        let oldV4 = try #require(node.vxlan())
        let oldV6 = try #require(node.vxlanV6())
        node.deliverEvents()

        let report = node.reconciler.apply(sampleDesiredV6(vni: 4097))
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(
            report.writes.first
                == DataplaneWrite(
                    action: .delete, object: .device("vxlan-v6.calico"), detail: "to recreate: VNI 4096 -> 4097"))
        let newV6 = try #require(node.vxlanV6())
        #expect(newV6.index != oldV6.index)
        #expect(node.vxlan()?.index == oldV4.index)
        // What went with the old device is back on the new one.
        #expect(node.mainRoute("2001:db8:1::40/122")?.outputInterface == newV6.index)
        #expect(node.kernel.state.fdb.contains { $0.interfaceIndex == newV6.index })
        #expect(node.kernel.state.addresses.contains { $0.interfaceIndex == newV6.index })

        var desired = sampleDesiredV6(vni: 4097)
        desired.vxlanV6?.localAddress = ip("2001:db8::99")
        let moved = node.reconciler.apply(desired)
        #expect(moved.writes.first?.detail == "to recreate: local 2001:db8::1 -> 2001:db8::99")
    }

    @Test func mtuIsFixedInPlace() throws {
        let node = try dualStackNode()
        _ = node.reconciler.apply(sampleDesiredV6())
        let device = try #require(node.vxlanV6())
        node.deliverEvents()
        let report = node.reconciler.apply(sampleDesiredV6(mtu: 1400))
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(node.vxlanV6()?.index == device.index)
        #expect(node.vxlanV6()?.mtu == 1400)
        #expect(node.mainRoute("2001:db8:1::40/122")?.mtu == 1400)
    }

    @Test func theDeviceGoesWhenNotDesiredAfterItsRoutes() throws {
        let node = try dualStackNode()
        _ = node.reconciler.apply(sampleDesiredV6())
        let v4 = try #require(node.vxlan())
        let v6 = try #require(node.vxlanV6())
        node.deliverEvents()
        node.kernel.resetWrites()

        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(node.vxlanV6() == nil)
        #expect(node.vxlan()?.index == v4.index)
        #expect(node.mainRoute("2001:db8:1::40/122") == nil)
        #expect(node.mainRoute("2001:db8:1::/122") == nil)
        let routeDeletion = node.kernel.writes.firstIndex { $0.deletedRoute?.outputInterface == v6.index }
        let deviceDeletion = node.kernel.writes.firstIndex {
            if case .deleteLink(index: v6.index) = $0.operation { return true }
            return false
        }
        let routeIndex = try #require(routeDeletion)
        let deviceIndex = try #require(deviceDeletion)
        #expect(routeIndex < deviceIndex)
        #expect(!node.kernel.state.fdb.contains { $0.interfaceIndex == v6.index })
    }

    @Test func staleEntriesAndForeignRoutesOnTheDeviceAreRemoved() throws {
        let node = try dualStackNode()
        _ = node.reconciler.apply(sampleDesiredV6())
        let device = try #require(node.vxlanV6())
        let strayMAC = mac("66:aa:bb:cc:dd:99")
        try node.kernel.external(
            .replaceNeighbor(
                Neighbor(
                    interfaceIndex: device.index, address: ip("2001:db8:1::99"), linkLayerAddress: strayMAC,
                    state: .permanent)))
        try node.kernel.external(
            .replaceFDB(FDBEntry(interfaceIndex: device.index, macAddress: strayMAC, destination: ip("2001:db8::9"))))
        // Any protocol through Tabby's device is Tabby's (static = 4).
        try node.kernel.external(
            .addRoute(
                Route(
                    destination: cidr("2001:db8:9::/64"), gateway: ip("2001:db8:1::99"), outputInterface: device.index,
                    protocol: RouteProtocol(4), isOnLink: true)))
        #expect(node.deliverEvents())

        let report = node.reconciler.apply(sampleDesiredV6())
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(!node.kernel.state.neighbors.contains { $0.address == ip("2001:db8:1::99") })
        #expect(!node.kernel.state.fdb.contains { $0.macAddress == strayMAC })
        #expect(node.mainRoute("2001:db8:9::/64") == nil)
        // The desired entries stay.
        #expect(node.kernel.state.fdb.contains { $0.macAddress == remoteVTEPMACV6 })
    }

    @Test func aDeviceOfTheWrongFamilyIsRefusedAndTheRestApplied() throws {
        let node = try dualStackNode()
        var desired = sampleDesired()
        desired.vxlanV6 = desired.vxlan
        let report = node.reconciler.apply(desired)
        #expect(node.vxlanV6() == nil)
        #expect(
            report.failures.contains {
                $0.object == .device("vxlan-v6.calico") && $0.reason.contains("of the other IP family")
            }, "\(report.failures)")
        #expect(node.vxlan() != nil)
        #expect(node.mainRoute("198.51.100.64/26") != nil)
    }

    @Test func theEnvironmentNamesTheIPv6Underlay() throws {
        let node = try FakeNode { kernel in
            let eth1 = kernel.addLink(name: "eth1", kind: .other(nil))
            try kernel.external(
                .addAddress(InterfaceAddress(interfaceIndex: eth1.index, prefix: cidr("2001:db8::1/64"))))
        }
        let environment = try node.reconciler.environment(
            nodeAddress: ip("192.0.2.1"), nodeAddressV6: ip("2001:db8::1"), mtuInterfacePattern: "^eth")
        #expect(environment.underlayInterface == "eth0")
        #expect(environment.underlayInterfaceV6 == "eth1")
        let none = try node.reconciler.environment(nodeAddress: ip("192.0.2.1"), mtuInterfacePattern: "^eth")
        #expect(none.underlayInterfaceV6 == nil)
    }
}
