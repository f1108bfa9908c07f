import CMnl
import Foundation
import Glibc

/// `CLONE_NEWNET`, not exported by Swift's Glibc module (`tabby_setns` is the CMnl shim's).
private let cloneNewNet: Int32 = 0x4000_0000

/// The network namespaces of one run, all named `tabby-cnibench-<pid>-*` (run.sh deletes leftovers by that prefix):
/// the "node" the plugins run in, and one fresh namespace per container.
final class Namespaces {
    let prefix = "tabby-cnibench-\(getpid())"
    private(set) var live: Set<String> = []

    var node: String { "\(prefix)-node" }

    func path(_ name: String) -> String { "/var/run/netns/\(name)" }

    func create(_ name: String) throws {
        try Spawner.tool("ip", "netns", "add", name)
        live.insert(name)
        try Spawner.tool("ip", "-n", name, "link", "set", "lo", "up")
    }

    func delete(_ name: String) {
        guard live.remove(name) != nil else { return }
        try? Spawner.tool("ip", "netns", "delete", name)
    }

    func deleteAll() {
        // The container namespaces first, so that their veths leave the node while it still exists.
        for name in live.sorted() where name != node { delete(name) }
        delete(node)
    }

    /// Creates the node namespace and moves this (single-threaded) driver into it, so that every plugin it
    /// spawns runs there, as a runtime on that node would start it. `ip netns add` and `ip -n` are unaffected.
    func enterNode() throws {
        try create(node)
        let descriptor = open(path(node), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BenchError("open \(path(node)): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard tabby_setns(descriptor, cloneNewNet) == 0 else {
            throw BenchError("setns \(node): \(String(cString: strerror(errno)))")
        }
    }

    /// The node's links other than `lo`, as `ip -o link` lists them.
    func nodeLinks(scratch: String) throws -> [String] {
        try Spawner.tool("ip", "-n", node, "-o", "link", "show", outputPath: scratch)
        let text = (try? String(contentsOfFile: scratch, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { !$0.contains(": lo:") }
    }
}
