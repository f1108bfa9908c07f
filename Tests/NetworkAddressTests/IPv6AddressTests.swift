import NetworkAddress
import Foundation
import Testing

@Suite("IPv6Address")
struct IPv6AddressTests {
    /// (input, RFC 5952 canonical form)
    static let validForms: [(String, String)] = [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8::", "2001:db8::"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:DB8::ABCD", "2001:db8::abcd"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // tie: the first run is compressed
        ("2001:db8:0:0:0:1:0:0", "2001:db8::1:0:0"),
        ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),  // longest run wins
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not compressed
        ("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("1:0:0:0:0:0:0:0", "1::"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("fe80::1", "fe80::1"),
        ("FE80:0:0:0:0200:5EFF:FE00:5301", "fe80::200:5eff:fe00:5301"),
        ("ff02::1:ff00:1", "ff02::1:ff00:1"),
        ("0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8"),
        ("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
        ("1::8", "1::8"),
        ("1:0::8", "1::8"),
        ("1:2::7:8", "1:2::7:8"),
        ("0:0:1::", "0:0:1::"),
        ("0:0:1:0:0:0:0:0", "0:0:1::"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        // Embedded IPv4.
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::FFFF:192.0.2.1", "::ffff:192.0.2.1"),
        ("::ffff:c000:201", "::ffff:192.0.2.1"),
        ("0:0:0:0:0:ffff:198.51.100.7", "::ffff:198.51.100.7"),
        ("::ffff:0.0.0.0", "::ffff:0.0.0.0"),
        ("::192.0.2.1", "::c000:201"),  // IPv4-compatible (deprecated) is not shown in mixed form
        ("64:ff9b::203.0.113.9", "64:ff9b::cb00:7109"),
        ("1:2:3:4:5:6:192.0.2.1", "1:2:3:4:5:6:c000:201"),
        ("1::2:3:4:5:192.0.2.1", "1:0:2:3:4:5:c000:201"),
    ]

    @Test("parses and formats RFC 4291 / RFC 5952 forms", arguments: validForms)
    func parsesAndFormats(input: String, canonical: String) throws {
        let address = try #require(IPv6Address(input))
        #expect(address.description == canonical)
        #expect(IPv6Address(canonical) == address)
    }

    @Test(
        "rejects invalid text",
        arguments: [
            "", ":", ":::", "::::", "1:::2", "1::2::3", "::1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
            "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", ":1::", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:", "1:", "1::2:",
            "g::", "::g", "1:2:3:4:5:6:7:8 ", " ::1", "fe80::1%eth0", "::ffff:192.0.2", "::ffff:192.0.2.256",
            "::ffff:010.0.2.1", "::1.2.3.4:1", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6::1.2.3.4",
            "::ffff:1.2.3.4.5", "2001:db8::/32", "[::1]", "::-1", "0x1::", "1:2:3:4:5:6:7:8%1", "::ffff:1a.2.3.4",
            "192.0.2.1",
        ])
    func rejectsInvalid(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func bytesAndGroups() throws {
        let address = try #require(IPv6Address("2001:db8::102:304"))
        #expect(address.high == 0x2001_0db8_0000_0000)
        #expect(address.low == 0x0000_0000_0102_0304)
        #expect(address.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])
        #expect(address.groups == [0x2001, 0xdb8, 0, 0, 0, 0, 0x102, 0x304])
        #expect(IPv6Address(bytes: address.bytes) == address)
        #expect(IPv6Address(groups: address.groups) == address)
        #expect(IPv6Address(bytes: [1, 2, 3, 4]) == nil)
    }

    @Test func ipv4Mapped() throws {
        let v4 = try #require(IPv4Address("192.0.2.1"))
        let mapped = IPv6Address(ipv4Mapped: v4)
        #expect(mapped.description == "::ffff:192.0.2.1")
        #expect(mapped.ipv4Mapped == v4)
        #expect(IPv6Address("::1")!.ipv4Mapped == nil)
        #expect(IPv6Address("::fffe:192.0.2.1")!.ipv4Mapped == nil)
        #expect(IPv6Address("1::ffff:192.0.2.1")!.ipv4Mapped == nil)
    }

    @Test func ordering() {
        #expect(IPv6Address("::1")! < IPv6Address("::2")!)
        #expect(IPv6Address("0:0:0:1::")! < IPv6Address("0:0:1::")!)
        #expect(IPv6Address("2001:db8::ffff")! < IPv6Address("2001:db8:0:0:1::")!)
    }

    @Test func codableRoundTrip() throws {
        let addresses = [IPv6Address("2001:DB8:0:0::1")!, IPv6Address("::")!]
        let data = try JSONEncoder().encode(addresses)
        #expect(String(decoding: data, as: UTF8.self) == #"["2001:db8::1","::"]"#)
        #expect(try JSONDecoder().decode([IPv6Address].self, from: data) == addresses)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([IPv6Address].self, from: Data(#"["1::2::3"]"#.utf8))
        }
    }

    /// Every pattern of zero and non-zero groups (so every compression case, and the IPv4-mapped form), with
    /// several values in the non-zero groups, survives a format/parse round trip, and the text is the canonical
    /// form checked against a naive formatter.
    @Test func everyZeroPatternRoundTrips() throws {
        let values: [UInt16] = [1, 0xf, 0xab, 0xffff, 0x10, 0xdb8, 0x100, 0x2001]
        for pattern in 0..<256 {
            for variant in 0..<values.count {
                let groups = (0..<8).map { index in
                    pattern >> index & 1 == 0 ? 0 : values[(index + variant) % values.count]
                }
                let address = IPv6Address(groups: groups)
                let text = address.description
                #expect(IPv6Address(text) == address, "\(text)")
                #expect(text == referenceRFC5952(groups), "\(groups)")
                // The fully written-out form parses to the same address too.
                let full = groups.map { String($0, radix: 16) }.joined(separator: ":")
                #expect(IPv6Address(full) == address)
            }
        }
    }
}

/// A deliberately naive RFC 5952 formatter (string replacement on the full form) to check the real one.
private func referenceRFC5952(_ groups: [UInt16]) -> String {
    if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xffff {
        return "::ffff:\(groups[6] >> 8).\(groups[6] & 0xff).\(groups[7] >> 8).\(groups[7] & 0xff)"
    }
    let full = groups.map { String($0, radix: 16) }
    for length in stride(from: 8, through: 2, by: -1) {
        for start in 0...(8 - length) where groups[start..<(start + length)].allSatisfy({ $0 == 0 }) {
            let head = full[0..<start].joined(separator: ":")
            let tail = full[(start + length)...].joined(separator: ":")
            return head + "::" + tail
        }
    }
    return full.joined(separator: ":")
}
