import Testing
import NetworkAddress
@testable import BGP

@Suite struct BGPSessionTests {
    @Test func peerTypesHaveCalicoNodesProtocolPrefixesAndCalicoctlWords() {
        #expect(BGPSession.PeerType.allCases.map(\.protocolPrefix) == ["Mesh_", "Global_", "Node_"])
        #expect(BGPSession.PeerType.allCases.map(\.rawValue) == ["node-to-node mesh", "global", "node specific"])
    }

    @Test func aSessionsFamilyIsItsPeersAddresss() throws {
        let session = BGPSession(
            protocolName: "Mesh_2001_db8__1", peerAddress: try #require(IPAddress("2001:db8::1")), peerASNumber: 64512,
            type: .nodeToNodeMesh)
        #expect(session.family == .v6)
    }
}
