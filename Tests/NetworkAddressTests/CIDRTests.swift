import NetworkAddress
import Foundation
import Testing

private func cidr(_ text: String) -> CIDR {
    do {
        return try CIDR(parsing: text)
    } catch {
        fatalError("test fixture \(text): \(error)")
    }
}

private func ip(_ text: String) -> IPAddress {
    guard let address = IPAddress(text) else { fatalError("test fixture \(text) is not an address") }
    return address
}

@Suite("CIDR parsing and formatting")
struct CIDRParsingTests {
    @Test(
        "parses valid CIDRs",
        arguments: [
            ("192.0.2.0/24", "192.0.2.0/24", 24, IPFamily.v4),
            ("10.0.0.5/24", "10.0.0.5/24", 24, .v4),
            ("0.0.0.0/0", "0.0.0.0/0", 0, .v4),
            ("203.0.113.7/32", "203.0.113.7/32", 32, .v4),
            ("2001:db8::/32", "2001:db8::/32", 32, .v6),
            ("2001:DB8:0:0::/64", "2001:db8::/64", 64, .v6),
            ("::/0", "::/0", 0, .v6),
            ("::1/128", "::1/128", 128, .v6),
            ("::ffff:192.0.2.0/120", "::ffff:192.0.2.0/120", 120, .v6),
            ("fd00:10:244::/48", "fd00:10:244::/48", 48, .v6),
        ])
    func parses(text: String, canonical: String, prefixLength: Int, family: IPFamily) throws {
        let value = try CIDR(parsing: text)
        #expect(value.description == canonical)
        #expect(value.prefixLength == prefixLength)
        #expect(value.family == family)
        #expect(try CIDR(parsing: value.description) == value)
    }

    @Test(
        "rejects invalid CIDRs with a reason",
        arguments: [
            ("192.0.2.0", "prefix length is missing"),
            ("2001:db8::", "prefix length is missing"),
            ("192.0.2.0/", "empty"),
            ("192.0.2.0/33", "out of range 0-32 for IPv4"),
            ("2001:db8::/129", "out of range 0-128 for IPv6"),
            ("192.0.2.0/024", "leading zero"),
            ("192.0.2.0/+24", "not a decimal number"),
            ("192.0.2.0/-1", "not a decimal number"),
            ("192.0.2.0/24 ", "not a decimal number"),
            ("192.0.2.0/2a", "not a decimal number"),
            ("192.0.2.0/24/24", "not a decimal number"),
            ("192.0.2.0/99999999999999999999", "out of range"),
            ("/24", "the address is empty"),
            ("192.0.2/24", "4 parts"),
            ("192.0.2.256/24", "greater than 255"),
            ("010.0.0.0/8", "leading zero"),
            ("1::2::3/64", "only once"),
            ("fe80::1%eth0/64", "zone"),
            ("", "prefix length is missing"),
        ])
    func rejects(text: String, reasonFragment: String) {
        do {
            let value = try CIDR(parsing: text)
            Issue.record("\(text) parsed as \(value)")
        } catch {
            #expect(error.text == text)
            #expect(error.reason.contains(reasonFragment), "\(error.reason)")
            #expect(error.description == "invalid CIDR \"\(text)\": \(error.reason)")
        }
    }

    @Test func initFromAddressChecksPrefix() throws {
        #expect(try CIDR(address: ip("192.0.2.0"), prefixLength: 24).description == "192.0.2.0/24")
        #expect(try CIDR(address: ip("2001:db8::"), prefixLength: 128).prefixLength == 128)
        #expect(throws: CIDRParseError(text: "192.0.2.0/33", reason: "prefix length 33 is out of range 0-32 for IPv4"))
        {
            try CIDR(address: ip("192.0.2.0"), prefixLength: 33)
        }
        #expect(throws: CIDRParseError.self) { try CIDR(address: ip("::"), prefixLength: -1) }
        #expect(throws: CIDRParseError.self) { try CIDR(address: ip("::"), prefixLength: 129) }
    }

    @Test func hostCIDR() {
        #expect(CIDR(host: ip("192.0.2.9")).description == "192.0.2.9/32")
        #expect(CIDR(host: ip("2001:db8::9")).description == "2001:db8::9/128")
        #expect(CIDR(host: ip("2001:db8::9")).isMasked)
    }

    @Test func codableRoundTripAndErrors() throws {
        let values = [cidr("10.0.0.5/24"), cidr("2001:db8::/32")]
        let data = try JSONEncoder().encode(values)
        #expect(String(decoding: data, as: UTF8.self) == #"["10.0.0.5\/24","2001:db8::\/32"]"#)
        #expect(try JSONDecoder().decode([CIDR].self, from: data) == values)
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([CIDR].self, from: Data(#"["10.0.0.0/33"]"#.utf8))
        }
        guard case .dataCorrupted(let context) = try #require(error) else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(
            context.debugDescription == #"invalid CIDR "10.0.0.0/33": prefix length 33 is out of range 0-32 for IPv4"#)
    }

    @Test func equalityKeepsHostBitsAndOrderingIsByNetwork() {
        #expect(cidr("10.0.0.5/24") != cidr("10.0.0.0/24"))
        #expect(cidr("10.0.0.5/24").masked == cidr("10.0.0.0/24"))
        let sorted = ["2001:db8::/32", "10.0.1.0/24", "10.0.0.0/16", "10.0.0.0/24", "10.0.0.5/24", "::/0"]
            .map(cidr).sorted()
        #expect(
            sorted.map(\.description) == [
                "10.0.0.0/16", "10.0.0.0/24", "10.0.0.5/24", "10.0.1.0/24", "::/0",
                "2001:db8::/32",
            ])
    }
}

@Suite("CIDR arithmetic")
struct CIDRArithmeticTests {
    @Test(
        "masking, network and last address",
        arguments: [
            ("10.0.0.5/24", false, "10.0.0.0/24", "10.0.0.0", "10.0.0.255", "255.255.255.0"),
            ("10.0.0.0/24", true, "10.0.0.0/24", "10.0.0.0", "10.0.0.255", "255.255.255.0"),
            ("192.0.2.77/26", false, "192.0.2.64/26", "192.0.2.64", "192.0.2.127", "255.255.255.192"),
            ("192.0.2.77/32", true, "192.0.2.77/32", "192.0.2.77", "192.0.2.77", "255.255.255.255"),
            ("255.255.255.255/0", false, "0.0.0.0/0", "0.0.0.0", "255.255.255.255", "0.0.0.0"),
            ("203.0.113.130/31", true, "203.0.113.130/31", "203.0.113.130", "203.0.113.131", "255.255.255.254"),
            (
                "2001:db8::1/64", false, "2001:db8::/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff",
                "ffff:ffff:ffff:ffff::"
            ),
            (
                "2001:db8:1:2:3:4:5:6/128", true, "2001:db8:1:2:3:4:5:6/128", "2001:db8:1:2:3:4:5:6",
                "2001:db8:1:2:3:4:5:6", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            ),
            (
                "2001:db8:abcd::/33", false, "2001:db8:8000::/33", "2001:db8:8000::",
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                "ffff:ffff:8000::"
            ),
            ("::1/0", false, "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"),
            (
                "2001:db8::ffff/122", false, "2001:db8::ffc0/122", "2001:db8::ffc0", "2001:db8::ffff",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffc0"
            ),
        ])
    func masking(
        text: String, isMasked: Bool, masked: String, network: String, last: String, netmask: String
    ) {
        let value = cidr(text)
        #expect(value.isMasked == isMasked)
        #expect(value.masked.description == masked)
        #expect(value.masked.isMasked)
        #expect(value.networkAddress.description == network)
        #expect(value.lastAddress.description == last)
        #expect(value.netmask.description == netmask)
        #expect(value.address == ip(text.split(separator: "/")[0].description))
    }

    @Test(
        "contains an address",
        arguments: [
            ("10.0.0.0/24", "10.0.0.0", true),
            ("10.0.0.0/24", "10.0.0.255", true),
            ("10.0.0.0/24", "10.0.1.0", false),
            ("10.0.0.0/24", "9.255.255.255", false),
            ("10.0.0.5/24", "10.0.0.200", true),  // host bits of the CIDR do not matter
            ("0.0.0.0/0", "255.255.255.255", true),
            ("192.0.2.1/32", "192.0.2.1", true),
            ("192.0.2.1/32", "192.0.2.2", false),
            ("10.0.0.0/8", "2001:db8::1", false),  // families never mix
            ("::/0", "10.0.0.1", false),
            ("::/0", "2001:db8::1", true),
            ("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("2001:db8::/32", "2001:db9::", false),
            ("2001:db8::/127", "2001:db8::1", true),
            ("2001:db8::/127", "2001:db8::2", false),
            ("::ffff:0:0/96", "::ffff:192.0.2.1", true),
        ])
    func containsAddress(prefix: String, address: String, expected: Bool) {
        #expect(cidr(prefix).contains(ip(address)) == expected)
    }

    @Test(
        "contains and overlaps another CIDR",
        arguments: [
            ("10.0.0.0/16", "10.0.1.0/24", true, true),
            ("10.0.1.0/24", "10.0.0.0/16", false, true),
            ("10.0.0.0/24", "10.0.1.0/24", false, false),
            ("10.0.0.0/24", "10.0.0.0/24", true, true),
            ("10.0.0.0/24", "10.0.0.128/25", true, true),
            ("10.0.0.0/25", "10.0.0.128/25", false, false),
            ("0.0.0.0/0", "203.0.113.0/24", true, true),
            ("10.0.0.5/24", "10.0.0.77/26", true, true),
            ("10.0.0.0/8", "2001:db8::/32", false, false),
            ("::/0", "0.0.0.0/0", false, false),
            ("2001:db8::/32", "2001:db8:1::/48", true, true),
            ("2001:db8:1::/48", "2001:db8::/32", false, true),
            ("2001:db8:1::/48", "2001:db8:2::/48", false, false),
            ("2001:db8::/64", "2001:db8::1/128", true, true),
            ("2001:db8::1/128", "2001:db8::1/128", true, true),
            ("2001:db8::1/128", "2001:db8::2/128", false, false),
        ])
    func containsAndOverlaps(outer: String, inner: String, contains: Bool, overlaps: Bool) {
        #expect(cidr(outer).contains(cidr(inner)) == contains)
        #expect(cidr(outer).overlaps(cidr(inner)) == overlaps)
        #expect(cidr(inner).overlaps(cidr(outer)) == overlaps)
    }

    @Test(
        "address counts",
        arguments: [
            ("10.0.0.0/24", UInt64(256)), ("10.0.0.0/26", 64), ("192.0.2.1/32", 1), ("0.0.0.0/0", 1 << 32),
            ("2001:db8::/128", 1), ("2001:db8::/122", 64), ("2001:db8::/65", 1 << 63), ("2001:db8::/96", 1 << 32),
        ])
    func addressCount(text: String, count: UInt64) {
        #expect(cidr(text).addressCount == count)
    }

    @Test("address counts that do not fit", arguments: ["2001:db8::/64", "2001:db8::/32", "::/0"])
    func addressCountTooLarge(text: String) {
        #expect(cidr(text).addressCount == nil)
    }
}
