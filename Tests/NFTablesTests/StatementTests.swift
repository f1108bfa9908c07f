import NetworkAddress
import NFTables
import NetworkAddress
import Testing

/// The DSL lowers to the expressions nft itself generates (compared with `nft --debug=netlink` output).
@Suite("rule statements lower to nft's expressions")
struct StatementTests {
    @Test func interfaceNames() {
        #expect(
            Statement.meta(.iifname, .eq, "cali+").expressions == [
                .meta(.iifname, into: .r1), .compare(.r1, .eq, Array("cali".utf8)),
            ])
        #expect(Statement.meta(.oifname, .neq, "cali*").expressions.last == .compare(.r1, .neq, Array("cali".utf8)))
        let exact = Statement.meta(.oifname, .eq, "eth0").expressions
        #expect(
            exact == [
                .meta(.oifname, into: .r1), .compare(.r1, .eq, Array("eth0".utf8) + [UInt8](repeating: 0, count: 12)),
            ])
    }

    @Test func addressesAndPorts() throws {
        let prefix = Statement.address(.saddr, .eq, try #require(CIDR("192.0.2.0/24"))).expressions
        #expect(
            prefix == [
                .meta(.nfproto, into: .r1), .compare(.r1, .eq, [2]),
                .payload(.network, offset: 12, length: 4, into: .r1),
                .bitwise(source: .r1, destination: .r1, mask: [255, 255, 255, 0], xor: [0, 0, 0, 0]),
                .compare(.r1, .eq, [192, 0, 2, 0]),
            ])
        // An IPv6 prefix makes an ip6 match; its host bits do not reach the compare.
        let zeros = [UInt8](repeating: 0, count: 12)
        #expect(
            Statement.address(.daddr, .eq, try #require(CIDR("2001:db8::5/32"))).expressions == [
                .meta(.nfproto, into: .r1), .compare(.r1, .eq, [10]),
                .payload(.network, offset: 24, length: 16, into: .r1),
                .bitwise(source: .r1, destination: .r1, mask: [255, 255, 255, 255] + zeros, xor: [0, 0, 0, 0] + zeros),
                .compare(.r1, .eq, [0x20, 0x01, 0x0d, 0xb8] + zeros),
            ])
        #expect(
            Statement.ip(.daddr, .neq, IPv4Address(192, 0, 2, 1)).expressions.last
                == .compare(.r1, .neq, [192, 0, 2, 1]))
        #expect(
            Statement.ip6(.saddr, .eq, try #require(IPv6Address("2001:db8::1"))).expressions[2]
                == .payload(.network, offset: 8, length: 16, into: .r1))
        #expect(
            Statement.tcp(.dport, .eq, 80).expressions == [
                .meta(.l4proto, into: .r1), .compare(.r1, .eq, [6]),
                .payload(.transport, offset: 2, length: 2, into: .r1), .compare(.r1, .eq, [0, 80]),
            ])
        #expect(
            Statement.udp(.sport, .neq, 1000...2000).expressions.last
                == .range(.r1, .neq, from: [0x03, 0xe8], to: [0x07, 0xd0]))
    }

    @Test func conntrackAndMarks() {
        #expect(
            Statement.ctState(.eq, [.established, .related]).expressions == [
                .ct(.state, into: .r1),
                .bitwise(source: .r1, destination: .r1, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0]),
                .compare(.r1, .neq, [0, 0, 0, 0]),
            ])
        // meta mark set mark | 0x10000: nft's (reg & 0xfffeffff) ^ 0x00010000.
        #expect(
            Statement.setMark(0x10000, mask: 0x10000).expressions == [
                .meta(.mark, into: .r1),
                .bitwise(source: .r1, destination: .r1, mask: [0xff, 0xff, 0xfe, 0xff], xor: [0, 0, 1, 0]),
                .setMeta(.mark, from: .r1),
            ])
        #expect(Statement.mark(.eq, 0x10000, mask: 0xffff_0000).expressions.last == .compare(.r1, .eq, [0, 0, 1, 0]))
    }

    @Test func concatenatedLookupsUseConsecutiveRegisters() {
        // nft: payload => reg 1, meta l4proto => reg 9, th dport => reg 10, lookup reg 1.
        let lookup = Statement.lookup([.ipv4(.saddr), .l4proto, .transportPort(.dport)], set: "services").expressions
        #expect(
            lookup == [
                .meta(.nfproto, into: .r1), .compare(.r1, .eq, [2]),
                .payload(.network, offset: 12, length: 4, into: .r1),
                .meta(.l4proto, into: Register(9)),
                .payload(.transport, offset: 2, length: 2, into: Register(10)),
                .lookup(.r1, set: "services", destination: nil, inverted: false),
            ])
        #expect(
            Statement.verdictMap([.iifname], map: "dispatch").expressions == [
                .meta(.iifname, into: .r1), .lookup(.r1, set: "dispatch", destination: .verdict, inverted: false),
            ])
        #expect(
            Statement.lookup([.ipv6(.daddr), .transportPort(.sport)], .neq, set: "s").expressions[3]
                == .payload(.transport, offset: 0, length: 2, into: .r32(4)))
    }

    @Test func actions() {
        #expect(
            Statement.snat(to: IPv4Address(198, 51, 100, 1)).expressions == [
                .immediate([198, 51, 100, 1], into: .r1),
                .nat(.snat, family: .ip, addressMin: .r1, addressMax: nil, flags: 0),
            ])
        #expect(Statement.reject().expressions == [.reject(type: 2, code: 1)])
        #expect(Statement.reject(.tcpReset).expressions == [.reject(type: 1, code: 0)])
        #expect(Statement.jump("x").expressions == [.verdict(.jump("x"))])
        let rule = Rule(
            table: Table(family: .inet, name: "t"), chain: "c", comment: "c", [.counter, .log(prefix: "p "), .accept])
        #expect(rule.expressions == [.counter, .log(prefix: "p ", group: nil), .verdict(.accept)])
        var listed = rule
        listed.handle = 4
        listed.counterValues = CounterValues(packets: 1, bytes: 84)
        #expect(listed.hasSameContent(as: rule) && listed != rule)
    }
}
