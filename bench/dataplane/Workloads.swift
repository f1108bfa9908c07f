import NetworkAddress
import Calculation
import CalicoAPI
import Dataplane
import Foundation

// The node of bench/agent, for the resync with sysctls: 100 workload interfaces (a veth pair each, both ends in
// the namespace) with a /32 route, a permanent neighbour and Felix's 8 sysctls each, plus the VXLAN node with
// 199 remote blocks and 200 VTEPs: 802 sysctls, as tabbyd programs them.

func workloadInterface(_ index: Int) -> String { String(format: "cali%011d", index) }
func workloadAddress(_ index: Int) -> String { "10.255.\(index >> 8).\(index & 0xff)" }
func workloadMAC(_ index: Int) -> String { String(format: "0a:58:0a:ff:%02x:%02x", index >> 8, index & 0xff) }

/// The interfaces of `count` workloads, created with one `ip -batch` in the namespace.
func addWorkloadInterfaces(_ count: Int, namespace: String) throws {
    var lines: [String] = []
    for index in 0..<count { lines.append("link add \(workloadInterface(index)) type veth peer name bp\(index)") }
    for index in 0..<count {
        lines.append("link set bp\(index) up")
        lines.append("link set \(workloadInterface(index)) up")
    }
    let path = FileManager.default.temporaryDirectory.path + "/tabby-bench-\(getpid())-workloads.batch"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    try run("ip", "-n", namespace, "-batch", path)
}

/// `desiredNode(routes:)` plus `count` workloads, each with its route, neighbour and sysctls.
func desiredWorkloadNode(remoteBlocks: Int, workloads count: Int) -> DesiredDataplane {
    var desired = desiredNode(routes: remoteBlocks)
    desired.sysctls["net/ipv4/ip_forward"] = "1"
    desired.sysctls["net/ipv6/conf/all/forwarding"] = "1"
    for index in 0..<count {
        let interface = workloadInterface(index)
        let address = IPAddress(workloadAddress(index))!
        let destination = CIDR(host: address)
        desired.routes[destination] = DesiredRoute(
            destination: destination, target: .interface(interface), kind: .localWorkload, routeProtocol: 80)
        desired.neighbors.insert(DesiredNeighbor(interface: interface, address: address, mac: MACAddress(workloadMAC(index))!))
        for (path, value) in [
            ("ipv4/conf/\(interface)/proxy_arp", "1"), ("ipv4/neigh/\(interface)/proxy_delay", "0"),
            ("ipv4/conf/\(interface)/forwarding", "1"), ("ipv4/conf/\(interface)/route_localnet", "1"),
            ("ipv4/conf/\(interface)/rp_filter", "1"), ("ipv6/conf/\(interface)/accept_ra", "0"),
            ("ipv6/conf/\(interface)/proxy_ndp", "1"), ("ipv6/conf/\(interface)/forwarding", "1"),
        ] {
            desired.sysctls["net/" + path] = value
        }
    }
    return desired
}

/// What a script-based agent replays for the workloads at each resync, on top of `scripts(routes:)`'s ip and
/// bridge files: their routes and neighbours (ip -batch), and every sysctl (the arguments of one `sysctl -w`).
func workloadScripts(_ desired: DesiredDataplane, workloads count: Int) throws -> (ip: String, sysctl: [String]) {
    var lines: [String] = []
    for index in 0..<count {
        let interface = workloadInterface(index)
        lines.append("route replace \(workloadAddress(index))/32 dev \(interface) proto 80 scope link")
        lines.append(
            "neigh replace \(workloadAddress(index)) lladdr \(workloadMAC(index)) dev \(interface) nud permanent")
    }
    let path = FileManager.default.temporaryDirectory.path + "/tabby-bench-\(getpid())-workloads-ip.batch"
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    let sysctl = desired.sysctls.sorted { $0.key < $1.key }.map {
        "\($0.key.replacingOccurrences(of: "/", with: "."))=\($0.value)"
    }
    return (path, sysctl)
}
