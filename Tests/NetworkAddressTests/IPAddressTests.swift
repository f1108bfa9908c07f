import NetworkAddress
import Foundation
import Testing

@Suite("IPAddress")
struct IPAddressTests {
    @Test(
        "parses both families",
        arguments: [
            ("192.0.2.1", IPFamily.v4, "192.0.2.1"),
            ("2001:db8::1", .v6, "2001:db8::1"),
            ("2001:DB8:0::1", .v6, "2001:db8::1"),
            ("::ffff:198.51.100.1", .v6, "::ffff:198.51.100.1"),
            ("::", .v6, "::"),
            ("0.0.0.0", .v4, "0.0.0.0"),
        ])
    func parses(text: String, family: IPFamily, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.family == family)
        #expect(address.bitWidth == (family == .v4 ? 32 : 128))
        #expect(address.bytes.count == address.bitWidth / 8)
        #expect(address.description == canonical)
        #expect(IPAddress(bytes: address.bytes) == address)
    }

    @Test("rejects invalid text", arguments: ["", "x", "1.2.3", "1::2::3", "192.0.2.1/32", "2001:db8::/32", "::1%lo"])
    func rejects(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func familiesOrderV4First() throws {
        let sorted = ["2001:db8::1", "203.0.113.1", "::", "10.0.0.1", "0.0.0.0"].compactMap(IPAddress.init).sorted()
        #expect(sorted.map(\.description) == ["0.0.0.0", "10.0.0.1", "203.0.113.1", "::", "2001:db8::1"])
    }

    @Test func bytesOfOtherLengthsAreRejected() {
        #expect(IPAddress(bytes: []) == nil)
        #expect(IPAddress(bytes: [1, 2, 3, 4, 5]) == nil)
    }

    @Test func codableRoundTrip() throws {
        let addresses = ["192.0.2.1", "2001:db8::7"].compactMap(IPAddress.init)
        let data = try JSONEncoder().encode(addresses)
        #expect(String(decoding: data, as: UTF8.self) == #"["192.0.2.1","2001:db8::7"]"#)
        #expect(try JSONDecoder().decode([IPAddress].self, from: data) == addresses)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([IPAddress].self, from: Data(#"["192.0.2.300"]"#.utf8))
        }
    }

    @Test func familyCodesMatchCalico() throws {
        #expect(IPFamily.v4.rawValue == 4)
        #expect(IPFamily.v6.rawValue == 6)
        #expect(try JSONDecoder().decode([IPFamily].self, from: Data("[4,6]".utf8)) == [.v4, .v6])
    }
}
