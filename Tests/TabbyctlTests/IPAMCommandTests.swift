import Foundation
import Testing

/// The Nodes the IPAM command tests assign for: automatic assignment needs the node's Node, as in Calico.
let ipamNodes = """
    apiVersion: projectcalico.org/v3
    kind: Node
    metadata: {name: node-a}
    ---
    apiVersion: projectcalico.org/v3
    kind: Node
    metadata: {name: n}
    """

@Suite(
    "tabbyctl ipam configure and split", .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"))
struct IPAMCommandTests {
    @Test func configure() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let strict = try ctl.run("ipam", "configure", "--strictaffinity=true")
        #expect(strict.status == 0, "\(strict.err)")
        #expect(strict.out == "Successfully set StrictAffinity to: true\n")
        let both = try ctl.run("ipam", "configure", "--strictaffinity=True", "--max-blocks-per-host=3")
        #expect(both.out == "Successfully set StrictAffinity to: true\nSuccessfully set MaxBlocksPerHost to: 3\n")
        let stored = try ctl.run("get", "ipamconfigurations", "default", "-o", "yaml")
        #expect(
            stored.out.contains("maxBlocksPerHost: 3") && stored.out.contains("strictAffinity: true"), "\(stored.out)")

        let nothing = try ctl.run("ipam", "configure")
        #expect(nothing.status == 2)
        #expect(nothing.err.contains("at least one configuration option must be specified"))
        let bad = try ctl.run("ipam", "configure", "--strictaffinity=maybe")
        #expect(bad.status == 2)
        #expect(bad.err.contains("Use true or false to set strictaffinity"))
        #expect(try ctl.run("ipam", "configure", "--max-blocks-per-host=-1").status == 2)
        // Calico's rule: a block limit needs strict affinity.
        let loose = try ctl.run("ipam", "configure", "--strictaffinity=false")
        #expect(loose.status == 2)
        #expect(loose.err.contains("maxBlocksPerHost"), "\(loose.err)")
    }

    @Test func split() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        #expect(try ctl.run("apply", "-f", try ctl.file("pools.yaml", pools)).status == 0)
        #expect(try ctl.run("apply", "-f", try ctl.file("nodes.yaml", ipamNodes)).status == 0)
        #expect(try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-1", "--pool", "edge").status == 0)

        let enabled = try ctl.run("ipam", "split", "2", "--name", "edge")
        #expect(enabled.status == 2)
        #expect(enabled.err.contains("cannot split IP pool edge: disable it first"), "\(enabled.err)")
        let disabled = """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: edge}
            spec: {cidr: 192.0.2.0/24, vxlanMode: CrossSubnet, disabled: true}
            """
        #expect(try ctl.run("apply", "-f", try ctl.file("edge.yaml", disabled)).status == 0)
        #expect(try ctl.run("ipam", "split", "3", "--cidr=192.0.2.0/24").status == 2)
        #expect(try ctl.run("ipam", "split", "2").status == 2)
        let done = try ctl.run("ipam", "split", "2", "--cidr=192.0.2.0/24")
        #expect(done.status == 0, "\(done.err)")
        #expect(
            done.out == """
                IP pool 192.0.2.0/24 was successfully split into 2 smaller pools.
                Created split-edge-0 with CIDR 192.0.2.0/25
                Created split-edge-1 with CIDR 192.0.2.128/25

                """)
        let names = try ctl.run("get", "ippools").out
        #expect(names.contains("split-edge-0") && names.contains("split-edge-1") && !names.contains("edge "))
        #expect(try ctl.run("ipam", "check").status == 0)
    }

    @Test func poolEditsThatWouldDuplicateAddressesAreRefused() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        #expect(try ctl.run("apply", "-f", try ctl.file("pools.yaml", pools)).status == 0)
        let resized = """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: edge}
            spec: {cidr: 192.0.2.0/24, vxlanMode: CrossSubnet, blockSize: 28}
            """
        let refused = try ctl.run("apply", "-f", try ctl.file("resized.yaml", resized))
        #expect(refused.status == 1, "apply exits 1 when a write fails")
        #expect(refused.err.contains("IPPool BlockSize cannot be modified"), "\(refused.err)")
        let overlapping = """
            apiVersion: projectcalico.org/v3
            kind: IPPool
            metadata: {name: inside}
            spec: {cidr: 192.0.2.64/26}
            """
        let overlap = try ctl.run("apply", "-f", try ctl.file("inside.yaml", overlapping))
        #expect(overlap.status == 1)
        #expect(
            overlap.err.contains("IPPool(inside) CIDR overlaps with IPPool(edge) CIDR 192.0.2.0/24"), "\(overlap.err)")
    }
}
