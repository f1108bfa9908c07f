import Agent
import Foundation
import Glibc
import Testing

private struct StaticStatus: StatusProvider {
    func statusReport() -> StatusReport { StatusReport(node: "diag-node", version: "0.1.0-diag", uptimeSeconds: 3) }
    func liveness() -> HealthCheck { .healthy("live") }
    func readiness() -> HealthCheck { .healthy("ready") }
    func metricsText() -> String { "" }
}

@Suite(
    "tabbyctl node diags in a network namespace",
    .enabled(if: Tabbyctl.binary != nil && TestNamespace.isRoot, "needs root and the tabbyctl executable"))
struct DiagsCommandTests {
    /// Runs diags in a fresh namespace against a datastore with one pool, and unpacks the archive.
    private func collect(socket: String, extra: [String] = [], output: String? = nil) throws
        -> (Tabbyctl.Result, String, () -> Void)
    {
        let ctl = Tabbyctl()
        let pool =
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: diag-pool}\nspec: {cidr: 203.0.113.0/24}\n"
        try #require(try ctl.run("apply", "-f", try ctl.file("pool.yaml", pool)).status == 0)
        let namespace = try TestNamespace()
        let work = ctl.datastore + "-diags"
        try FileManager.default.createDirectory(atPath: work + "/unpacked", withIntermediateDirectories: true)
        let archive = output ?? work + "/out.tar.gz"
        let result = try namespace.tabbyctl(
            ["--datastore", ctl.datastore, "node", "diags", "--output", archive, "--status-socket", socket] + extra)
        let cleanup = {
            namespace.delete()
            ctl.remove()
            try? FileManager.default.removeItem(atPath: work)
            try? FileManager.default.removeItem(atPath: ctl.datastore + "-input")
        }
        if result.status == 0 {
            let untar = try TestNamespace.execute("/usr/bin/tar", ["-xzf", archive, "-C", work + "/unpacked"])
            #expect(untar.status == 0, "\(untar.err)")
        }
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: work + "/unpacked")) ?? []
        return (result, work + "/unpacked/" + (folders.first ?? ""), cleanup)
    }

    private func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Also the regression test for a hang: the namespace's `lo` is down, where Foundation's Process never saw
    /// its child exit.
    @Test func oneArchiveWithTheNamespacesStateAndTheDatastore() throws {
        let (result, folder, cleanup) = try collect(socket: "/tmp/tabbyctl-diags-\(getpid())-absent.sock")
        defer { cleanup() }
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.hasPrefix("Diags saved to "))
        #expect(result.out.contains("out.tar.gz"))

        // The namespace is clean: only lo, and the host's devices never appear.
        let links = try #require(read(folder + "/network/ip-link.txt"))
        #expect(links.contains("1: lo:"))
        #expect(!links.contains("2: "))
        #expect(read(folder + "/network/ip-route-v4.txt")?.contains("--- exit status 0 ---") == true)
        #expect(read(folder + "/network/ip-neigh.txt") != nil)
        #expect(read(folder + "/network/nft-ruleset.txt")?.hasPrefix("$ nft list ruleset\n") == true)
        #expect(read(folder + "/system/sysctls.txt")?.contains("net.ipv4.ip_forward = ") == true)
        #expect(read(folder + "/system/checksystem.txt")?.contains("CHECK") == true)
        #expect(read(folder + "/datastore/IPPool.yaml")?.contains("name: diag-pool") == true)

        // Pieces that could not be collected are recorded, not fatal.
        let failure = try #require(read(folder + "/agent/status.json.failed"))
        #expect(failure.contains("tabbyd is not running on this node"))
        let index = try #require(read(folder + "/INDEX.txt"))
        #expect(index.contains("agent/status.json.failed"))
        #expect(index.contains("network/ip-link.txt"))
        #expect(result.out.contains("could not be collected; see INDEX.txt"))
    }

    @Test func theAgentsStatusAndALogDirectory() throws {
        let folder = "/tmp/tabbyctl-diags-agent-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        let server = try StatusServer.start(.init(unixSocket: folder + "/tabbyd.sock"), provider: StaticStatus())
        let logs = folder + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        try "2025-03-01T12:00:00.123Z info    started\n".write(
            toFile: logs + "/tabbyd.log", atomically: true, encoding: .utf8)
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let (result, unpacked, cleanup) = try collect(socket: folder + "/tabbyd.sock", extra: ["--log-dir", logs])
        defer { cleanup() }
        #expect(result.status == 0, "\(result.err)")
        #expect(read(unpacked + "/agent/status.json")?.contains("\"node\" : \"diag-node\"") == true)
        #expect(read(unpacked + "/logs/tabbyd.log")?.contains("info    started") == true)
    }

    @Test func aMissingDatastoreIsRecordedNotCreated() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let base = "/tmp/tabbyctl-diags-nods-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let result = try namespace.tabbyctl(
            ["--datastore", base + "/absent", "node", "diags", "--output", base + "/d.tar.gz", "--status-socket", "/x"])
        #expect(result.status == 0, "\(result.err)")
        #expect(!FileManager.default.fileExists(atPath: base + "/absent"))
        let listing = try TestNamespace.execute("/usr/bin/tar", ["-tzf", base + "/d.tar.gz"])
        #expect(listing.out.contains("datastore/open.failed"))
    }

    @Test func anArchiveThatCannotBeWrittenIsAFailure() throws {
        let (result, _, cleanup) = try collect(socket: "/nonexistent.sock", output: "/nonexistent-dir/x.tar.gz")
        defer { cleanup() }
        #expect(result.status == 1)
        #expect(result.err.contains("cannot write the archive /nonexistent-dir/x.tar.gz"))
    }
}
