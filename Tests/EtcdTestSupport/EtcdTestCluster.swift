import Foundation

/// Three (or more) real etcd members on loopback forming one cluster, for tests of leader loss and quorum loss.
/// Members are stopped and started again by the test, each by its own PID, keeping their data.
public final class EtcdTestCluster: @unchecked Sendable {
    public private(set) var members: [EtcdTestServer]
    private let initialCluster: String
    private let ports: [(client: Int, peer: Int)]

    /// Every member's client URL, comma-separated as `ETCD_ENDPOINTS` takes them.
    public var endpoints: [String] { ports.map { "http://127.0.0.1:\($0.client)" } }

    public static func start(size: Int = 3) throws -> EtcdTestCluster {
        let taken = try FreePorts.take(size * 2)
        let ports = (0..<size).map { (client: taken[2 * $0], peer: taken[2 * $0 + 1]) }
        let initialCluster = ports.enumerated().map { "m\($0.offset)=http://127.0.0.1:\($0.element.peer)" }
            .joined(separator: ",")
        let members = try ports.enumerated().map { index, port in
            try EtcdTestServer(
                name: "m\(index)", clientPort: port.client, peerPort: port.peer, initialCluster: initialCluster,
                extraArguments: [])
        }
        let cluster = EtcdTestCluster(members: members, initialCluster: initialCluster, ports: ports)
        for member in members { try member.waitUntilHealthy() }
        return cluster
    }

    private init(members: [EtcdTestServer], initialCluster: String, ports: [(client: Int, peer: Int)]) {
        self.members = members
        self.initialCluster = initialCluster
        self.ports = ports
    }

    /// Kills member `index` (SIGKILL), keeping its data so that `restart` brings it back.
    public func kill(_ index: Int) { members[index].stop(keepData: true) }

    /// Starts member `index` again on its data directory.
    public func restart(_ index: Int, waitUntilHealthy: Bool = true) throws {
        let old = members[index]
        let member = try EtcdTestServer(
            name: old.name, clientPort: old.clientPort, peerPort: old.peerPort, initialCluster: initialCluster,
            clusterState: "existing", extraArguments: [], dataDirectory: old.dataDirectory)
        members[index] = member
        if waitUntilHealthy { try member.waitUntilHealthy() }
    }

    /// Stops every member and removes their data.
    public func stop() { for member in members { member.stop() } }

    deinit { stop() }
}
