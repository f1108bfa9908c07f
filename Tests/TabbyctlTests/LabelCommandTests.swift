import Foundation
import Testing

private let node = """
    apiVersion: projectcalico.org/v3
    kind: Node
    metadata:
      name: node1
      labels: {cluster: frontend}
    spec: {}
    """

@Suite("tabbyctl label", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct LabelCommandTests {
    private func withNode(_ body: (Tabbyctl) throws -> Void) throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let applied = try ctl.run("apply", "-f", try ctl.file("node.yaml", node))
        try #require(applied.status == 0, "\(applied.err)")
        try body(ctl)
    }

    private func labels(_ ctl: Tabbyctl) throws -> String { try ctl.run("get", "node", "node1", "-o", "json").out }

    @Test func setAddsANewKey() throws {
        try withNode { ctl in
            let result = try ctl.run("label", "nodes", "node1", "rack=r1")
            #expect(result.status == 0, "\(result.err)")
            #expect(result.out == "Successfully set label rack on nodes node1\n")
            #expect(try labels(ctl).contains("\"rack\" : \"r1\""))
            #expect(try labels(ctl).contains("\"cluster\" : \"frontend\""))
        }
    }

    @Test func anExistingKeyNeedsOverwrite() throws {
        try withNode { ctl in
            let refused = try ctl.run("label", "node", "node1", "cluster=backend")
            #expect(refused.status == 1)
            #expect(refused.err.contains("key cluster is already present; use --overwrite"))
            #expect(try labels(ctl).contains("\"cluster\" : \"frontend\""))

            let same = try ctl.run("label", "node", "node1", "cluster=frontend")
            #expect(same.status == 0, "the same value needs no --overwrite, as in calicoctl")

            let overwritten = try ctl.run("label", "node", "node1", "cluster=backend", "--overwrite")
            #expect(overwritten.status == 0, "\(overwritten.err)")
            #expect(overwritten.out == "Successfully updated label cluster on node node1\n")
            #expect(try labels(ctl).contains("\"cluster\" : \"backend\""))
        }
    }

    @Test func removeNeedsTheKeyToExist() throws {
        try withNode { ctl in
            let removed = try ctl.run("label", "node", "node1", "cluster", "--remove")
            #expect(removed.status == 0, "\(removed.err)")
            #expect(removed.out == "Successfully removed label cluster from node node1\n")
            #expect(!(try labels(ctl).contains("cluster")))

            let again = try ctl.run("label", "node", "node1", "cluster", "--remove")
            #expect(again.status == 1)
            #expect(again.err.contains("cannot remove label of node node1, key cluster does not exist"))
        }
    }

    @Test func badInputAndMissingResources() throws {
        try withNode { ctl in
            let badKey = try ctl.run("label", "node", "node1", "a/b/c=x")
            #expect(badKey.status == 2)
            #expect(badKey.err.contains("invalid label key"))
            let badValue = try ctl.run("label", "node", "node1", "a=not valid")
            #expect(badValue.status == 2)
            let noValue = try ctl.run("label", "node", "node1", "cluster")
            #expect(noValue.status == 2)
            #expect(noValue.err.contains("expected key=value"))
            let both = try ctl.run("label", "node", "node1", "cluster", "--remove", "--overwrite")
            #expect(both.status == 2)
            let missing = try ctl.run("label", "node", "node9", "a=b")
            #expect(missing.status == 1)
            #expect(missing.err.contains("node node9 not found"))
        }
    }

    @Test func namespacedResourcesTakeANamespace() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let set = """
            apiVersion: projectcalico.org/v3
            kind: NetworkSet
            metadata: {name: db-hosts, namespace: shop}
            spec: {nets: [198.51.100.0/28]}
            """
        try #require(try ctl.run("apply", "-f", try ctl.file("set.yaml", set)).status == 0)
        let wrongNamespace = try ctl.run("label", "networkset", "db-hosts", "a=b")
        #expect(wrongNamespace.status == 1)
        let labelled = try ctl.run("label", "networkset", "db-hosts", "a=b", "-n", "shop")
        #expect(labelled.status == 0, "\(labelled.err)")
        #expect(try ctl.run("get", "networkset", "db-hosts", "-n", "shop", "-o", "yaml").out.contains("a: b"))
    }
}
