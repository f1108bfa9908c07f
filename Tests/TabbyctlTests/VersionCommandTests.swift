import Agent
import Foundation
import Glibc
import Testing

private struct ReportOnly: StatusProvider {
    var report: StatusReport
    func statusReport() -> StatusReport { report }
    func liveness() -> HealthCheck { .healthy("live") }
    func readiness() -> HealthCheck { .healthy("ready") }
    func metricsText() -> String { "" }
}

@Suite("tabbyctl version", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct VersionCommandTests {
    @Test func clientAndAgentVersionsInCalicoctlsLayout() throws {
        let folder = "/tmp/tabbyctl-version-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        let socket = folder + "/tabbyd.sock"
        let server = try StatusServer.start(
            .init(unixSocket: socket),
            provider: ReportOnly(report: StatusReport(node: "node-7", version: "9.8.7-agent", uptimeSeconds: 1)))
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let result = try Tabbyctl().run("version", "--status-socket", socket)
        #expect(result.status == 0, "\(result.err)")
        // The client's version is tabbyd's: one source of truth.
        #expect(
            result.out == """
                Client Version:    \(TabbyVersion.current)
                Git commit:        not recorded in this build
                Cluster Version:   9.8.7-agent
                Cluster Type:      tabbyd on node node-7

                """)
    }

    @Test func anUnreachableAgentIsSaidAndExitCode1() throws {
        let socket = "/tmp/tabbyctl-version-\(getpid())-absent.sock"
        let result = try Tabbyctl().run("version", "--status-socket", socket)
        #expect(result.status == 1)
        #expect(result.out.hasPrefix("Client Version:    \(TabbyVersion.current)\n"))
        #expect(!result.out.contains("Cluster Version"))
        #expect(result.err.hasPrefix("Unable to retrieve the agent's version: tabbyd is not running on this node"))
    }
}
