import Calculation
import CalicoAPI
import Dataplane
import Netlink
import Testing

@Suite("Neighbours, FDB entries and sysctls (fake kernel)")
struct NeighborAndSysctlTests {
    @Test func staleEntriesAreRemovedFromTheVXLANDeviceOnly() throws {
        let node = try FakeNode()
        _ = node.reconciler.apply(sampleDesired())
        let vxlan = try #require(node.vxlan())
        let staleVTEP = Neighbor(
            interfaceIndex: vxlan.index, address: ip("198.51.100.250"), linkLayerAddress: mac("66:00:00:00:00:fa"))
        let learned = Neighbor(
            interfaceIndex: vxlan.index, address: ip("198.51.100.251"), linkLayerAddress: mac("66:00:00:00:00:fb"),
            state: .reachable)
        let workloadEntry = Neighbor(
            interfaceIndex: node.cali1.index, address: ip("198.51.100.6"), linkLayerAddress: mac("0a:58:00:00:00:06"))
        let staleFDB = FDBEntry(
            interfaceIndex: vxlan.index, macAddress: mac("66:00:00:00:00:fa"), destination: ip("192.0.2.50"))
        for operation: NetlinkOperation in [
            .replaceNeighbor(staleVTEP), .replaceNeighbor(learned), .replaceNeighbor(workloadEntry),
            .replaceFDB(staleFDB),
        ] {
            try node.kernel.external(operation)
        }
        node.deliverEvents()
        node.kernel.resetWrites()

        let report = node.reconciler.apply(sampleDesired())
        #expect(
            Set(report.writes.map(\.object))
                == [
                    .neighbor(interface: "vxlan.calico", ip("198.51.100.250")),
                    .fdb(interface: "vxlan.calico", mac: mac("66:00:00:00:00:fa"), destination: ip("192.0.2.50")),
                ])
        #expect(node.kernel.state.neighbors.contains(learned), "dynamic entries are the kernel's")
        #expect(node.kernel.state.neighbors.contains(workloadEntry), "entries on cali* not desired are left")
        #expect(!node.kernel.state.neighbors.contains(staleVTEP))
        #expect(node.kernel.state.fdb.count == 1)
    }

    @Test func workloadMACChangeReplacesTheEntry() throws {
        let node = try FakeNode()
        var desired = sampleDesired()
        _ = node.reconciler.apply(desired)
        node.kernel.resetWrites()
        desired.neighbors.remove(
            DesiredNeighbor(interface: "cali1", address: ip("198.51.100.5"), mac: mac("0a:58:c6:33:64:05")))
        desired.neighbors.insert(
            DesiredNeighbor(interface: "cali1", address: ip("198.51.100.5"), mac: mac("0a:58:c6:33:64:99")))
        let report = node.reconciler.apply(desired)
        #expect(report.writes.map(\.action) == [.replace])
        #expect(
            node.kernel.state.neighbors.first { $0.interfaceIndex == node.cali1.index }?.linkLayerAddress
                == mac("0a:58:c6:33:64:99"))
    }

    @Test func sysctlsAreWrittenOnlyWhenTheKernelHasAnotherValue() throws {
        let node = try FakeNode { kernel in
            kernel.setSysctl("net/ipv4/conf/cali1/proxy_arp", "1")
        }
        var report = node.reconciler.apply(sampleDesired())
        let sysctlWrites = node.kernel.writes.compactMap { write -> String? in
            if case .sysctl(let path, _) = write { return path }
            return nil
        }
        #expect(sysctlWrites == ["net/ipv4/conf/cali1/rp_filter", "net/ipv4/ip_forward"])
        #expect(
            report.writes.contains(DataplaneWrite(action: .write, object: .sysctl("net/ipv4/ip_forward"), detail: "1")))

        // Someone turns forwarding off: a resync reads it back and fixes only that.
        node.kernel.setSysctl("net/ipv4/ip_forward", "0")
        node.kernel.resetWrites()
        #expect(node.reconciler.apply(sampleDesired()).writeCount == 0, "known values are not even read")
        node.reconciler.requestResync()
        report = node.reconciler.apply(sampleDesired())
        #expect(report.writes.map(\.object) == [.sysctl("net/ipv4/ip_forward")])

        // A recreated interface starts from the kernel's defaults.
        try node.kernel.external(.deleteLink(index: node.cali1.index))
        let cali1 = node.kernel.addLink(name: "cali1")
        node.deliverEvents()
        node.kernel.resetWrites()
        report = node.reconciler.apply(sampleDesired())
        #expect(
            Set(report.writes.map(\.object))
                == [
                    .sysctl("net/ipv4/conf/cali1/proxy_arp"), .sysctl("net/ipv4/conf/cali1/rp_filter"),
                    .route(cidr("198.51.100.5/32")), .neighbor(interface: "cali1", ip("198.51.100.5")),
                ])
        #expect(node.mainRoute("198.51.100.5/32")?.outputInterface == cali1.index)
    }

    @Test func aResyncReadsBackTheGlobalSysctlsAndASliceOfTheInterfaces() throws {
        let rounds = 4
        let node = try FakeNode(configuration: .init(sysctlReadBackRounds: rounds)) { kernel in
            for index in 2...20 { kernel.addLink(name: "cali\(index)") }
        }
        var desired = sampleDesired()
        for index in 2...20 { desired.sysctls["net/ipv4/conf/cali\(index)/proxy_arp"] = "1" }
        _ = node.reconciler.apply(desired)
        let perInterface = desired.sysctls.keys.filter { $0.contains("/cali") }.count
        // Someone turns proxy ARP off on cali7 by hand (sysctls send no notification).
        node.kernel.setSysctl("net/ipv4/conf/cali7/proxy_arp", "0")
        var reads: [Int] = []
        var repairedIn: Int?
        for resync in 1...rounds {
            let before = node.kernel.sysctlReads
            node.reconciler.requestResync()
            let report = node.reconciler.apply(desired)
            reads.append(node.kernel.sysctlReads - before)
            if report.writes.contains(
                DataplaneWrite(action: .write, object: .sysctl("net/ipv4/conf/cali7/proxy_arp"), detail: "1"))
            {
                repairedIn = resync
            }
        }
        #expect(repairedIn != nil, "repaired within \(rounds) resyncs")
        #expect(node.kernel.state.sysctls["net/ipv4/conf/cali7/proxy_arp"] == "1")
        #expect(reads.reduce(0, +) == perInterface + rounds * (desired.sysctls.count - perInterface), "\(reads)")
        #expect(reads.allSatisfy { $0 < desired.sysctls.count }, "no resync reads everything: \(reads)")
    }

    @Test func anInterfaceRecreatedUnseenIsReadAgainAfterTheDump() throws {
        let node = try FakeNode(configuration: .init(sysctlReadBackRounds: 1_000))
        _ = node.reconciler.apply(sampleDesired())
        // The notifications are lost: only the dump shows cali1 with a new index and the kernel's defaults.
        try node.kernel.external(.deleteLink(index: node.cali1.index))
        node.kernel.addLink(name: "cali1")
        _ = node.kernel.takeEvents()
        node.kernel.resetWrites()
        node.reconciler.requestResync()
        let report = node.reconciler.apply(sampleDesired())
        #expect(report.writes.contains { $0.object == .sysctl("net/ipv4/conf/cali1/proxy_arp") })
        #expect(node.kernel.state.sysctls["net/ipv4/conf/cali1/rp_filter"] == "1")
    }
}
