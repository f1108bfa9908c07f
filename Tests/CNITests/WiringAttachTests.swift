import CNI
import Foundation
import Netlink
import NetworkAddress
import Testing

/// attach in namespaces of the test's own: a "node" (the wiring's host namespace) and a "container".
@Suite(wiringNeedsNamespaces) struct WiringAttachTests {
    static func spec(_ namespaces: WiringNamespaces, _ number: Int = 1, addresses: [String], mtu: Int = 1440)
        -> WorkloadInterfaceSpec
    {
        WorkloadInterfaceSpec(
            hostInterface: "calitest\(number)0000", containerInterface: "eth0",
            containerNamespace: namespaces.containerPath(number), mtu: mtu, addresses: addresses.compactMap(CIDR.init))
    }

    @Test func attachBuildsCalicosWorkloadInterface() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = Self.spec(ns, addresses: ["192.0.2.10/32", "2001:db8::10/128"])
            let wired = try wiring.attach(spec)
            #expect(wired.hostInterface == "calitest10000" && wired.containerInterface == "eth0")
            #expect(wired.hostMAC.description == "ee:ee:ee:ee:ee:ee")

            // The node side: Calico's MAC, the MTU, up, the peer in the container.
            let host = try #require(try await ns.ipJSON(ns.node, "link", "show", "calitest10000").first)
            #expect(host["address"] as? String == "ee:ee:ee:ee:ee:ee")
            #expect(host["mtu"] as? Int == 1440)
            #expect(host["ifindex"] as? Int == Int(wired.hostIndex))
            #expect((host["flags"] as? [String])?.contains("UP") == true)
            // The host side's link-local address is the containers' IPv6 gateway, usable (not tentative) at once.
            let hostV6Addresses = try await ns.ip(ns.node, "-6", "addr", "show", "dev", "calitest10000")
            #expect(hostV6Addresses.contains("inet6 fe80::ecee:eeff:feee:eeee/64 scope link"))
            #expect(!hostV6Addresses.contains("tentative"))
            // No IPv4 address on the host side: proxy ARP answers for the gateway.
            #expect(!(try await ns.ip(ns.node, "-4", "addr", "show", "dev", "calitest10000")).contains("inet "))

            // The container side: eth0 at the MTU with the workload's MAC, lo up, the addresses.
            let eth0 = try #require(try await ns.ipJSON(ns.container(), "link", "show", "eth0").first)
            #expect(eth0["mtu"] as? Int == 1440)
            #expect(eth0["address"] as? String == wired.containerMAC.description)
            #expect(eth0["ifindex"] as? Int == Int(wired.containerIndex))
            #expect((eth0["flags"] as? [String])?.contains("UP") == true)
            let lo = try #require(try await ns.ipJSON(ns.container(), "link", "show", "lo").first)
            #expect((lo["flags"] as? [String])?.contains("UP") == true)
            let addresses =
                try await ns.ipJSON(ns.container(), "addr", "show", "dev", "eth0").first?["addr_info"]
                as? [[String: Any]] ?? []
            let global = addresses.filter { $0["scope"] as? String == "global" }
                .map { "\($0["local"] ?? "")/\($0["prefixlen"] ?? "")" }
            #expect(global == ["192.0.2.10/32", "2001:db8::10/128"])

            // The container's routes: Calico's 169.254.1.1 gateway and the IPv6 link-local one.
            let v4Routes = try await ns.ip(ns.container(), "-4", "route", "show")
            #expect(v4Routes.contains("default via 169.254.1.1 dev eth0"))
            #expect(v4Routes.contains("169.254.1.1 dev eth0 scope link"))
            let v6Routes = try await ns.ip(ns.container(), "-6", "route", "show", "default")
            #expect(v6Routes.contains("default via fe80::ecee:eeff:feee:eeee dev eth0"))

            // The node's routes to the workload, as tabbyd programs them (proto boot, kernel metric).
            let hostV4 = try await ns.ipJSON(ns.node, "-d", "-4", "route", "show", "dev", "calitest10000")
            #expect(hostV4.count == 1)
            #expect(hostV4.first?["dst"] as? String == "192.0.2.10")
            #expect(hostV4.first?["scope"] as? String == "link")
            #expect(hostV4.first?["protocol"] as? String == "boot")
            let hostV6 = try await ns.ipJSON(ns.node, "-d", "-6", "route", "show", "2001:db8::10/128")
            #expect(hostV6.first?["dev"] as? String == "calitest10000")
            #expect(hostV6.first?["protocol"] as? String == "boot")
            #expect(hostV6.first?["metric"] as? Int == 1024)
        }
    }

    @Test func attachSetsCalicosSysctls() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            // The container inherits forwarding from the namespace it was made in; Calico turns it off.
            try await ns.exec(ns.container(), "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")
            // A namespace with IPv6 off would refuse the IPv6 default route (EACCES): Calico turns it on.
            try await ns.exec(
                ns.container(), "sh", "-c",
                "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"
            )
            _ = try wiring.attach(Self.spec(ns, addresses: ["192.0.2.11/32", "2001:db8::11/128"]))
            #expect(
                try await ns.ip(ns.container(), "-6", "route", "show", "default").contains("fe80::ecee:eeff:feee:eeee"))
            let host = "calitest10000"
            let expectedNode = [
                "ipv4/conf/\(host)/proxy_arp": "1", "ipv4/neigh/\(host)/proxy_delay": "0",
                "ipv4/conf/\(host)/forwarding": "1", "ipv4/conf/\(host)/route_localnet": "1",
                "ipv6/conf/\(host)/proxy_ndp": "1", "ipv6/conf/\(host)/forwarding": "1",
                "ipv6/conf/\(host)/accept_ra": "0", "ipv6/conf/\(host)/disable_ipv6": "0",
                "ipv6/conf/\(host)/accept_dad": "0",
            ]
            for (path, value) in expectedNode {
                #expect(try await ns.sysctl(ns.node, path) == value, "node \(path)")
            }
            let expectedContainer = [
                "ipv4/ip_forward": "0", "ipv6/conf/all/forwarding": "0", "ipv6/conf/eth0/accept_dad": "0",
                "ipv6/conf/all/disable_ipv6": "0", "ipv6/conf/default/disable_ipv6": "0",
                "ipv6/conf/lo/disable_ipv6": "0", "ipv6/conf/eth0/disable_ipv6": "0",
            ]
            for (path, value) in expectedContainer {
                #expect(try await ns.sysctl(ns.container(), path) == value, "container \(path)")
            }
        }
    }

    @Test func ipv4OnlyWorkloadGetsNoIPv6Route() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            _ = try wiring.attach(Self.spec(ns, addresses: ["192.0.2.12/32"], mtu: 1500))
            #expect(try await ns.ip(ns.container(), "-6", "route", "show", "default").isEmpty)
            #expect(try await ns.ip(ns.container(), "-4", "route", "show").contains("default via 169.254.1.1"))
            #expect(
                try await ns.ipJSON(ns.node, "-6", "route", "show", "dev", "calitest10000", "proto", "boot").isEmpty)
        }
    }

    @Test func retriedAttachReplacesTheLeftoverVeth() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let first = try wiring.attach(Self.spec(ns, addresses: ["192.0.2.13/32"]))
            let second = try wiring.attach(Self.spec(ns, addresses: ["192.0.2.14/32"]))
            #expect(second.hostIndex != first.hostIndex)
            #expect(try await ns.linkNames(ns.node).filter { $0.hasPrefix("cali") } == ["calitest10000"])
            let routes = try await ns.ip(ns.node, "-4", "route", "show", "dev", "calitest10000")
            #expect(routes.contains("192.0.2.14") && !routes.contains("192.0.2.13"))
            let addresses = try await ns.ip(ns.container(), "-4", "addr", "show", "dev", "eth0")
            #expect(addresses.contains("192.0.2.14/32") && !addresses.contains("192.0.2.13"))
        }
    }

    /// The plugin's own mode: no node path, the calling thread's namespace is the node (here a thread that entered
    /// the test's node namespace).
    @Test func attachCheckAndDetachInTheCallersOwnNamespace() async throws {
        try await WiringNamespaces.with { ns in
            let node = try NetworkNamespace(path: ns.nodePath)
            let spec = Self.spec(ns, addresses: ["192.0.2.15/32", "2001:db8::15/128"])
            let (wired, checked, ownNamespace) = try node.perform {
                let wiring = WorkloadWiring()
                let wired = try wiring.attach(spec)
                let checked = try wiring.check(spec)
                var own = spec
                own.containerNamespace = ns.nodePath
                let ownNamespace = #expect(throws: CNIError.self) { try wiring.attach(own) }
                return (wired, checked, ownNamespace)
            }
            #expect(checked == wired)
            #expect(ownNamespace?.code == .unknownContainer)
            #expect(ownNamespace?.details.contains("the node's own network namespace") == true)
            #expect(try await ns.ip(ns.node, "-4", "route", "show", "dev", "calitest10000").contains("192.0.2.15"))
            #expect(try await ns.ip(ns.container(), "-4", "addr", "show", "dev", "eth0").contains("192.0.2.15/32"))
            #expect(try await ns.sysctl(ns.node, "ipv4/conf/calitest10000/proxy_arp") == "1")
            try node.perform {
                try WorkloadWiring().detach(
                    hostInterface: "calitest10000", containerNamespace: spec.containerNamespace,
                    containerInterface: "eth0")
            }
            try await WiringFailureTests.expectNothingLeft(ns)
        }
    }

    /// A runtime starts pods in parallel: attaches on one node at once do not disturb each other.
    @Test func parallelAttachesOnOneNode() async throws {
        let count = 6
        try await WiringNamespaces.with(containers: count) { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let specs = (1...count).map {
                Self.spec(ns, $0, addresses: ["192.0.2.\(60 + $0)/32", "2001:db8::\(60 + $0)/128"])
            }
            let results = ParallelResults(count: count)
            DispatchQueue.concurrentPerform(iterations: count) { index in
                results.set(index, Result { try wiring.attach(specs[index]) })
            }
            for (index, result) in results.all.enumerated() {
                let wired = try #require(try result?.get())
                #expect(try wiring.check(specs[index]) == wired)
            }
            let routes = try await ns.ip(ns.node, "-4", "route", "show", "proto", "boot")
            #expect(routes.split(separator: "\n").filter { $0.contains("dev calitest") }.count == count)
        }
    }
}

/// Results written by concurrent workers, each to its own slot.
final class ParallelResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<WiredInterface, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<WiredInterface, any Error>) {
        lock.withLock { results[index] = result }
    }

    var all: [Result<WiredInterface, any Error>?] { lock.withLock { results } }
}
