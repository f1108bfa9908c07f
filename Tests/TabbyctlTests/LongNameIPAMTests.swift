import Foundation
import Testing

/// A Node with the longest name Kubernetes allows, and the IPAM objects named after it (its block affinities,
/// its tunnel address handles), stored, used and released through tabbyctl on the file datastore.
@Suite("tabbyctl: long names", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct LongNameIPAMTests {
    /// 253 characters: three 63-character labels and a 61-character one, joined by dots.
    static let node =
        (1...3).map { String(repeating: "n", count: 62) + "\($0)" }.joined(separator: ".") + "."
        + String(repeating: "x", count: 61)

    @Test func aNodeOf253CharactersGetsAndReleasesAddressesAndTunnelHandles() throws {
        #expect(Self.node.count == 253)
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let manifest = """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: pods}
            spec: {cidr: 198.51.100.0/24, blockSize: 28, vxlanMode: Always}
            ---
            apiVersion: projectcalico.org/v3
            kind: Node
            metadata: {name: \(Self.node)}
            spec: {bgp: {ipv4Address: 192.0.2.10/24}}
            """
        let applied = try ctl.run("apply", "-f", try ctl.file("node.yaml", manifest))
        #expect(applied.status == 0, "\(applied.err)")
        let shown = try ctl.run("get", "node", Self.node, "-o", "yaml")
        #expect(shown.status == 0 && shown.out.contains(Self.node), "\(shown.err)")

        // A workload handle of 253 characters, and the tunnel handle tabbyd uses (18 characters longer).
        let handle = String(repeating: "h", count: 253)
        let tunnelHandle = "vxlan-tunnel-addr-" + Self.node
        for name in [handle, tunnelHandle] {
            let assigned = try ctl.run("ipam", "assign", "--node", Self.node, "--handle", name)
            #expect(assigned.status == 0, "\(assigned.err)")
        }
        let blocks = try ctl.run("ipam", "show", "--show-blocks")
        #expect(blocks.out.contains("198.51.100."), "\(blocks.out)")
        let check = try ctl.run("ipam", "check")
        #expect(check.status == 0, "\(check.out)\(check.err)")

        // Every file name fits, with room for the temporary file's.
        let all = FileManager.default.enumerator(atPath: ctl.datastore)?.allObjects as? [String] ?? []
        #expect(!all.isEmpty)
        #expect(all.allSatisfy { ($0 as NSString).lastPathComponent.utf8.count <= 250 }, "\(all)")

        for name in [handle, tunnelHandle] {
            let released = try ctl.run("ipam", "release", "--handle", name)
            #expect(released.status == 0 && released.out.contains("Released 1 address(es)"), "\(released.err)")
        }
        #expect(try ctl.run("ipam", "check").status == 0)
        #expect(try ctl.run("delete", "node", Self.node).status == 0)
    }
}
