import EtcdTestSupport
import Foundation
import Testing

/// `tabbyctl datastore migrate export|import`: every resource (Calico kinds and IPAM objects) from one
/// datastore into another, refused when the target already holds one of them; file -> etcd -> file keeps
/// every resource as it was (the exports are equal).
@Suite(
    "tabbyctl datastore migrate", .serialized,
    .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built next to the tests"))
struct MigrateCommandTests {
    static let manifest = """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pool-a}
        spec: {cidr: 198.51.100.0/24, blockSize: 28, vxlanMode: Always}
        ---
        apiVersion: projectcalico.org/v3
        kind: Node
        metadata: {name: node-a, labels: {rack: r1}}
        spec: {bgp: {ipv4Address: 192.0.2.10/24}}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: allow-dns}
        spec: {selector: all(), types: [Egress], egress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: WorkloadEndpoint
        metadata: {name: node--a-k8s-web-eth0, namespace: shop, labels: {app: web}}
        spec: {node: node-a, orchestrator: k8s, workload: web, endpoint: eth0, interfaceName: caliweb, ipNetworks: [198.51.100.2/32]}
        """

    /// A file datastore with the manifest and some IPAM state (a block, its affinity, handles, the config).
    static func populated() throws -> Tabbyctl {
        let ctl = Tabbyctl()
        let file = try ctl.file("all.yaml", manifest)
        let created = try ctl.run("create", "-f", file)
        #expect(created.status == 0, "\(created.err)")
        for handle in ["pod-1", "pod-2"] {
            let assigned = try ctl.run("ipam", "assign", "--node", "node-a", "--handle", handle, "--pool", "pool-a")
            #expect(assigned.status == 0, "\(assigned.err)")
        }
        #expect(try ctl.run("ipam", "configure", "--strictaffinity=true").status == 0)
        return ctl
    }

    static func export(_ arguments: [String], variables: [String: String] = [:]) throws -> String {
        let result = try runTabbyctl(arguments + ["datastore", "migrate", "export"], variables: variables)
        #expect(result.status == 0, "\(result.err)")
        return result.out
    }

    @Test func exportHoldsEveryKindWithoutResourceVersionOrUID() throws {
        let ctl = try Self.populated()
        defer { ctl.remove() }
        let text = try Self.export(["--datastore", ctl.datastore])
        for kind in ["IPPool", "Node", "GlobalNetworkPolicy", "WorkloadEndpoint", "IPAMBlock", "BlockAffinity", "IPAMHandle", "IPAMConfiguration"] {
            #expect(text.contains("kind: \(kind)\n"), "\(kind) missing:\n\(text)")
        }
        #expect(!text.contains("resourceVersion") && !text.contains("uid:"), "\(text)")
        #expect(text.components(separatedBy: "---\n").count - 1 == 4 + 1 + 1 + 2 + 1)
        let toFile = try ctl.file("export.yaml", "")
        let written = try runTabbyctl(["--datastore", ctl.datastore, "datastore", "migrate", "export", "--output", toFile])
        #expect(written.status == 0 && written.err.contains("exported 9 resource(s)"), "\(written.err)")
        #expect(try String(contentsOfFile: toFile, encoding: .utf8) == text)
    }

    @Test func fileToFileRoundTripAndARefusedSecondImport() throws {
        let source = try Self.populated()
        defer { source.remove() }
        let target = Tabbyctl()
        defer { target.remove() }
        let exported = try Self.export(["--datastore", source.datastore])
        let file = try source.file("export.yaml", exported)
        let imported = try runTabbyctl(["--datastore", target.datastore, "datastore", "migrate", "import", "-f", file])
        #expect(imported.status == 0 && imported.out.contains("imported 9 of 9 resource(s)"), "\(imported.err)")
        #expect(try Self.export(["--datastore", target.datastore]) == exported)
        let check = try runTabbyctl(["--datastore", target.datastore, "ipam", "check"])
        #expect(check.status == 0, "\(check.out)\(check.err)")

        let again = try runTabbyctl(["--datastore", target.datastore, "datastore", "migrate", "import", "-f", file])
        #expect(again.status == 1)
        #expect(again.err.contains("the target datastore already holds 9 of these resource(s); nothing was written"), "\(again.err)")
    }

    @Test(.enabled(if: EtcdTestServer.skipReason == nil, "etcd is not installed"))
    func fileToEtcdToFileKeepsEveryResource() async throws {
        let source = try Self.populated()
        defer { source.remove() }
        let back = Tabbyctl()
        defer { back.remove() }
        let etcd = try EtcdTestServer.start()
        defer { etcd.stop() }
        let onEtcd = ["DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": etcd.endpoint]

        let exported = try Self.export(["--datastore", source.datastore])
        let file = try source.file("export.yaml", exported)
        let toEtcd = try runTabbyctl(["datastore", "migrate", "import", "-f", file], variables: onEtcd)
        #expect(toEtcd.status == 0, "\(toEtcd.err)")
        let fromEtcd = try Self.export([], variables: onEtcd)
        #expect(Self.comparable(fromEtcd) == Self.comparable(exported))
        let check = try runTabbyctl(["ipam", "check"], variables: onEtcd)
        #expect(check.status == 0, "\(check.out)\(check.err)")
        let refused = try runTabbyctl(["datastore", "migrate", "import", "-f", file], variables: onEtcd)
        #expect(refused.status == 1 && refused.err.contains("nothing was written"), "\(refused.err)")

        let etcdFile = try source.file("from-etcd.yaml", fromEtcd)
        let toFile = try runTabbyctl(["--datastore", back.datastore, "datastore", "migrate", "import", "-f", etcdFile])
        #expect(toFile.status == 0, "\(toFile.err)")
        #expect(Self.comparable(try Self.export(["--datastore", back.datastore])) == Self.comparable(exported))
    }

    /// An export without what Calico's etcd model of the IPAM objects does not hold: their creationTimestamp
    /// and a `deleted: false` (the same as none).
    static func comparable(_ export: String) -> String {
        export.components(separatedBy: "---\n").map { document in
            let ipam = ["IPAMBlock", "BlockAffinity", "IPAMHandle", "IPAMConfiguration"].contains {
                document.contains("kind: \($0)\n")
            }
            guard ipam else { return document }
            return document.split(separator: "\n", omittingEmptySubsequences: false).filter {
                !$0.hasPrefix("  creationTimestamp:") && $0 != "  deleted: false"
            }.joined(separator: "\n")
        }.joined(separator: "---\n")
    }
}
