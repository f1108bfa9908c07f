import NetworkAddress
import Foundation
import NetworkAddress
import Testing

let pools = """
    apiVersion: crd.projectcalico.org/v1
    kind: IPPool
    metadata:
      name: default-pool
    spec:
      cidr: 10.233.64.0/18
      blockSize: 24
      ipipMode: Always
      natOutgoing: true
      nodeSelector: all()
      allowedUses: [Workload, Tunnel]
    ---
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata:
      name: edge
    spec:
      cidr: 192.0.2.0/24
      vxlanMode: CrossSubnet
    """

let policies = """
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: allow-web, namespace: shop}
    spec:
      selector: role == 'web'
      ingress: [{action: Allow, protocol: TCP, destination: {ports: [80]}}]
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: allow-db, namespace: data}
    spec:
      selector: role == 'db'
      order: 50
    """

@Suite("tabbyctl", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct TabbyctlTests {
    @Test func applyThenGetShowsTheResourcesWithDefaults() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let applied = try ctl.run("apply", "-f", try ctl.file("pools.yaml", pools))
        #expect(applied.status == 0, "\(applied.err)")
        #expect(applied.out == "Successfully applied 2 'IPPool' resource(s)\n")

        let table = try ctl.run("get", "ippools")
        #expect(table.status == 0)
        #expect(table.out.contains("NAME           CIDR             SELECTOR"))
        #expect(table.out.contains("default-pool   10.233.64.0/18   all()"))
        let wide = try ctl.run("get", "pool", "-o", "wide")
        #expect(wide.out.contains("VXLANMODE"))
        #expect(wide.out.contains("CrossSubnet"))

        let yaml = try ctl.run("get", "ippool", "edge", "-o", "yaml")
        #expect(yaml.status == 0)
        #expect(yaml.out.hasPrefix("apiVersion: projectcalico.org/v3\nkind: IPPool\n"))
        #expect(yaml.out.contains("blockSize: 26"))
        #expect(yaml.out.contains("resourceVersion:"))
        let json = try ctl.run("get", "ippools", "-o", "json")
        #expect(json.out.contains("\"kind\" : \"List\""))

        // What get prints, apply reads back.
        let again = try ctl.run("apply", "-f", try ctl.file("list.yaml", try ctl.run("get", "ippools", "-o", "yaml").out))
        #expect(again.status == 0, "\(again.err)")
    }

    @Test func oneBadDocumentMeansNothingIsWritten() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let bad = pools + """

            ---
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata:
              name: broken
            spec:
              cidr: 198.51.100.0/24
              blockSize: 19
            """
        let path = try ctl.file("bad.yaml", bad)
        let result = try ctl.run("apply", "-f", path)
        #expect(result.status == 2)
        #expect(result.err.contains("\(path): document 3 (line 27): IPPool \"broken\": spec.blockSize: must be between 20 and 32"))
        #expect(result.err.contains("nothing was written"))
        #expect(try ctl.run("get", "ippools").out == "NAME   CIDR   SELECTOR\n")
        let validate = try ctl.run("validate", "-f", path)
        #expect(validate.status == 2)
        #expect(try ctl.run("validate", "-f", try ctl.file("good.yaml", pools)).status == 0)
    }

    @Test func createReplaceAndConflicts() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let path = try ctl.file("pools.yaml", pools)
        #expect(try ctl.run("create", "-f", path).status == 0)
        let twice = try ctl.run("create", "-f", path)
        #expect(twice.status == 1)
        #expect(twice.err.contains("already exists"))

        // A replace naming an old resourceVersion is refused: someone wrote since.
        let current = try ctl.run("get", "ippool", "edge", "-o", "yaml").out
        #expect(try ctl.run("apply", "-f", path).status == 0)
        let stale = try ctl.run("replace", "-f", try ctl.file("stale.yaml", current))
        #expect(stale.status == 1)
        #expect(stale.err.contains("conflict"))
        let fresh = try ctl.run("get", "ippool", "edge", "-o", "yaml").out
        #expect(try ctl.run("replace", "-f", try ctl.file("fresh.yaml", fresh)).status == 0)
    }

    @Test func deleteByNameAndByFile() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let path = try ctl.file("pools.yaml", pools)
        #expect(try ctl.run("apply", "-f", path).status == 0)
        let deleted = try ctl.run("delete", "ippool", "edge")
        #expect(deleted.status == 0)
        #expect(deleted.out == "Successfully deleted 1 'IPPool' resource(s)\n")
        let missing = try ctl.run("delete", "ippool", "edge")
        #expect(missing.status == 1)
        #expect(missing.err.contains("not found") || missing.err.contains("does not exist"))
        #expect(try ctl.run("delete", "ippool", "edge", "--skip-not-exists").status == 0)
        #expect(try ctl.run("delete", "-f", path, "--skip-not-exists").status == 0)
        #expect(try ctl.run("get", "ippool", "default-pool").status == 1)
    }

    @Test func namespacesAndTheEnvironmentVariable() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        #expect(try ctl.run("apply", "-f", "-", stdin: policies, useEnvironment: true).status == 0)
        #expect(try ctl.run("get", "networkpolicy").out == "NAME\n")
        #expect(try ctl.run("get", "np", "-n", "shop").out == "NAME\nallow-web\n")
        let all = try ctl.run("get", "policies", "-A", "-o", "wide", useEnvironment: true)
        #expect(all.out.contains("NAMESPACE   NAME"))
        #expect(all.out.contains("data        allow-db    default   50"))
        #expect(try ctl.run("delete", "np", "allow-db", "-n", "data").status == 0)
    }

    @Test func usageErrorsExitTwo() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let unknown = try ctl.run("get", "widgets")
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("unknown resource kind \"widgets\""))
        #expect(try ctl.run("frobnicate").status == 2)
        #expect(try ctl.run("delete").status == 2)
        #expect(try ctl.run("apply", "-f", "/nonexistent.yaml").status == 2)
        #expect(try ctl.run("--help").status == 0)
    }

    @Test func selectorMatch() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let yes = try ctl.run("selector", "match", "--selector", "role == 'db' && !has(test)", "--labels", "role=db,zone=a")
        #expect(yes.status == 0)
        #expect(yes.out == "true\n")
        let no = try ctl.run("selector", "match", "--selector", "role == 'db' && !has(test)", "--labels", "role=db,test=1")
        #expect(no.out == "false\n")
        #expect(try ctl.run("selector", "match", "--selector", "env != 'prod'").out == "true\n")
        let bad = try ctl.run("selector", "match", "--selector", "role == 'db' &&", "--labels", "role=db")
        #expect(bad.status == 2)
        #expect(bad.err.contains("column"))
    }

    @Test func ipamCommands() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        #expect(try ctl.run("apply", "-f", try ctl.file("pools.yaml", pools)).status == 0)
        #expect(try ctl.run("apply", "-f", try ctl.file("nodes.yaml", ipamNodes)).status == 0)
        let assigned = try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-1", "--pool", "edge")
        #expect(assigned.status == 0, "\(assigned.err)")
        #expect(assigned.out.hasPrefix("Assigned 192.0.2."))
        let specific = try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-2", "--ip", "10.233.64.9")
        #expect(specific.status == 0, "\(specific.err)")
        let taken = try ctl.run("ipam", "assign", "--node", "node-b", "--handle", "pod-3", "--ip", "10.233.64.9")
        #expect(taken.status == 1)
        #expect(taken.err.contains("already allocated to handle pod-2"))

        let show = try ctl.run("ipam", "show", "--show-blocks")
        #expect(show.out.contains("| IP Pool  | 10.233.64.0/18 | 16384     | 1 (0%)"))
        #expect(show.out.contains("| Block    | 10.233.64.0/24"))
        let one = try ctl.run("ipam", "show", "--ip", "10.233.64.9")
        #expect(one.out.contains("IP 10.233.64.9 is in use"))
        #expect(one.out.contains("Handle: pod-2"))

        #expect(try ctl.run("ipam", "check").status == 0)
        #expect(try ctl.run("ipam", "release", "--handle", "pod-2").status == 0)
        #expect(try ctl.run("ipam", "show", "--ip", "10.233.64.9").out == "IP 10.233.64.9 is not assigned\n")
        #expect(try ctl.run("ipam", "release", "--handle", "pod-2").status == 1)
        let exhausted = try ctl.run("ipam", "assign", "--node", "n", "--handle", "big", "--count", "300", "--pool", "edge")
        #expect(exhausted.status == 1)
        #expect(exhausted.err.contains("no addresses available in pools [edge] for node n"))
    }
}
