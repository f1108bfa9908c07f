import NetworkAddress
import Agent
import BGP
import Foundation
import Glibc
import NetworkAddress
import Testing

/// A provider with a fixed report, so that the printed summary is exact.
private struct FixedStatus: StatusProvider {
    var report: StatusReport
    func statusReport() -> StatusReport { report }
    func liveness() -> HealthCheck { .healthy("live") }
    func readiness() -> HealthCheck { report.readiness ? .healthy("ready") : .unhealthy("not ready") }
    func metricsText() -> String { "" }
}

private let busyReport = StatusReport(
    node: "node-1", version: "0.1.0-test", uptimeSeconds: 93_784.6, datastoreInSync: true,
    lastApply: StatusReport.Apply(time: "2025-03-01T12:00:00.123Z", durationSeconds: 0.0125, writes: 7),
    counts: StatusReport.Counts(routes: 12, devices: 1, neighbors: 3, workloadEndpoints: 2),
    blocks: [
        StatusReport.Block(cidr: "10.65.0.0/26", node: "node-1", state: "local"),
        StatusReport.Block(cidr: "10.65.0.64/26", node: "node-2", state: "vxlan"),
        StatusReport.Block(cidr: "10.65.1.0/26", node: "node-3", state: "unreachable"),
    ],
    tunnelAddresses: StatusReport.TunnelAddresses(
        vxlan: "10.65.0.1", vxlanMAC: "66:e1:a7:c4:0b:2f", vxlanV6: "2001:db8:64::1",
        vxlanMACV6: "66:2b:1e:94:0c:7d"),
    errors: [
        StatusReport.Problem(
            resource: "block 10.65.1.0/26", reason: "node-3 is not on-link and the pool has no encapsulation")
    ],
    readiness: true)

/// A status server started in this process on a socket in a scratch folder.
private struct RunningAgent {
    let folder: String
    let socket: String
    let server: StatusServer

    init(_ report: StatusReport) throws {
        folder = "/tmp/tabbyctl-node-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        socket = folder + "/tabbyd.sock"
        server = try StatusServer.start(.init(unixSocket: socket), provider: FixedStatus(report: report))
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Runs tabbyctl with `environment` added, without the runner's --datastore.
private func runTabbyctl(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Tabbyctl.Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Tabbyctl.binary!)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Tabbyctl.Result(
        status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
        err: String(decoding: errData, as: UTF8.self))
}

@Suite("tabbyctl node status", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct NodeStatusTests {
    @Test func aSummaryForAPerson() throws {
        let agent = try RunningAgent(busyReport)
        defer { agent.stop() }
        let result = try Tabbyctl().run("node", "status", "--status-socket", agent.socket)
        #expect(result.status == 0, "\(result.err)")
        #expect(
            result.out == """
                Node:               node-1
                Version:            0.1.0-test
                Uptime:             1d 2h 3m 4s
                Ready:              yes
                Datastore in sync:  yes
                Last apply:         2025-03-01T12:00:00.123Z (12.5 ms, 7 writes)
                Routes:             12
                Devices:            1
                Neighbors:          3
                Workload endpoints: 2
                Tunnel addresses:   IPIP -, VXLAN 10.65.0.1 (MAC 66:e1:a7:c4:0b:2f), VXLANv6 2001:db8:64::1 (MAC 66:2b:1e:94:0c:7d)

                Blocks:
                CIDR            NODE     STATE
                10.65.0.0/26    node-1   local
                10.65.0.64/26   node-2   vxlan
                10.65.1.0/26    node-3   unreachable

                Errors:
                RESOURCE             REASON
                block 10.65.1.0/26   node-3 is not on-link and the pool has no encapsulation

                """)
        #expect(result.err.isEmpty)
    }

    @Test func aFreshAgentHasNothingYet() throws {
        let agent = try RunningAgent(StatusReport(node: "node-2", version: "0.1.0-test", uptimeSeconds: 4.2))
        defer { agent.stop() }
        let result = try runTabbyctl(["node", "status"], environment: ["TABBYD_STATUS_SOCKET": agent.socket])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("Node:               node-2\n"))
        #expect(result.out.contains("Uptime:             4s\n"))
        #expect(result.out.contains("Ready:              no\n"))
        #expect(result.out.contains("Last apply:         none yet\n"))
        #expect(result.out.contains("Tunnel addresses:   IPIP -, VXLAN -\n"))
        #expect(result.out.hasSuffix("Blocks: none\n\nErrors: none\n"))
    }

    @Test func bgpPeersInCalicoctlsTables() throws {
        var report = StatusReport(node: "node-a", version: "0.1.0-test", uptimeSeconds: 60, readiness: true)
        report.bgp = BIRDStatus(
            running: true, pid: 4242, version: "2.0.12", starts: 2,
            peers: [
                BGPPeerStatus(
                    peerAddress: "192.0.2.12", peerType: "node-to-node mesh", state: "up", since: "10:01:02",
                    info: "Established", family: "IPv4", protocolName: "Mesh_192_0_2_12", routesImported: 1),
                BGPPeerStatus(
                    peerAddress: "198.51.100.254:1790", peerType: "global", state: "start", since: "10:01:00",
                    info: "Active        Socket: Connection refused", family: "IPv4", protocolName: "Global_198_51_100_254_port_1790"),
            ])
        let agent = try RunningAgent(report)
        defer { agent.stop() }
        let result = try Tabbyctl().run("node", "status", "--status-socket", agent.socket)
        #expect(result.status == 0, "\(result.err)")
        #expect(
            result.out.hasSuffix(
                """
                Errors: none

                BIRD is running (version 2.0.12, pid 4242, restarted 1 time).

                IPv4 BGP status
                +---------------------+-------------------+-------+----------+------------------------------------------+
                |    PEER ADDRESS     |     PEER TYPE     | STATE |  SINCE   |                   INFO                   |
                +---------------------+-------------------+-------+----------+------------------------------------------+
                | 192.0.2.12          | node-to-node mesh | up    | 10:01:02 | Established                              |
                | 198.51.100.254:1790 | global            | start | 10:01:00 | Active        Socket: Connection refused |
                +---------------------+-------------------+-------+----------+------------------------------------------+

                IPv6 BGP status
                No IPv6 peers found.

                """), "\(result.out)")
    }

    @Test func noBGPSectionWithoutBIRD() throws {
        let agent = try RunningAgent(busyReport)
        defer { agent.stop() }
        let result = try Tabbyctl().run("node", "status", "--status-socket", agent.socket)
        #expect(!result.out.contains("BGP status"))
    }

    @Test func jsonIsPassedThroughAsTabbydSendsIt() throws {
        let agent = try RunningAgent(busyReport)
        defer { agent.stop() }
        let result = try Tabbyctl().run("node", "status", "--status-socket", agent.socket, "-o", "json")
        #expect(result.status == 0, "\(result.err)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        #expect(result.out == String(decoding: try encoder.encode(busyReport), as: UTF8.self) + "\n")
        #expect(try JSONDecoder().decode(StatusReport.self, from: Data(result.out.utf8)) == busyReport)
    }

    @Test func noAgentIsAClearErrorAndExitCode1() throws {
        let socket = "/tmp/tabbyctl-node-\(getpid())-absent.sock"
        let result = try Tabbyctl().run("node", "status", "--status-socket", socket)
        #expect(result.status == 1)
        #expect(result.out.isEmpty)
        #expect(
            result.err
                == "tabbyd is not running on this node: there is no status socket at \(socket) (ENOENT); "
                + "start it (systemctl start tabbyd) or name its socket with --status-socket\n")
    }

    @Test func aSocketNobodyListensOnIsAClearError() throws {
        let folder = "/tmp/tabbyctl-node-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let socket = folder + "/tabbyd.sock"
        // What an agent killed with SIGKILL leaves behind: the file of a socket nothing listens on.
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socket.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0)

        let result = try Tabbyctl().run("node", "status", "--status-socket", socket)
        #expect(result.status == 1)
        #expect(result.err.hasPrefix("tabbyd is not running on this node: nothing listens on \(socket) (ECONNREFUSED"))
    }

    @Test func badUsageIsExitCode2() throws {
        let result = try Tabbyctl().run("node", "status", "-o", "yaml")
        #expect(result.status == 2)
        #expect(result.err.contains("yaml"))
    }
}
