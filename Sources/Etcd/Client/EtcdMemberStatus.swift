/// What a member says of itself (etcd's `Maintenance.Status`): who leads, at which term and revision.
public struct EtcdMemberStatus: Sendable, Equatable {
    /// The endpoint that answered.
    public var endpoint: String
    /// The answering member's ID, and the leader's (0: the member knows of no leader).
    public var memberID: UInt64
    public var leaderID: UInt64
    public var raftTerm: UInt64
    /// The store's revision on this member.
    public var revision: Int64
    /// etcd's version (`3.4.23`).
    public var version: String
    public var databaseSize: Int64

    public init(
        endpoint: String, memberID: UInt64, leaderID: UInt64, raftTerm: UInt64, revision: Int64, version: String,
        databaseSize: Int64
    ) {
        self.endpoint = endpoint
        self.memberID = memberID
        self.leaderID = leaderID
        self.raftTerm = raftTerm
        self.revision = revision
        self.version = version
        self.databaseSize = databaseSize
    }

    /// Whether this member is the leader.
    public var isLeader: Bool { leaderID != 0 && leaderID == memberID }
}
