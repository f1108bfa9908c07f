import Foundation
import Testing

/// systemd/tabbyd.service in this repository.
private let unitPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("systemd/tabbyd.service").path

/// The `[Service]` section's settings, each key with every value it is given.
private func serviceSettings(_ text: String) -> [String: [String]] {
    var section = ""
    var settings: [String: [String]] = [:]
    for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
        if line.isEmpty || line.hasPrefix("#") { continue }
        if line.hasPrefix("[") {
            section = line
            continue
        }
        guard section == "[Service]", let equals = line.firstIndex(of: "=") else { continue }
        settings[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
    }
    return settings
}

@Suite("systemd unit")
struct SystemdUnitTests {
    @Test func theUnitSaysWhatTheIssueAsks() throws {
        let settings = serviceSettings(try String(contentsOfFile: unitPath, encoding: .utf8))
        #expect(settings["Type"] == ["notify"])
        #expect(settings["ExecStart"] == ["/usr/local/bin/tabbyd --config /etc/tabby/tabbyd.yaml"])
        #expect(settings["ExecReload"] == ["/bin/kill -HUP $MAINPID"])
        #expect(settings["Restart"] == ["on-failure"])
        #expect(settings["WatchdogSec"] != nil)
        #expect(settings["AmbientCapabilities"] == ["CAP_NET_ADMIN CAP_NET_RAW"])
        #expect(settings["CapabilityBoundingSet"] == ["CAP_NET_ADMIN CAP_NET_RAW"])
        #expect(settings["RestrictAddressFamilies"] == ["AF_NETLINK AF_UNIX AF_INET AF_INET6"])
        #expect(settings["RuntimeDirectory"] == ["tabby"])
        #expect(settings["StateDirectory"] == ["tabby"])
        // The agent programs the host's namespace and writes /proc/sys/net.
        #expect(settings["PrivateNetwork"] == nil)
        #expect(settings["ProtectKernelTunables"] == nil)
    }

    @Test(.enabled(if: toolExists("systemd-analyze"), "systemd-analyze is not installed (Debian package systemd)"))
    func systemdAnalyzeVerifyPrintsNothing() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // verify also checks that ExecStart's program exists; tabbyd is not installed on a build machine, so the
        // copy runs /bin/true instead. Every other line is verified as written.
        let text = try String(contentsOfFile: unitPath, encoding: .utf8)
        #expect(text.contains("ExecStart=/usr/local/bin/tabbyd "))
        let copy = scratch.path + "/tabbyd.service"
        try text.replacingOccurrences(of: "ExecStart=/usr/local/bin/tabbyd ", with: "ExecStart=/bin/true ")
            .write(toFile: copy, atomically: true, encoding: .utf8)
        let (status, output) = try runTool("systemd-analyze", ["verify", copy], allowFailure: true)
        #expect(status == 0)
        #expect(output == "", "systemd-analyze verify: \(output)")
    }
}
