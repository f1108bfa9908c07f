import Foundation
import NetworkAddress
import Testing

private func ip(_ text: String) -> IPAddress { IPAddress(text)! }
private func cidr(_ text: String) -> CIDR { CIDR(text)! }

@Suite("Address edge cases")
struct EdgeCaseTests {
    @Test func ipv4MappedAddressesAreIPv6() throws {
        let mapped = ip("::ffff:192.0.2.1")
        #expect(mapped.family == .v6)
        #expect(mapped.description == "::ffff:192.0.2.1")
        #expect(ip("0:0:0:0:0:ffff:c000:201") == mapped)
        guard case .v6(let v6) = mapped else { throw MappedAddressIsNotIPv6() }
        #expect(v6.ipv4Mapped == IPv4Address(192, 0, 2, 1))
        #expect(IPv6Address(ipv4Mapped: IPv4Address(192, 0, 2, 1)) == v6)
        // The mapped form is a different address from the IPv4 one, and no IPv4 prefix holds it.
        #expect(mapped != ip("192.0.2.1"))
        #expect(!cidr("192.0.2.0/24").contains(mapped))
        #expect(cidr("::ffff:0:0/96").contains(mapped))
        #expect(cidr("::ffff:192.0.2.1/128").description == "::ffff:192.0.2.1/128")
    }

    @Test func leadingZerosAreRejectedWhereTheyAreAmbiguous() {
        #expect(IPAddress("010.0.0.1") == nil)
        #expect(IPAddress("10.0.0.01") == nil)
        #expect(IPAddress("0.0.0.0") != nil)
        #expect(CIDR("10.0.0.0/08") == nil)
        #expect(CIDR("10.0.0.0/0") != nil)
        // In IPv6 groups leading zeros are plain hex, and the canonical form drops them.
        #expect(ip("2001:0db8:0000::0001").description == "2001:db8::1")
        #expect(IPAddress("2001:00db8::1") == nil)  // five digits
    }

    @Test func slashZeroHoldsItsWholeFamilyAndNothingElse() {
        #expect(cidr("0.0.0.0/0").contains(ip("255.255.255.255")))
        #expect(cidr("0.0.0.0/0").contains(ip("0.0.0.0")))
        #expect(!cidr("0.0.0.0/0").contains(ip("::")))
        #expect(cidr("::/0").contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")))
        #expect(!cidr("::/0").contains(ip("192.0.2.1")))
        #expect(cidr("::/0").contains(cidr("2001:db8::/32")))
        #expect(!cidr("::/0").contains(cidr("0.0.0.0/0")))
        #expect(cidr("0.0.0.0/0").netmask.bytes == [0, 0, 0, 0])
        #expect(cidr("::/0").addressCount == nil)
        #expect(cidr("0.0.0.0/0").addressCount == 1 << 32)
    }

    @Test func hostPrefixesHoldOneAddress() {
        let v4 = cidr("192.0.2.9/32")
        #expect(v4.contains(ip("192.0.2.9")) && !v4.contains(ip("192.0.2.8")))
        #expect(v4.networkAddress == v4.lastAddress)
        #expect(v4.netmask.bytes == [255, 255, 255, 255])
        #expect(v4.isMasked && v4.masked == v4)
        let v6 = cidr("2001:db8::9/128")
        #expect(v6.contains(ip("2001:db8::9")) && !v6.contains(ip("2001:db8::8")))
        #expect(v6.networkAddress == v6.lastAddress)
        #expect(v6.netmask.bytes == [UInt8](repeating: 255, count: 16))
        #expect(CIDR(host: ip("2001:db8::9")) == v6)
        #expect((try? CIDR(address: ip("192.0.2.9"), prefixLength: 33)) == nil)
        #expect((try? CIDR(address: ip("2001:db8::9"), prefixLength: 129)) == nil)
    }

    @Test func firstLastAndNetmaskOfAPrefixWithHostBits() {
        let interface = cidr("10.0.0.5/23")
        #expect(interface.address == ip("10.0.0.5"))
        #expect(interface.networkAddress == ip("10.0.0.0"))
        #expect(interface.lastAddress == ip("10.0.1.255"))
        #expect(interface.netmask.bytes == [255, 255, 254, 0])
        #expect(interface.masked.description == "10.0.0.0/23")
        #expect(interface.description == "10.0.0.5/23")
    }

    @Test func aCIDRNeedsItsPrefixLength() {
        #expect(CIDR("192.0.2.1") == nil)
        #expect(CIDR("192.0.2.1/") == nil)
        #expect(CIDR("/24") == nil)
    }

    @Test func bytesInNetworkOrderFromAnyCollection() {
        let v4: [UInt8] = [192, 0, 2, 1]
        #expect(IPv4Address(bytes: v4[...]) == IPv4Address(192, 0, 2, 1))
        #expect(IPv4Address(bytes: v4)?.value == 0xC000_0201)
        let v6 = ip("2001:db8::1").bytes
        #expect(v6.withUnsafeBytes { IPAddress(bytes: $0) } == ip("2001:db8::1"))
        #expect(IPv6Address(bytes: v6.dropLast()) == nil)
    }

    @Test func decodingABadAddressNamesIt() throws {
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([IPAddress].self, from: Data(#"["192.0.2.999"]"#.utf8))
        }
        guard case .dataCorrupted(let context) = try #require(error) else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(context.debugDescription == #"invalid IP address "192.0.2.999""#)
    }
}

private struct MappedAddressIsNotIPv6: Error {}
