import CNI
import NetworkAddress
import Testing

@Suite struct SpecResultTests {
    static let wired = ResultAssembly.Wired(
        hostInterface: "cali0123456789a", hostMAC: MACAddress(0xeeee_eeee_eeee), containerInterface: "eth0",
        containerMAC: MACAddress(0x0a58_c000_0207), sandbox: "/run/netns/c1", mtu: 1450)
    static let addresses = [CIDR("192.0.2.7/32")!, CIDR("2001:db8::7/128")!]

    static func dualStack(previous: CNIResult? = nil) -> CNIResult {
        ResultAssembly.networkResult(
            previous: previous, wired: wired, addresses: addresses, dns: CNIResult.DNS(nameservers: ["192.0.2.53"]))
    }

    @Test func oneDotOneResultHasInterfacesAddressesRoutesAndMTU() {
        #expect(
            Self.dualStack().json(version: .v1_1_0).text
                == #"{"cniVersion":"1.1.0","dns":{"nameservers":["192.0.2.53"]},"#
                + #""interfaces":[{"mac":"ee:ee:ee:ee:ee:ee","mtu":1450,"name":"cali0123456789a"},"#
                + #"{"mac":"0a:58:c0:00:02:07","mtu":1450,"name":"eth0","sandbox":"/run/netns/c1"}],"#
                + #""ips":[{"address":"192.0.2.7/32","interface":1},{"address":"2001:db8::7/128","interface":1}],"#
                + #""routes":[{"dst":"0.0.0.0/0","gw":"169.254.1.1"},{"dst":"::/0","gw":"fe80::ecee:eeff:feee:eeee"}]}"#
        )
    }

    @Test func oneDotZeroResultHasNoVersionFieldsAndNoMTU() {
        let json = Self.dualStack().json(version: .v1_0_0)
        guard case .array(let interfaces)? = json["interfaces"], case .array(let ips)? = json["ips"] else {
            Issue.record("no interfaces or ips in \(json.text)")
            return
        }
        #expect(interfaces.allSatisfy { $0["mtu"] == nil })
        #expect(ips.allSatisfy { $0["version"] == nil })
        #expect(json["cniVersion"] == .string("1.0.0"))
    }

    @Test(arguments: [SpecVersion.v0_3_0, .v0_3_1, .v0_4_0])
    func olderResultsCarryTheIPVersion(version: SpecVersion) {
        let json = Self.dualStack().json(version: version)
        guard case .array(let ips)? = json["ips"] else {
            Issue.record("no ips in \(json.text)")
            return
        }
        #expect(ips.map { $0["version"] } == [.string("4"), .string("6")])
        #expect(ips.map { $0["interface"] } == [.number(1), .number(1)])
    }

    @Test(arguments: SpecVersion.supported)
    func everyVersionsShapeDecodesBackToTheSameResult(version: SpecVersion) throws {
        var expected = Self.dualStack()
        if !version.hasVersion11Features {
            for index in expected.interfaces.indices { expected.interfaces[index].mtu = nil }
        }
        let text = expected.json(version: version).text
        let decoded = try CNIResult.decode(JSONField(try JSONValue.parse(Array(text.utf8), what: "test"), path: ""))
        #expect(decoded == expected)
    }

    @Test func ipamResultHasNoInterfacesAndNoInterfaceIndex() {
        let result = ResultAssembly.ipamResult(addresses: Self.addresses, dns: CNIResult.DNS())
        #expect(
            result.json(version: .v1_0_0).text
                == #"{"cniVersion":"1.0.0","ips":[{"address":"192.0.2.7/32"},{"address":"2001:db8::7/128"}]}"#)
    }

    @Test func anIPv4OnlyWorkloadGetsOnlyTheIPv4DefaultRoute() {
        let result = ResultAssembly.networkResult(
            previous: nil, wired: Self.wired, addresses: [CIDR("192.0.2.7/32")!], dns: CNIResult.DNS())
        #expect(result.routes.map(\.destination.description) == ["0.0.0.0/0"])
        #expect(result.ips.allSatisfy { $0.gateway == nil })
    }

    @Test func aPreviousResultStaysInFrontAndIndexesFollowIt() throws {
        let previous = CNIResult(
            interfaces: [CNIResult.Interface(name: "lo0", sandbox: "/run/netns/c1")],
            ips: [CNIResult.IPConfig(address: CIDR("198.51.100.1/24")!, interface: 0)],
            routes: [CNIResult.Route(destination: CIDR("198.51.100.0/24")!)])
        let result = Self.dualStack(previous: previous)
        #expect(result.interfaces.map(\.name) == ["lo0", "cali0123456789a", "eth0"])
        #expect(result.ips.map(\.interface) == [0, 2, 2])
        #expect(result.routes.count == 3)
    }

    @Test func decodingNamesTheFieldThatIsWrong() {
        func decode(_ text: String) throws(CNIError) -> CNIResult {
            let value = try JSONValue.parse(Array(text.utf8), what: "test")
            return try CNIResult.decode(JSONField(value, path: "prevResult"))
        }
        #expect(
            throws: CNIError(
                .decodingFailure, "invalid prevResult",
                details: "field prevResult.ips[0].address: \"192.0.2.1\" is not an address with a prefix length: "
                    + "a prefix length is missing (write it as in 192.0.2.0/24 or 2001:db8::/32)")
        ) {
            try decode(#"{"ips":[{"address":"192.0.2.1"}]}"#)
        }
        #expect(
            throws: CNIError(
                .decodingFailure, "cannot decode the prevResult",
                details: "field prevResult.interfaces: expected a list, got an object")
        ) {
            try decode(#"{"interfaces":{}}"#)
        }
        #expect(
            throws: CNIError(
                .decodingFailure, "invalid prevResult",
                details: "field prevResult.ips: entry 0 names interface 3, but there are 1 interfaces")
        ) {
            try decode(#"{"interfaces":[{"name":"eth0"}],"ips":[{"address":"192.0.2.1/32","interface":3}]}"#)
        }
        #expect(
            throws: CNIError(
                .decodingFailure, "invalid prevResult",
                details: "field prevResult.ips[0].version: \"6\" does not match the family of address 192.0.2.1/32")
        ) {
            try decode(#"{"ips":[{"version":"6","address":"192.0.2.1/32"}]}"#)
        }
        #expect(throws: CNIError.self) { try decode("[1,") }
    }
}
