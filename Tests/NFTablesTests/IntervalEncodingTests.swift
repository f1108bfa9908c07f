import NetworkAddress
import Testing

@testable import NFTables

/// How elements become kernel elements and back: the interval encoding the rbtree and pipapo backends expect.
@Suite("interval elements and user data")
struct IntervalEncodingTests {
    let table = Table(family: .inet, name: "t")

    @Test func singleFieldRangesBecomeStartAndEnd() throws {
        let set = NamedSet(table: table, name: "n", keyType: .ipv4Address, flags: .interval)
        let (start, end) = try KernelElement.expand(
            SetElement(.prefix(try #require(CIDR("192.0.2.0/24")))), in: set, index: 0)
        #expect(start.key == [192, 0, 2, 0] && start.flags == 0 && start.keyEnd == nil)
        #expect(end?.key == [192, 0, 3, 0] && end?.flags == KernelElement.intervalEnd)

        let single = try KernelElement.expand(SetElement(.ipv4(IPv4Address(198, 51, 100, 7))), in: set, index: 0)
        #expect(single.1?.key == [198, 51, 100, 8])
        // A range up to the last address has no end element.
        let top = try KernelElement.expand(
            SetElement(.prefix(try #require(CIDR("240.0.0.0/4")))), in: set, index: 0)
        #expect(top.1 == nil)
    }

    @Test func concatenatedRangesCarryKeyEnd() throws {
        let set = NamedSet(table: table, name: "c", keyType: SetKeyType(.ipv4Address, .inetService), flags: .interval)
        let element = SetElement(.ipv4(IPv4Address(192, 0, 2, 1)), .inetService(80))
        let (kernel, end) = try KernelElement.expand(element, in: set, index: 0)
        #expect(kernel.keyEnd == kernel.key && end == nil)
        #expect(set.kernelFlags == 0x84)  // interval | concat
    }

    @Test func elementsThatDoNotFitTheSetAreRefused() {
        let plain = NamedSet(table: table, name: "p", keyType: .ipv4Address)
        let map = NamedSet.verdictMap(table: table, name: "m", keyType: .ipv4Address)
        let range = SetElement(.ipv4Range(IPv4Address(192, 0, 2, 1), IPv4Address(192, 0, 2, 5)))
        #expect(throws: NFTablesError.self) { try KernelElement.expand(range, in: plain, index: 0) }
        #expect(throws: NFTablesError.self) {
            try KernelElement.expand(SetElement(.inetService(1)), in: plain, index: 0)
        }
        #expect(throws: NFTablesError.self) {
            try KernelElement.expand(SetElement(.ipv4(IPv4Address(1))), in: map, index: 0)
        }
        #expect(throws: NFTablesError.self) {
            try KernelElement.expand(SetElement(.ipv4(IPv4Address(1)), verdict: .drop), in: plain, index: 0)
        }
        let reversed = SetElement(key: [192, 0, 2, 9], keyEnd: [192, 0, 2, 1])
        let interval = NamedSet(table: table, name: "i", keyType: .ipv4Address, flags: .interval)
        #expect(throws: NFTablesError.self) { try KernelElement.expand(reversed, in: interval, index: 0) }
    }

    @Test func listedIntervalsJoinBack() {
        func start(_ key: [UInt8]) -> KernelElement { KernelElement(key: key, keyEnd: nil, flags: 0, verdict: nil) }
        func end(_ key: [UInt8]) -> KernelElement {
            KernelElement(key: key, keyEnd: nil, flags: KernelElement.intervalEnd, verdict: nil)
        }
        // Dumped in the kernel's (descending) order, with nft's zero end and two adjacent ranges.
        let listed = [
            start([240, 0, 0, 0]), end([10, 0, 2, 0]), start([10, 0, 1, 0]), end([10, 0, 1, 0]), start([10, 0, 0, 0]),
            end([0, 0, 0, 0]),
        ]
        #expect(
            KernelElement.joinIntervals(listed) == [
                SetElement(key: [10, 0, 0, 0], keyEnd: [10, 0, 0, 255]),
                SetElement(key: [10, 0, 1, 0], keyEnd: [10, 0, 1, 255]),
                SetElement(key: [240, 0, 0, 0], keyEnd: [255, 255, 255, 255]),
            ])
        #expect(KernelElement.containsDuplicates([start([1]), start([1])]))
        #expect(!KernelElement.containsDuplicates([start([1]), end([1])]))
    }

    @Test func ruleCommentsAreNftUserData() {
        let data = RuleUserData.encode(comment: "tabby:x")
        #expect(data == [0, 8] + Array("tabby:x".utf8) + [0])
        #expect(RuleUserData.comment(in: [1, 2, 9, 9] + data) == "tabby:x")
        #expect(RuleUserData.comment(in: [0, 40, 1]) == nil)
    }

    @Test func unknownKeyTypesStayUnknown() {
        #expect(
            SetKeyType(kernelType: 7 << 12 | 12 << 6 | 13, length: 12)
                == SetKeyType(.ipv4Address, .inetProtocol, .inetService))
        #expect(SetKeyType(kernelType: 41, length: 16) == .ifname)
        #expect(SetKeyType(kernelType: 4, length: 8).fields == [.other(typeID: 4, length: 8)])
        #expect(SetKeyType(kernelType: 7, length: 16).fields == [.other(typeID: 7, length: 16)])
    }
}
