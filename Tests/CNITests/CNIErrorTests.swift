import CNI
import Testing

@Suite struct CNIErrorTests {
    @Test func descriptionJoinsMessageAndDetails() {
        #expect(CNIError(.invalidNetworkConfig, "bad config", details: "field mtu").description == "bad config: field mtu")
        #expect(CNIError(.ioFailure, "no datastore").description == "no datastore")
    }
}
