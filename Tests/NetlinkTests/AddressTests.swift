import Foundation
import Netlink
import Testing

@Suite("Addresses against the kernel", needsNamespaces)
struct AddressTests {
    @Test func addListAndDeleteIPv4AndIPv6() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.socket()
            let link = try ns.vethPair(socket: socket)
            let v4 = InterfaceAddress(interfaceIndex: link.index, prefix: prefix("192.0.2.1/24"))
            let v6 = InterfaceAddress(interfaceIndex: link.index, prefix: prefix("2001:db8::1/64"), flags: .noDAD)
            try socket.addAddress(v4)
            try socket.addAddress(v6)

            let listed = try socket.addresses(interfaceIndex: link.index)
            let listedV4 = try #require(listed.first { $0.prefix == v4.prefix })
            #expect(listedV4.scope == .universe)
            #expect(listedV4.label == "tv0")
            #expect(listedV4.flags.contains(.permanent))
            let listedV6 = try #require(listed.first { $0.prefix == v6.prefix })
            #expect(listedV6.flags.contains(.noDAD))
            #expect(try socket.addresses(family: .v4, interfaceIndex: link.index).map(\.prefix) == [v4.prefix])
            // The kernel's own link-local IPv6 address is there too.
            #expect(listed.contains { $0.prefix.address.description.hasPrefix("fe80::") })

            let shown = try ns.ip("addr", "show", "dev", "tv0")
            #expect(shown.contains("inet 192.0.2.1/24 scope global tv0"))
            #expect(shown.contains("inet6 2001:db8::1/64 scope global nodad"))

            let again = #expect(throws: NetlinkError.self) { try socket.addAddress(v4) }
            #expect(again?.errno.name == "EEXIST")
            #expect(again?.operation == "address add 192.0.2.1/24 dev tv0")

            try socket.deleteAddress(v4)
            try socket.deleteAddress(v6)
            let remaining = try socket.addresses(interfaceIndex: link.index).map(\.prefix)
            #expect(!remaining.contains(v4.prefix) && !remaining.contains(v6.prefix))
            #expect(!(try ns.ip("addr", "show", "dev", "tv0").contains("192.0.2.1")))

            let gone = #expect(throws: NetlinkError.self) { try socket.deleteAddress(v4) }
            #expect(gone?.errno.name == "EADDRNOTAVAIL")
        }
    }
}
