import NetworkAddress
import Foundation
import Testing

@Suite("IPv4Address")
struct IPv4AddressTests {
    @Test(
        "parses valid dotted quads",
        arguments: [
            ("0.0.0.0", UInt32(0)),
            ("255.255.255.255", 0xffff_ffff),
            ("192.0.2.1", 0xc000_0201),
            ("198.51.100.255", 0xc633_64ff),
            ("203.0.113.0", 0xcb00_7100),
            ("10.0.0.5", 0x0a00_0005),
            ("1.2.3.4", 0x0102_0304),
            ("100.64.0.1", 0x6440_0001),
            ("127.0.0.1", 0x7f00_0001),
            ("0.0.0.255", 0x0000_00ff),
        ])
    func parsesValid(text: String, value: UInt32) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.value == value)
        #expect(address.description == text)
    }

    @Test(
        "rejects invalid text",
        arguments: [
            "", " ", "1", "1.2", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "256.0.0.0", "1.2.3.256",
            "999.1.1.1", "010.1.1.1", "1.01.1.1", "1.1.1.00", "00.0.0.0", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4",
            "+1.2.3.4", "1.2.3.4/32", "a.b.c.d", "0x1.2.3.4", "1.2.3.4a", "::1", "1.2.3.4:80", "1,2,3,4",
            "1.2.3.12345678901234567890", "１.2.3.4",
        ])
    func rejectsInvalid(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func bytesRoundTrip() throws {
        let address = IPv4Address(192, 0, 2, 33)
        #expect(address.bytes == [192, 0, 2, 33])
        #expect(IPv4Address(bytes: [192, 0, 2, 33]) == address)
        #expect(IPv4Address(bytes: [1, 2, 3]) == nil)
        #expect(IPv4Address(bytes: [1, 2, 3, 4, 5]) == nil)
        #expect(address.value == 0xc000_0221)
    }

    @Test func ordering() {
        #expect(IPv4Address("192.0.2.1")! < IPv4Address("192.0.2.2")!)
        #expect(IPv4Address("9.255.255.255")! < IPv4Address("10.0.0.0")!)
        #expect(!(IPv4Address("10.0.0.0")! < IPv4Address("10.0.0.0")!))
    }

    @Test func codableRoundTrip() throws {
        let addresses = [IPv4Address("192.0.2.1")!, IPv4Address("0.0.0.0")!]
        let data = try JSONEncoder().encode(addresses)
        #expect(String(decoding: data, as: UTF8.self) == #"["192.0.2.1","0.0.0.0"]"#)
        #expect(try JSONDecoder().decode([IPv4Address].self, from: data) == addresses)
    }

    @Test func decodingBadTextSaysWhy() throws {
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([IPv4Address].self, from: Data(#"["010.0.0.1"]"#.utf8))
        }
        guard case .dataCorrupted(let context) = try #require(error) else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(context.debugDescription.contains("leading zero"))
        #expect(context.debugDescription.contains("010.0.0.1"))
    }
}
