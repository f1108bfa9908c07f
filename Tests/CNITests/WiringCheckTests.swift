import CNI
import Foundation
import NetworkAddress
import Testing

@Suite(wiringNeedsNamespaces) struct WiringCheckTests {
    @Test func checkPassesRightAfterAttach() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.40/32", "2001:db8::40/128"])
            let wired = try wiring.attach(spec)
            #expect(try wiring.check(spec) == wired)
        }
    }

    /// The kernel leaves IFLA_LINK out when a veth's peer has the link's own index (each namespace numbers its
    /// links itself): two ends with the same index are still one pair.
    @Test func checkPassesWhenBothEndsHaveTheSameIndex() async throws {
        try await WiringNamespaces.with { ns in
            // The node has lo, uplink0 and uplink0p: the host end will be 4; two links in the container make its
            // eth0 4 too.
            try await ns.ip(ns.container(), "link", "add", "pad0", "type", "veth", "peer", "name", "pad1")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.45/32"])
            let wired = try wiring.attach(spec)
            #expect(wired.hostIndex == wired.containerIndex)
            #expect(try wiring.check(spec) == wired)
        }
    }

    @Test func checkNamesARemovedRouteAndAChangedMTU() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.41/32", "2001:db8::41/128"])
            _ = try wiring.attach(spec)
            try await ns.ip(ns.node, "route", "del", "192.0.2.41/32", "dev", "calitest10000")
            try await ns.ip(ns.container(), "link", "set", "eth0", "mtu", "1400")
            let error = #expect(throws: CNIError.self) { try wiring.check(spec) }
            #expect(error?.code == .dataplaneFailure)
            let details = error?.details ?? ""
            #expect(details.contains("the node lacks route 192.0.2.41/32 dev calitest10000 scope link"), "\(details)")
            #expect(details.contains("container interface eth0 has MTU 1400, not 1440"), "\(details)")
            #expect(!details.contains("2001:db8::41"), "\(details)")
        }
    }

    @Test func checkNamesContainerRoutesAddressesAndSysctls() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.42/32", "2001:db8::42/128"])
            _ = try wiring.attach(spec)
            try await ns.ip(ns.container(), "-6", "route", "del", "default")
            try await ns.ip(ns.container(), "addr", "add", "198.51.100.9/32", "dev", "eth0")
            try await ns.exec(ns.node, "sh", "-c", "echo 0 > /proc/sys/net/ipv4/conf/calitest10000/proxy_arp")
            try await ns.ip(ns.node, "addr", "del", "fe80::ecee:eeff:feee:eeee/64", "dev", "calitest10000")
            let details = (#expect(throws: CNIError.self) { try wiring.check(spec) })?.details ?? ""
            #expect(
                details.contains("the container lacks route default via fe80::ecee:eeff:feee:eeee dev eth0"),
                "\(details)")
            #expect(details.contains("eth0 has unexpected address 198.51.100.9/32"), "\(details)")
            #expect(
                details.contains("node sysctl /proc/sys/net/ipv4/conf/calitest10000/proxy_arp is 0, not 1"),
                "\(details)")
        }
    }

    @Test func checkNamesAMissingInterface() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.43/32"])
            let details = (#expect(throws: CNIError.self) { try wiring.check(spec) })?.details ?? ""
            #expect(details.contains("host interface calitest10000 does not exist in the node namespace"), "\(details)")
            #expect(details.contains("container interface eth0 does not exist"), "\(details)")
        }
    }
}
