import NetworkAddress

/// A rendered BIRD 2 configuration: the text of `bird.conf`, the BGP sessions it defines (for the status
/// tables), and the problems that kept parts of the input out of it.
public struct BIRDConfiguration: Sendable, Equatable {
    /// The whole configuration file; byte-equal for equal inputs, so "nothing changed" is a string compare.
    public var text: String
    public var sessions: [BGPSession]
    /// Resources (or fields) left out, each naming the resource, the field and why: the rest still renders.
    public var problems: [BGPProblem]

    public init(text: String, sessions: [BGPSession] = [], problems: [BGPProblem] = []) {
        self.text = text
        self.sessions = sessions
        self.problems = problems
    }
}

/// One BGP session of the configuration: one BIRD `protocol bgp`.
public struct BGPSession: Sendable, Equatable, Hashable, Codable {
    /// calicoctl's PEER TYPE column.
    public enum PeerType: String, Sendable, Codable, CaseIterable {
        case nodeToNodeMesh = "node-to-node mesh"
        case global = "global"
        case nodeSpecific = "node specific"

        /// The prefix of the BIRD protocol name, as calico-node names its protocols: `Mesh_192_0_2_11`,
        /// `Global_198_51_100_1`, `Node_203_0_113_1`; the status reads the type back from it.
        public var protocolPrefix: String {
            switch self {
            case .nodeToNodeMesh: "Mesh_"
            case .global: "Global_"
            case .nodeSpecific: "Node_"
            }
        }
    }

    /// The BIRD protocol name (`Mesh_192_0_2_11`; a port other than 179 is appended: `Global_192_0_2_1_port_1790`).
    public var protocolName: String
    public var peerAddress: IPAddress
    /// The peer's port, when not 179.
    public var port: UInt16?
    public var peerASNumber: UInt32
    public var type: PeerType
    /// The BGPPeer it comes from (`BGPPeer "rack1-tor"`); nil for a mesh session.
    public var resource: String?

    public init(
        protocolName: String, peerAddress: IPAddress, port: UInt16? = nil, peerASNumber: UInt32, type: PeerType,
        resource: String? = nil
    ) {
        self.protocolName = protocolName
        self.peerAddress = peerAddress
        self.port = port
        self.peerASNumber = peerASNumber
        self.type = type
        self.resource = resource
    }

    public var family: IPFamily { peerAddress.family }
}

/// Why part of the input was left out of the configuration.
public struct BGPProblem: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The resource, as `ResourceKey.description` words it: `BGPPeer "rack1-tor"`.
    public var resource: String
    /// The field path from the document root: `spec.peerIP`.
    public var field: String
    public var reason: String

    public init(resource: String, field: String, reason: String) {
        self.resource = resource
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(resource): \(field): \(reason)" }
}
