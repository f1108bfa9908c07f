import Foundation
import Glibc

/// A fresh network namespace set up as node-0: `lo` up, the underlay `eth0` (a veth, 192.0.2.1/24, up) and a
/// veth pair per workload interface (`caliXXXXXXXXXXX` with peer `bpN`, both up, both in this namespace: no
/// packet is sent, the routes only need the device). Created with one `ip -batch`.
final class NodeNamespace {
    let name: String
    private let cleanup: Cleanup

    init(name: String, interfaces: [String], scratch: String, cleanup: Cleanup) throws {
        self.name = name
        self.cleanup = cleanup
        try Processes.run("ip", "netns", "add", name)
        cleanup.created(namespace: name)
        var lines = [
            "link set lo up", "link add eth0 type veth peer name eth0p",
            "address add \(Cluster.localAddress) dev eth0", "link set eth0p up", "link set eth0 up",
        ]
        for (number, interface) in interfaces.enumerated() {
            lines.append("link add \(interface) type veth peer name bp\(number)")
        }
        for (number, interface) in interfaces.enumerated() {
            lines.append("link set bp\(number) up")
            lines.append("link set \(interface) up")
        }
        let path = scratch + "/\(name)-setup.batch"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        try Processes.run("ip", "-n", name, "-batch", path)
    }

    deinit {
        try? Processes.run("ip", "netns", "delete", name)
        cleanup.deleted(namespace: name)
    }
}
