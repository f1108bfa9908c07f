import Calculation
import CalicoAPI
import Dataplane
import Netlink
import Testing

@Suite("Programming a desired dataplane (fake kernel)")
struct ProgrammingTests {
    @Test func firstApplyProgramsEverything() throws {
        let node = try FakeNode()
        let report = node.reconciler.apply(sampleDesired())
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.dumpedKernel)

        let vxlan = try #require(node.vxlan())
        #expect(vxlan.isUp)
        #expect(vxlan.mtu == 1450)
        #expect(vxlan.macAddress == vtepMAC)
        #expect(
            vxlan.kind
                == .vxlan(
                    VXLANAttributes(
                        vni: 4096, port: 4789, parentIndex: node.eth0.index, local: ip("192.0.2.1"), learning: false)))
        #expect(
            node.kernel.state.addresses.filter { $0.interfaceIndex == vxlan.index }.map(\.prefix)
                == [cidr("198.51.100.0/32")])

        let workload = try #require(node.mainRoute("198.51.100.5/32"))
        #expect(workload.outputInterface == node.cali1.index)
        #expect(workload.scope == .link)
        #expect(workload.protocol == .boot)
        let blackhole = try #require(node.mainRoute("198.51.100.0/26"))
        #expect(blackhole.type == .blackhole)
        #expect(blackhole.protocol == RouteProtocol(80))
        let remote = try #require(node.mainRoute("198.51.100.64/26"))
        #expect(remote.gateway == ip("198.51.100.64"))
        #expect(remote.outputInterface == vxlan.index)
        #expect(remote.isOnLink)
        #expect(remote.mtu == 1450)
        let sameSubnet = try #require(node.mainRoute("198.51.100.128/26"))
        #expect(sameSubnet.outputInterface == node.eth0.index)
        #expect(sameSubnet.protocol == RouteProtocol(80))

        #expect(
            Set(node.kernel.state.neighbors)
                == [
                    Neighbor(
                        interfaceIndex: vxlan.index, address: ip("198.51.100.64"), linkLayerAddress: remoteVTEPMAC
                    ),
                    Neighbor(
                        interfaceIndex: node.cali1.index, address: ip("198.51.100.5"),
                        linkLayerAddress: mac("0a:58:c6:33:64:05")),
                ])
        #expect(
            node.kernel.state.fdb
                == [
                    FDBEntry(interfaceIndex: vxlan.index, macAddress: remoteVTEPMAC, destination: ip("192.0.2.2"))
                ])
        #expect(node.kernel.state.sysctls["net/ipv4/ip_forward"] == "1")
        #expect(node.kernel.state.sysctls["net/ipv4/conf/cali1/proxy_arp"] == "1")
        #expect(report.writeCount == node.kernel.writes.count)
    }

    @Test func writesGoInFelixOrder() throws {
        let node = try FakeNode { kernel in
            // Stale state from a previous run, so that removals are in the batch too.
            try kernel.external(
                .addRoute(
                    Route(destination: cidr("198.51.100.192/26"), protocol: RouteProtocol(80), type: .blackhole)))
        }
        _ = node.reconciler.apply(sampleDesired())
        let writes = node.kernel.writes
        func position(_ matches: (FakeKernel.Write) -> Bool) throws -> Int {
            guard let found = writes.firstIndex(where: matches) else { throw Missing("a write of the expected kind") }
            return found
        }
        let create = try position {
            if case .createVXLAN = $0 { return true }
            return false
        }
        let linkUp = try position {
            if case .changeLink = $0.operation { return true }
            return false
        }
        let address = try position {
            if case .addAddress = $0.operation { return true }
            return false
        }
        let neighbors = writes.indices.filter {
            switch writes[$0].operation {
            case .replaceNeighbor, .replaceFDB: true
            default: false
            }
        }
        let removal = try position(\.isRouteDelete)
        let routes = writes.indices.filter { writes[$0].isRouteReplace }
        let sysctl = try position {
            if case .sysctl = $0 { return true }
            return false
        }
        #expect(neighbors.count == 3)
        #expect(routes.count == 4)
        #expect(create < linkUp && linkUp < address)
        #expect(address < neighbors.min()! && neighbors.max()! < removal)
        #expect(removal < routes.min()! && routes.max()! < sysctl)
    }

    @Test func secondApplyAndFullResyncMakeNoWrites() throws {
        let node = try FakeNode()
        let desired = sampleDesired()
        #expect(node.reconciler.apply(desired).failures.isEmpty)
        node.kernel.resetWrites()

        let again = node.reconciler.apply(desired)
        #expect(again.writeCount == 0)
        #expect(!again.dumpedKernel)
        #expect(node.kernel.writes.isEmpty)

        // The notifications of its own writes change nothing either.
        node.deliverEvents()
        #expect(node.reconciler.apply(desired).writeCount == 0)

        // A full resync re-dumps and re-reads sysctls, and still writes nothing.
        node.reconciler.requestResync()
        let resynced = node.reconciler.apply(desired)
        #expect(resynced.dumpedKernel)
        #expect(resynced.writeCount == 0)
        try node.reconciler.resync()
        #expect(node.reconciler.apply(desired).writeCount == 0)
        #expect(node.kernel.writes.isEmpty, "\(node.kernel.writes)")
    }

    @Test func oneDesiredChangeWritesOnlyThatChange() throws {
        let node = try FakeNode()
        var desired = sampleDesired()
        _ = node.reconciler.apply(desired)
        node.kernel.resetWrites()

        // A new remote block.
        desired.routes[cidr("198.51.100.192/26")] = DesiredRoute(
            destination: cidr("198.51.100.192/26"), target: .gateway(ip("198.51.100.192"), interface: "vxlan.calico"),
            kind: .vxlanTunnel, routeProtocol: 3, mtu: 1450)
        var report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.object) == [.route(cidr("198.51.100.192/26"))])
        #expect(node.kernel.writes.count == 1)
        #expect(node.kernel.writes.first?.replacedRoute?.destination == cidr("198.51.100.192/26"))

        // The block goes away.
        node.kernel.resetWrites()
        desired.routes[cidr("198.51.100.192/26")] = nil
        report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.action) == [.delete])
        #expect(node.kernel.writes.first?.deletedRoute?.destination == cidr("198.51.100.192/26"))
        #expect(node.mainRoute("198.51.100.192/26") == nil)

        // The remote VTEP moves to another underlay address: the stale FDB entry goes, the new one comes.
        node.kernel.resetWrites()
        desired.fdb = [DesiredFDBEntry(interface: "vxlan.calico", mac: remoteVTEPMAC, destination: ip("192.0.2.9"))]
        report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.action) == [.delete, .replace])
        #expect(node.kernel.state.fdb.map(\.destination) == [ip("192.0.2.9")])

        // The VXLAN MTU changes: the device in place and the tunnel route's MTU.
        node.kernel.resetWrites()
        let index = try #require(node.vxlan()).index
        desired.vxlan?.mtu = 1400
        desired.routes[cidr("198.51.100.64/26")]?.mtu = 1400
        report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.object) == [.device("vxlan.calico"), .route(cidr("198.51.100.64/26"))])
        #expect(node.vxlan()?.index == index)
        #expect(node.vxlan()?.mtu == 1400)
        #expect(node.mainRoute("198.51.100.64/26")?.mtu == 1400)

        node.kernel.resetWrites()
        #expect(node.reconciler.apply(desired).writeCount == 0)
    }

    @Test func summaryCountsTabbyOwnedState() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        let summary = node.reconciler.summary
        #expect(summary.routes == 4)
        #expect(summary.devices == ["vxlan.calico"])
        #expect(summary.neighbors == 2)
        #expect(summary.fdbEntries == 1)
    }
}
