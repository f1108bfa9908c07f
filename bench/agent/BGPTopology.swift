import BGP
import Foundation
import Glibc

/// The BGP benchmark's namespaces: `<prefix>-fabric` with bridge `br0` (192.0.2.254/24) and the route server's
/// BIRD, and one namespace per live node with `eth0` (192.0.2.<i+1>/24) on that bridge. Everything is deleted by
/// `Cleanup`, the route server's BIRD stopped by its PID (it runs in the foreground as this process's child).
final class BGPTopology {
    let fabric: String
    let nodes: [String]
    let routeServerSocket: String
    private(set) var routeServerPID: pid_t = 0
    private let cleanup: Cleanup

    init(prefix: String, scratch: String, cluster: BGPCluster, cleanup: Cleanup) throws {
        self.cleanup = cleanup
        fabric = "\(prefix)-fabric"
        nodes = (0..<BGPCluster.liveNodes).map { "\(prefix)-n\($0)" }
        routeServerSocket = "\(scratch)/route-server.ctl"
        for name in [fabric] + nodes {
            try Processes.run("ip", "netns", "add", name)
            cleanup.created(namespace: name)
        }
        var fabricLines = [
            "link set lo up", "link add br0 type bridge", "address add \(BGPCluster.routeServer)/24 dev br0",
            "link set br0 up",
        ]
        for (index, node) in nodes.enumerated() {
            fabricLines.append("link add v\(index) type veth peer name eth0 netns \(node)")
            fabricLines.append("link set v\(index) master br0")
            fabricLines.append("link set v\(index) up")
        }
        try Self.batch(fabricLines, namespace: fabric, scratch: scratch)
        for (index, node) in nodes.enumerated() {
            try Self.batch(
                [
                    "link set lo up", "address add \(BGPCluster.nodeAddress(index))/24 dev eth0", "link set eth0 up",
                ], namespace: node, scratch: scratch)
        }
        let configuration = "\(scratch)/route-server.conf"
        try cluster.routeServerConfiguration().write(toFile: configuration, atomically: true, encoding: .utf8)
        routeServerPID = try Processes.spawn(
            [
                "ip", "netns", "exec", fabric, "bird", "-f", "-c", configuration, "-s", routeServerSocket, "-P",
                "\(scratch)/route-server.pid",
            ], logPath: "\(scratch)/route-server.log")
        cleanup.started(routeServerPID)
        let control = BIRDControlClient(socketPath: routeServerSocket)
        let deadline = ContinuousClock.now + .seconds(10)
        while !control.answers() {
            guard ContinuousClock.now < deadline else {
                throw BenchError("the route server's BIRD did not open \(routeServerSocket); see \(scratch)/route-server.log")
            }
            usleep(10_000)
        }
    }

    static func batch(_ lines: [String], namespace: String, scratch: String) throws {
        let path = "\(scratch)/\(namespace)-setup.batch"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        try Processes.run("ip", "-n", namespace, "-batch", path)
    }

    /// Every session of the route server's that is Established.
    func routeServerEstablished() -> Int {
        guard let (_, reply) = try? BIRDControlClient(socketPath: routeServerSocket).send("show protocols") else {
            return 0
        }
        return reply.lines.filter { $0.code == 1002 && $0.text.contains("Established") }.count
    }

    func stop() {
        if routeServerPID > 0 {
            Processes.stop(routeServerPID)
            cleanup.stopped(routeServerPID)
            routeServerPID = 0
        }
        for name in [fabric] + nodes {
            try? Processes.run("ip", "netns", "delete", name)
            cleanup.deleted(namespace: name)
        }
    }
}

/// A node's BIRD as tabbyd runs it: its control socket and pid file.
struct NodeBIRD {
    let socket: String
    let pidFile: String
    let configFile: String

    init(scratch: String, node: Int) {
        socket = "\(scratch)/n\(node)-bird.ctl"
        pidFile = "\(scratch)/n\(node)-bird.pid"
        configFile = "\(scratch)/n\(node)-bird.conf"
    }

    var arguments: [String] {
        [
            "--networking-backend", "bird", "--bird-config-file", configFile, "--bird-socket", socket,
            "--bird-pid-file", pidFile,
        ]
    }

    var pid: pid_t? {
        (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap {
            pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// Whether its session to the route server is Established.
    func established() -> Bool {
        guard let (_, reply) = try? BIRDControlClient(socketPath: socket, timeoutMilliseconds: 500).send("show protocols")
        else { return false }
        return reply.lines.contains { $0.code == 1002 && $0.text.hasPrefix("Global_") && $0.text.contains("Established") }
    }

    /// How many routes its BGP sessions imported (BIRD's own count), or nil when it does not answer.
    func importedRoutes() -> Int? {
        guard let (_, reply) = try? BIRDControlClient(socketPath: socket, timeoutMilliseconds: 500)
            .send("show route protocol Global_192_0_2_254 count")
        else { return nil }
        // "197 of 197 routes for 197 networks in table master4"
        return reply.lines.compactMap { line in
            line.text.split(separator: " ").first.flatMap { Int($0) }
        }.first
    }
}
