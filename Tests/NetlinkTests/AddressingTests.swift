import NetworkAddress
import Testing

@testable import Netlink

@Suite("Address value types")
struct AddressingTests {
    @Test func parsesAndPrintsIPv4() throws {
        let address = try #require(IPAddress("192.0.2.1"))
        #expect(address == .v4(IPv4Address(192, 0, 2, 1)))
        #expect(address.description == "192.0.2.1")
        #expect(address.family == .ipv4)
        #expect(IPAddress("192.0.2.256") == nil)
        #expect(IPAddress("192.0.2") == nil)
    }

    @Test func parsesAndPrintsIPv6() throws {
        let address = try #require(IPAddress("2001:db8::1"))
        #expect(address == .v6(IPv6Address(high: 0x2001_0db8_0000_0000, low: 1)))
        #expect(address.description == "2001:db8::1")
        #expect(IPAddress("2001:db8:::1") == nil)
    }

    @Test func prefixesParseMaskAndRejectBadLengths() throws {
        let prefix = try #require(IPPrefix("10.0.1.77/26"))
        #expect(prefix.length == 26)
        #expect(prefix.network.description == "10.0.1.64/26")
        #expect(IPPrefix("10.0.0.1/33") == nil)
        #expect(IPPrefix("2001:db8::/129") == nil)
        #expect(IPPrefix("192.0.2.9")?.length == 32)
        #expect(IPPrefix("2001:db8:1:2::ff/56")?.network.description == "2001:db8:1::/56")
        #expect(IPPrefix("0.0.0.0/0")?.network.description == "0.0.0.0/0")
    }

    @Test func macAddressesRoundTrip() throws {
        let mac = try #require(MACAddress("66:E4:5a:c9:41:0b"))
        #expect(mac.description == "66:e4:5a:c9:41:0b")
        #expect(mac.bytes == [0x66, 0xe4, 0x5a, 0xc9, 0x41, 0x0b])
        #expect(MACAddress("66:e4:5a:c9:41") == nil)
        #expect(MACAddress("66:e4:5a:c9:41:0bb") == nil)
    }
}
