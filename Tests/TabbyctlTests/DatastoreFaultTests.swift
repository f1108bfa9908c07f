import CalicoAPI
import Datastore
import Foundation
import Glibc
import Testing

private let pool = """
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata: {name: pods}
    spec: {cidr: 198.51.100.0/24, blockSize: 28, vxlanMode: Always}
    """

private let nodeA = """
    apiVersion: projectcalico.org/v3
    kind: Node
    metadata: {name: node-a}
    spec: {bgp: {ipv4Address: 192.0.2.10/24}}
    """

/// A GlobalNetworkSet of `count` nets, so that its file takes several pages.
private func bigSet(_ name: String, count: Int = 400) -> String {
    let nets = (0..<count).map { "203.0.\($0 / 256 % 256).\($0 % 256)/32" }.joined(separator: ", ")
    return """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: \(name)}
        spec: {nets: [\(nets)]}
        """
}

/// Writes that fail because the datastore's filesystem is full or read-only: the error names the path and the
/// errno, no file is left half-written or as a temporary file, and what was stored before is intact.
@Suite(
    "tabbyctl: datastore faults", .serialized,
    .enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built"),
    .enabled(if: SmallFilesystem.canMount, "needs root to mount a small tmpfs"))
struct DatastoreFaultTests {
    @Test func applyOnAFullDiskFailsNamingThePathAndKeepsWhatWasStored() throws {
        let filesystem = try SmallFilesystem(kibibytes: 256)
        defer { filesystem.remove() }
        let ctl = Tabbyctl(datastore: filesystem.path + "/datastore")
        let manifest = try ctl.file("pool.yaml", pool)
        #expect(try ctl.run("apply", "-f", manifest).status == 0)
        let before = contents(under: ctl.datastore)
        // The manifests are written next to the datastore, so before the disk fills.
        let changed = try ctl.file("changed.yaml", pool.replacingOccurrences(of: "Always", with: "Never"))
        let set = try ctl.file("set.yaml", bigSet("big"))

        try filesystem.fill()
        let update = try ctl.run("apply", "-f", changed)
        #expect(update.status != 0)
        #expect(update.err.contains(ctl.datastore + "/ippools/"), "\(update.err)")
        #expect(update.err.contains("ENOSPC"), "\(update.err)")
        let create = try ctl.run("apply", "-f", set)
        #expect(create.status != 0)
        #expect(create.err.contains("ENOSPC"), "\(create.err)")

        // Nothing half-written, nothing left behind, nothing lost.
        #expect(temporaryFiles(under: ctl.datastore) == [])
        #expect(contents(under: ctl.datastore) == before)
        let shown = try ctl.run("get", "ippool", "pods", "-o", "yaml")
        #expect(shown.status == 0 && shown.out.contains("vxlanMode: Always"), "\(shown.out)\(shown.err)")

        // With space again, the same writes succeed.
        filesystem.empty()
        #expect(try ctl.run("apply", "-f", changed).status == 0)
        #expect(try ctl.run("apply", "-f", set).status == 0)
        #expect(try ctl.run("get", "ippool", "pods", "-o", "yaml").out.contains("vxlanMode: Never"))
    }

    @Test func ipamWritesOnAFullDiskFailAndLeaveIPAMConsistent() throws {
        let filesystem = try SmallFilesystem(kibibytes: 256)
        defer { filesystem.remove() }
        let ctl = Tabbyctl(datastore: filesystem.path + "/datastore")
        #expect(try ctl.run("apply", "-f", try ctl.file("pool.yaml", pool + "\n---\n" + nodeA)).status == 0)
        let first = try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-1")
        #expect(first.status == 0, "\(first.err)")
        let before = contents(under: ctl.datastore)

        try filesystem.fill()
        // An address from the node's block (rewrites the block) and one that needs a new block (a new affinity).
        let inBlock = try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-2")
        #expect(inBlock.status != 0)
        #expect(inBlock.err.contains("ENOSPC") && inBlock.err.contains(ctl.datastore + "/ipam/"), "\(inBlock.err)")
        let newBlock = try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-3", "--count", "20")
        #expect(newBlock.status != 0)
        #expect(newBlock.err.contains("ENOSPC"), "\(newBlock.err)")
        let release = try ctl.run("ipam", "release", "--handle", "pod-1")
        #expect(release.status != 0)
        #expect(release.err.contains("ENOSPC"), "\(release.err)")

        #expect(temporaryFiles(under: ctl.datastore) == [])
        #expect(contents(under: ctl.datastore) == before)
        filesystem.empty()
        let check = try ctl.run("ipam", "check")
        #expect(check.status == 0, "\(check.out)\(check.err)")
        #expect(try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-2").status == 0)
    }

    @Test func writesToAReadOnlyDatastoreFailWithEROFSAndReadsStillWork() throws {
        let filesystem = try SmallFilesystem(kibibytes: 256)
        defer { filesystem.remove() }
        let ctl = Tabbyctl(datastore: filesystem.path + "/datastore")
        #expect(try ctl.run("apply", "-f", try ctl.file("pool.yaml", pool + "\n---\n" + nodeA)).status == 0)
        #expect(try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-1").status == 0)
        let set = try ctl.file("set.yaml", bigSet("big", count: 3))
        let before = contents(under: ctl.datastore)

        try filesystem.setReadOnly(true)
        defer { try? filesystem.setReadOnly(false) }
        let apply = try ctl.run("apply", "-f", set)
        #expect(apply.status != 0)
        #expect(apply.err.contains(ctl.datastore) && apply.err.contains("EROFS"), "\(apply.err)")
        let assign = try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-2")
        #expect(assign.status != 0)
        #expect(assign.err.contains(ctl.datastore) && assign.err.contains("EROFS"), "\(assign.err)")
        let delete = try ctl.run("delete", "ippool", "pods")
        #expect(delete.status != 0)
        #expect(delete.err.contains("EROFS"), "\(delete.err)")

        // Reading needs no write: get, list and IPAM's view still work.
        #expect(try ctl.run("get", "ippool", "pods").status == 0)
        #expect(try ctl.run("ipam", "show").status == 0)
        #expect(contents(under: ctl.datastore) == before)

        try filesystem.setReadOnly(false)
        #expect(try ctl.run("ipam", "assign", "--node", "node-a", "--handle", "pod-2").status == 0)
    }
}
