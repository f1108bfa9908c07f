import Foundation
import Netlink
import Testing

@Suite("Neighbours and FDB entries against the kernel", needsNamespaces)
struct NeighborTests {
    @Test func permanentNeighboursAddReplaceListDelete() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.socket()
            let link = try ns.vethPair(socket: socket)
            let v4 = Neighbor(
                interfaceIndex: link.index, address: address("192.0.2.9"), linkLayerAddress: mac("66:e4:5a:c9:41:01"))
            let v6 = Neighbor(
                interfaceIndex: link.index, address: address("2001:db8::9"),
                linkLayerAddress: mac("66:e4:5a:c9:41:02"))
            try socket.addNeighbor(v4)
            try socket.addNeighbor(v6)
            let duplicate = #expect(throws: NetlinkError.self) { try socket.addNeighbor(v4) }
            #expect(duplicate?.errno.name == "EEXIST")
            #expect(duplicate?.operation == "neighbour add 192.0.2.9 lladdr 66:e4:5a:c9:41:01 dev tv0")

            var moved = v4
            moved.linkLayerAddress = mac("66:e4:5a:c9:41:03")
            try socket.replaceNeighbor(moved)
            try socket.replaceNeighbor(moved)  // idempotent

            let listed = try socket.neighbors(interfaceIndex: link.index).filter { $0.state == .permanent }
            #expect(Set(listed) == [moved, v6])
            #expect(
                try socket.neighbors(family: .v6, interfaceIndex: link.index).filter { $0.state == .permanent }
                    == [v6])
            let shown = try ns.ip("neigh", "show", "dev", "tv0")
            #expect(shown.contains("192.0.2.9 lladdr 66:e4:5a:c9:41:03 PERMANENT"))
            #expect(
                try ns.ip("-6", "neigh", "show", "dev", "tv0").contains(
                    "2001:db8::9 lladdr 66:e4:5a:c9:41:02 PERMANENT"))

            try socket.deleteNeighbor(moved)
            try socket.deleteNeighbor(v6)
            #expect(try socket.neighbors(interfaceIndex: link.index).filter { $0.state == .permanent }.isEmpty)
            let gone = #expect(throws: NetlinkError.self) { try socket.deleteNeighbor(v6) }
            #expect(gone?.errno.name == "ENOENT")
        }
    }

    @Test func vxlanFDBEntriesWithRemoteDestinations() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.socket()
            let parent = try ns.vethPair(socket: socket)
            try socket.addAddress(InterfaceAddress(interfaceIndex: parent.index, prefix: prefix("192.0.2.1/24")))
            let vxlan = try socket.createVXLAN(
                name: "vxlan.calico",
                attributes: VXLANAttributes(vni: 4096, parentIndex: parent.index, local: address("192.0.2.1")))
            let entry = FDBEntry(
                interfaceIndex: vxlan.index, macAddress: mac("66:e4:5a:c9:41:0b"), destination: address("192.0.2.7"))
            try socket.addFDB(entry)
            var moved = entry
            moved.destination = address("192.0.2.8")
            try socket.replaceFDB(moved)
            try socket.replaceFDB(moved)  // idempotent
            let other = FDBEntry(
                interfaceIndex: vxlan.index, macAddress: mac("66:e4:5a:c9:41:0c"), destination: address("192.0.2.9"))
            try socket.addFDB(other)

            let listed = try socket.fdbEntries(interfaceIndex: vxlan.index)
            #expect(Set(listed) == [moved, other])
            #expect(listed.allSatisfy { $0.state == .permanent && $0.flags.contains(.`self`) })
            let shown = try ns.bridge("fdb", "show", "dev", "vxlan.calico")
            #expect(shown.contains("66:e4:5a:c9:41:0b dst 192.0.2.8 self permanent"))
            #expect(shown.contains("66:e4:5a:c9:41:0c dst 192.0.2.9 self permanent"))

            let duplicate = #expect(throws: NetlinkError.self) { try socket.addFDB(other) }
            #expect(duplicate?.errno.name == "EEXIST")
            #expect(duplicate?.operation == "fdb add 66:e4:5a:c9:41:0c dev vxlan.calico dst 192.0.2.9")

            try socket.deleteFDB(moved)
            try socket.deleteFDB(other)
            #expect(try socket.fdbEntries(interfaceIndex: vxlan.index).isEmpty)
            #expect(!(try ns.bridge("fdb", "show", "dev", "vxlan.calico").contains("66:e4:5a:c9:41:0")))
        }
    }
}
