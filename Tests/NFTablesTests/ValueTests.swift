import NetworkAddress
import NFTables
import NetworkAddress
import Testing

@Suite("addresses, set keys and elements")
struct ValueTests {
    @Test func prefixElementsSpanTheirNetworkWhateverTheHostBits() throws {
        let v4 = SetElement(.prefix(try #require(CIDR("192.0.2.7/24"))))
        #expect(v4.key == [192, 0, 2, 0])
        #expect(v4.keyEnd == [192, 0, 2, 255])
        let all = SetElement(.prefix(try #require(CIDR("0.0.0.0/0"))))
        #expect(all.key == [0, 0, 0, 0] && all.keyEnd == [255, 255, 255, 255])

        let v6 = SetElement(.prefix(try #require(CIDR("2001:db8:1:2::5/64"))))
        #expect(v6.key == [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2] + [UInt8](repeating: 0, count: 8))
        #expect(v6.keyEnd == [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2] + [UInt8](repeating: 0xff, count: 8))
        #expect(SetElement(.prefix(try #require(CIDR("2001:db8::1/128")))).keyEnd == nil)
    }

    @Test func keyTypesPackLikeNft() {
        let concatenation = SetKeyType(.ipv4Address, .inetProtocol, .inetService)
        #expect(concatenation.kernelType == 7 << 12 | 12 << 6 | 13)
        #expect(concatenation.kernelLength == 12)  // 4 + 4 (1 padded) + 4 (2 padded)
        #expect(concatenation.description == "ipv4_addr . inet_proto . inet_service")
        #expect(SetKeyType.ifname.kernelLength == 16)
        #expect(SetKeyType.inetService.kernelLength == 2)
    }

    @Test func elementsFromTypedValues() throws {
        let single = SetElement(.ipv4(IPv4Address(192, 0, 2, 1)))
        #expect(single.key == [192, 0, 2, 1] && single.keyEnd == nil)

        let prefix = SetElement(.prefix(try #require(CIDR("192.0.2.0/24"))))
        #expect(prefix.keyEnd == [192, 0, 2, 255])
        #expect(SetElement(.prefix(try #require(CIDR("192.0.2.9/32")))).keyEnd == nil)

        let concatenated = SetElement(.ipv4(IPv4Address(192, 0, 2, 1)), .inetProtocol(6), .inetServiceRange(80, 90))
        #expect(concatenated.key == [192, 0, 2, 1, 6, 0, 0, 0, 0, 80, 0, 0])
        #expect(concatenated.keyEnd == [192, 0, 2, 1, 6, 0, 0, 0, 0, 90, 0, 0])
        let keyType = SetKeyType(.ipv4Address, .inetProtocol, .inetService)
        #expect(concatenated.description(keyType: keyType) == "192.0.2.1 . 6 . 80-90")

        let interface = SetElement(.ifname("cali1234"), verdict: .jump("cali-tw"))
        #expect(interface.key == Array("cali1234".utf8) + [UInt8](repeating: 0, count: 8))
        #expect(interface.description(keyType: .ifname) == "\"cali1234\" : jump cali-tw")
        #expect(SetElement(.mark(0x10000)).description(keyType: SetKeyType(.mark)) == "0x10000")
    }

    @Test func verdictCodesMatchTheKernel() {
        #expect(Verdict.accept.code == 1)
        #expect(Verdict.drop.code == 0)
        #expect(Verdict.jump("x").code == -3)
        #expect(Verdict.goto("x").code == -4)
        #expect(Verdict.return.code == -5)
        #expect(Verdict(code: -3, chain: "x") == .jump("x"))
        #expect(Verdict(code: -3, chain: nil) == nil)
        #expect(Verdict(code: 42, chain: nil) == nil)
    }

    @Test func registersAreNamedAsTheKernelReportsThem() {
        #expect(Register.r32(0) == .r1)
        #expect(Register.r32(1).rawValue == 9)
        #expect(Register.r32(4).rawValue == 2)
        #expect(Register(8) == .r1)
        #expect(Register(12).rawValue == 2)
        #expect(Register(9).rawValue == 9)
    }

    @Test func errorsReadWell() {
        let table = Table(family: .inet, name: "tabby")
        let failure = NFTablesError.rejected([])
        #expect(failure.firstFailure == nil)
        #expect(
            ObjectReference.rule(table, chain: "input", handle: 7, comment: "tabby:x").description
                == "rule in chain inet tabby input (handle 7, comment \"tabby:x\")")
        #expect(
            ObjectReference.elements(table, set: "s", element: "192.0.2.1").description
                == "element 192.0.2.1 of set inet tabby s")
        #expect(
            Operation.addElements(
                [SetElement(.inetService(80))], to: NamedSet(table: table, name: "s", keyType: .inetService)
            ).description
                == "add 1 element(s) of elements of set inet tabby s")
    }
}
