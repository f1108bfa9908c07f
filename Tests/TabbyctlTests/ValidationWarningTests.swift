import Foundation
import Testing

let clusterFelixConfiguration = """
    apiVersion: projectcalico.org/v3
    kind: FelixConfiguration
    metadata:
      name: default
    spec:
      vxlanVNI: 4096
      bpfConnectTimeLoadBalancing: TCP
      floatingIPs: Disabled
    """

@Suite("tabbyctl warnings", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct ValidationWarningTests {
    static let expectedWarnings = [
        "felix.yaml: document 1 (line 1): FelixConfiguration \"default\": spec.floatingIPs: warning: not implemented "
            + "by Tabby; accepted and ignored",
        "felix.yaml: document 1 (line 1): FelixConfiguration \"default\": spec.bpfConnectTimeLoadBalancing: "
            + "warning: not implemented by Tabby; accepted and ignored",
    ]

    func warningLines(_ err: String) -> [String] {
        err.split(separator: "\n").map(String.init).map { line in
            // The location is the field's line; compare without it.
            line.replacingOccurrences(of: #"\(line \d+\)"#, with: "(line 1)", options: .regularExpression)
        }
    }

    @Test func validatePrintsWarningsAndSucceeds() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let file = try ctl.file("felix.yaml", clusterFelixConfiguration)
        let result = try ctl.run("validate", "-f", file)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out == "Successfully validated 1 'FelixConfiguration' resource(s)\n")
        let lines = warningLines(result.err.replacingOccurrences(of: file, with: "felix.yaml"))
        #expect(lines == Self.expectedWarnings)
        #expect(result.err.contains("(line 7)") && result.err.contains("(line 8)"))
    }

    @Test func applyCreateAndReplaceStoreTheResourceAndWarn() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let file = try ctl.file("felix.yaml", clusterFelixConfiguration)
        for verb in ["create", "replace", "apply"] {
            let result = try ctl.run(verb, "-f", file)
            #expect(result.status == 0, "\(verb): \(result.err)")
            #expect(
                warningLines(result.err.replacingOccurrences(of: file, with: "felix.yaml")) == Self.expectedWarnings)
        }
        let shown = try ctl.run("get", "felixconfiguration", "default", "-o", "yaml")
        #expect(shown.status == 0)
        #expect(shown.out.contains("bpfConnectTimeLoadBalancing: TCP"))
        #expect(shown.out.contains("floatingIPs: Disabled"))
        let deleted = try ctl.run("delete", "-f", file)
        #expect(deleted.status == 0)
        #expect(deleted.err.isEmpty, "delete repeats no warnings: \(deleted.err)")
    }

    @Test func aTypoIsStillAnError() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let file = try ctl.file("felix.yaml", clusterFelixConfiguration + "\n  floatingIP: Disabled")
        let result = try ctl.run("validate", "-f", file)
        #expect(result.status == 2)
        #expect(result.err.contains("spec.floatingIP: unknown field \"floatingIP\""))
    }
}
