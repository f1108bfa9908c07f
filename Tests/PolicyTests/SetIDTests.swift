import CalicoAPI
import Testing

@testable import Policy

@Suite struct SetIDTests {
    @Test func selectorSetIDIsCalicoUniqueIDOfTheCanonicalForm() throws {
        let written = try Selector(parsing: "role == 'db'")
        let respelled = try Selector(parsing: #"  role=="db" "#)
        #expect(SetID.selector(written) == SetID.selector(respelled))
        #expect(SetID.selector(written).rawValue == written.uniqueID)
        #expect(SetID.selector(written).rawValue.hasPrefix("s:"))
        #expect(!SetID.selector(written).isNamedPort)
        #expect(SetID.selector(written) != SetID.selector(try Selector(parsing: "role == 'web'")))
    }

    @Test(arguments: [
        ("role == 'db'", UInt8(6), "http"), ("role == 'db'", UInt8(17), "http"), ("role == 'db'", UInt8(6), "https"),
        ("all()", UInt8(6), "http"),
    ])
    func namedPortSetIDsDependOnSelectorProtocolAndName(selector: String, protocol: UInt8, name: String) throws {
        let id = SetID.namedPort(selector: try Selector(parsing: selector), protocol: `protocol`, name: name)
        #expect(id.isNamedPort)
        #expect(id == SetID.namedPort(selector: try Selector(parsing: selector), protocol: `protocol`, name: name))
        let reference = SetID.namedPort(selector: try Selector(parsing: "role == 'db'"), protocol: 6, name: "http")
        #expect((id == reference) == (selector == "role == 'db'" && `protocol` == 6 && name == "http"))
    }

    @Test func base64URLMatchesKnownVectors() {
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
    }

    @Test func policyIDsRoundTripThroughText() {
        for id in [
            PolicyID.globalNetworkPolicy("deny-all"), .networkPolicy("shop", "allow-8080"), .profile("kns.shop"),
        ] {
            #expect(PolicyID(id.description) == id)
        }
        #expect(PolicyID("np/only-two") == nil)
        #expect(PolicyID("xx/a") == nil)
        #expect(PolicyChainKey(.networkPolicy("a", "b"), .ingress).chainSuffix == "pi-np/a/b")
        #expect(PolicyChainKey(.profile("kns.a"), .egress).chainSuffix == "pro-kns.a")
    }
}
