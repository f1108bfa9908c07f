import CNI
import Testing

@Suite struct SpecVersionTests {
    @Test(arguments: ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"])
    func everySupportedVersionNegotiates(text: String) throws {
        #expect(try SpecVersion.negotiate(text).description == text)
    }

    @Test(arguments: ["0.1.0", "0.2.0", "1.2.0", "2.0.0"])
    func otherVersionsAreIncompatible(text: String) {
        #expect(throws: CNIError.self) { try SpecVersion.negotiate(text) }
        do {
            _ = try SpecVersion.negotiate(text)
        } catch {
            #expect(error.code == .incompatibleVersion)
            #expect(error.details.contains("config is \"\(text)\""))
            #expect(error.details.contains("\"1.1.0\""))
        }
    }

    @Test(arguments: ["", "1", "1.0", "1.0.0.0", "v1.0.0", "1.0.x", "1..0", " 1.0.0"])
    func textThatIsNoVersionIsRefused(text: String) {
        #expect(SpecVersion(text) == nil)
        #expect(
            throws: CNIError(
                .incompatibleVersion, "incompatible CNI versions",
                details: "cniVersion \"\(text)\" is not a version; the plugin supports "
                    + "[\"0.3.0\", \"0.3.1\", \"0.4.0\", \"1.0.0\", \"1.1.0\"]")
        ) { try SpecVersion.negotiate(text) }
    }

    @Test func versionsOrderNumerically() throws {
        #expect(SpecVersion("0.10.0")! > SpecVersion("0.4.0")!)
        #expect(SpecVersion.v0_3_1 < .v0_4_0)
        #expect(SpecVersion.v0_4_0.allowsCheck && !SpecVersion.v0_3_1.allowsCheck)
        #expect(SpecVersion.v0_4_0.resultsCarryIPVersion && !SpecVersion.v1_0_0.resultsCarryIPVersion)
        #expect(SpecVersion.v1_1_0.hasVersion11Features && !SpecVersion.v1_0_0.hasVersion11Features)
    }

    @Test func versionResultListsEverySupportedVersion() {
        #expect(
            VersionResult.json(requested: .v0_4_0).text
                == #"{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"#)
        #expect(VersionResult.json(requested: nil)["cniVersion"] == .string("1.1.0"))
    }

    @Test func errorResultHasTheSpecsKeys() {
        let error = CNIError(.invalidNetworkConfig, "invalid network config", details: "field mtu: 10")
        #expect(
            error.json(cniVersion: "1.0.0").text
                == #"{"cniVersion":"1.0.0","code":7,"details":"field mtu: 10","msg":"invalid network config"}"#)
        #expect(CNIError(.ioFailure, "x").json(cniVersion: nil).text == #"{"cniVersion":"1.1.0","code":5,"msg":"x"}"#)
    }
}
