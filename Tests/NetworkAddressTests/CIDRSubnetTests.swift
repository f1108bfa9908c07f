import NetworkAddress
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

@Suite("CIDR subnets and ordinals")
struct CIDRSubnetTests {
    @Test(
        "subnet counts",
        arguments: [
            ("10.244.0.0/16", 26, UInt64?.some(1024)),
            ("10.244.0.0/16", 16, 1),
            ("10.244.0.0/16", 32, 65536),
            ("10.244.0.0/16", 15, nil),  // shorter than the parent
            ("10.244.0.0/16", 33, nil),  // longer than an address
            ("0.0.0.0/0", 32, 1 << 32),
            ("fd00::/48", 122, nil),  // 2^74 does not fit
            ("fd00::/64", 122, 1 << 58),
            ("fd00::/64", 128, nil),
            ("fd00::/65", 128, 1 << 63),
            ("fd00::/122", 128, 64),
            ("fd00::/128", 128, 1),
        ])
    func subnetCount(parent: String, prefixLength: Int, expected: UInt64?) {
        #expect(cidr(parent).subnetCount(prefixLength: prefixLength) == expected)
    }

    @Test func ipv4BlocksByIndex() throws {
        let pool = cidr("10.244.0.0/16")
        #expect(pool.subnet(at: 0, prefixLength: 26)?.description == "10.244.0.0/26")
        #expect(pool.subnet(at: 1, prefixLength: 26)?.description == "10.244.0.64/26")
        #expect(pool.subnet(at: 4, prefixLength: 26)?.description == "10.244.1.0/26")
        #expect(pool.subnet(at: 1023, prefixLength: 26)?.description == "10.244.255.192/26")
        #expect(pool.subnet(at: 1024, prefixLength: 26) == nil)
        #expect(pool.subnet(at: 0, prefixLength: 15) == nil)
        #expect(pool.subnet(at: 0, prefixLength: 33) == nil)
        // A pool written with host bits still counts blocks from its network address.
        #expect(cidr("10.244.3.7/16").subnet(at: 2, prefixLength: 26)?.description == "10.244.0.128/26")
    }

    @Test func slash32Blocks() throws {
        let pool = cidr("192.0.2.0/30")
        let blocks = Array(pool.subnets(prefixLength: 32))
        #expect(blocks.map(\.description) == ["192.0.2.0/32", "192.0.2.1/32", "192.0.2.2/32", "192.0.2.3/32"])
        #expect(pool.subnet(at: 3, prefixLength: 32)?.description == "192.0.2.3/32")
        #expect(pool.subnet(at: 4, prefixLength: 32) == nil)
        #expect(Array(cidr("192.0.2.9/32").subnets(prefixLength: 32)).map(\.description) == ["192.0.2.9/32"])
    }

    @Test func topOfTheAddressSpaceDoesNotWrap() throws {
        let top = cidr("255.255.255.0/24")
        let blocks = Array(top.subnets(prefixLength: 26))
        #expect(
            blocks.map(\.description) == [
                "255.255.255.0/26", "255.255.255.64/26", "255.255.255.128/26", "255.255.255.192/26",
            ])
        let v6Top = cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/126")
        #expect(Array(v6Top.subnets(prefixLength: 128)).count == 4)
        #expect(v6Top.subnet(at: 3, prefixLength: 128)?.description == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")
        #expect(
            Array(cidr("0.0.0.0/0").subnets(prefixLength: 2)).map(\.description) == [
                "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2",
            ])
    }

    @Test func ipv6BlocksByIndex() throws {
        let pool = cidr("fd00:10:244::/48")
        #expect(pool.subnet(at: 0, prefixLength: 122)?.description == "fd00:10:244::/122")
        #expect(pool.subnet(at: 1, prefixLength: 122)?.description == "fd00:10:244::40/122")
        #expect(pool.subnet(at: 1024, prefixLength: 122)?.description == "fd00:10:244::1:0/122")
        // Indexes that cross the 64-bit boundary of the address.
        #expect(pool.subnet(at: 1 << 58, prefixLength: 122)?.description == "fd00:10:244:1::/122")
        #expect(pool.subnet(at: UInt64.max, prefixLength: 122)?.description == "fd00:10:244:3f:ffff:ffff:ffff:ffc0/122")
        #expect(pool.subnet(at: UInt64.max, prefixLength: 128)?.description == "fd00:10:244:0:ffff:ffff:ffff:ffff/128")
        #expect(pool.subnet(at: 5, prefixLength: 64)?.description == "fd00:10:244:5::/64")
        #expect(pool.subnet(at: 65535, prefixLength: 64)?.description == "fd00:10:244:ffff::/64")
        #expect(pool.subnet(at: 65536, prefixLength: 64) == nil)
    }

    @Test func slash128Blocks() throws {
        let pool = cidr("2001:db8::fffe/127")
        #expect(
            Array(pool.subnets(prefixLength: 128)).map(\.description) == ["2001:db8::fffe/128", "2001:db8::ffff/128"])
        #expect(pool.subnet(at: 2, prefixLength: 128) == nil)
    }

    @Test func subnetsAreLazyOverHugeRanges() throws {
        let pool = cidr("2001:db8::/32")
        let first = Array(pool.subnets(prefixLength: 128).prefix(3)).map(\.description)
        #expect(first == ["2001:db8::/128", "2001:db8::1/128", "2001:db8::2/128"])
        var iterator = pool.subnets(prefixLength: 64).makeIterator()
        _ = iterator.next()
        #expect(iterator.next()?.description == "2001:db8:0:1::/64")
    }

    @Test func subnetsMatchIndexing() throws {
        for (parent, length) in [("10.0.0.0/22", 26), ("10.0.0.0/24", 32), ("fd00::/116", 122), ("fd00::/120", 128)] {
            let pool = cidr(parent)
            let blocks = Array(pool.subnets(prefixLength: length))
            #expect(UInt64(blocks.count) == pool.subnetCount(prefixLength: length))
            for (index, block) in blocks.enumerated() {
                #expect(pool.subnet(at: UInt64(index), prefixLength: length) == block)
                #expect(pool.contains(block))
                #expect(block.isMasked)
            }
            // Neighbouring blocks are disjoint and adjacent.
            for (left, right) in zip(blocks, blocks.dropFirst()) {
                #expect(!left.overlaps(right))
                #expect(left.lastAddress < right.networkAddress)
            }
        }
        #expect(Array(cidr("10.0.0.0/24").subnets(prefixLength: 23)).isEmpty)
        #expect(Array(cidr("10.0.0.0/24").subnets(prefixLength: 33)).isEmpty)
    }

    @Test(
        "ordinals",
        arguments: [
            ("10.244.1.0/26", UInt64(0), "10.244.1.0"),
            ("10.244.1.0/26", 1, "10.244.1.1"),
            ("10.244.1.0/26", 63, "10.244.1.63"),
            ("10.244.1.64/26", 5, "10.244.1.69"),
            ("10.0.0.5/24", 3, "10.0.0.3"),  // counted from the network address, not the address as written
            ("192.0.2.7/32", 0, "192.0.2.7"),
            ("0.0.0.0/0", 0xffff_ffff, "255.255.255.255"),
            ("fd00:10:244::40/122", 0, "fd00:10:244::40"),
            ("fd00:10:244::40/122", 63, "fd00:10:244::7f"),
            ("2001:db8::/64", UInt64.max, "2001:db8::ffff:ffff:ffff:ffff"),
            ("2001:db8::/32", 1 << 40, "2001:db8::100:0:0"),
            ("2001:db8::5/128", 0, "2001:db8::5"),
        ])
    func ordinals(block: String, ordinal: UInt64, address: String) throws {
        let value = cidr(block)
        #expect(value.address(at: ordinal) == ip(address))
        #expect(value.ordinal(of: ip(address)) == ordinal)
    }

    @Test func ordinalsOutsideTheBlock() {
        #expect(cidr("10.244.1.0/26").address(at: 64) == nil)
        #expect(cidr("192.0.2.7/32").address(at: 1) == nil)
        #expect(cidr("2001:db8::5/128").address(at: 1) == nil)
        #expect(cidr("10.244.1.0/26").ordinal(of: ip("10.244.1.64")) == nil)
        #expect(cidr("10.244.1.0/26").ordinal(of: ip("10.244.0.255")) == nil)
        #expect(cidr("10.244.1.0/26").ordinal(of: ip("2001:db8::1")) == nil)
        // Inside the prefix, but too far from the start for a UInt64.
        #expect(cidr("2001:db8::/32").ordinal(of: ip("2001:db8:1::")) == nil)
        #expect(cidr("2001:db8::/32").ordinal(of: ip("2001:db8::ffff:ffff:ffff:ffff")) == UInt64.max)
    }

    @Test func everyOrdinalOfASmallBlockRoundTrips() throws {
        for block in [cidr("198.51.100.64/26"), cidr("2001:db8::ff00/120")] {
            let count = try #require(block.addressCount)
            var seen = Set<IPAddress>()
            for ordinal in 0..<count {
                let address = try #require(block.address(at: ordinal))
                #expect(block.contains(address))
                #expect(block.ordinal(of: address) == ordinal)
                seen.insert(address)
            }
            #expect(UInt64(seen.count) == count)
            #expect(block.address(at: 0) == block.networkAddress)
            #expect(block.address(at: count - 1) == block.lastAddress)
        }
    }
}
