import Dataplane
import NetworkAddress
import Testing

@testable import Agent

/// calico-node's address rules against a real kernel, in network namespaces the tests create and delete.
@Suite(
    "Node address detection",
    .enabled(if: canCreateNamespaces, "needs root and `ip netns add` to create network namespaces"))
struct NodeAddressDetectionTests {
    /// Resolves `setting` in the namespace as the agent does.
    private func resolve(
        _ setting: NodeAddressSetting, _ method: AutodetectionMethod = .firstFound, family: IPFamily = .v4,
        in namespace: TestNamespace
    ) throws -> ResolvedNodeAddress? {
        let kernel = try NetlinkKernel(namespaceNamed: namespace.name)
        return try NodeAddressDetection.resolve(
            setting, method: method, family: family, interfaces: try HostInterface.list(from: kernel, family: family),
            routes: kernel)
    }

    private func detectionError(
        _ setting: NodeAddressSetting, _ method: AutodetectionMethod = .firstFound, in namespace: TestNamespace
    ) throws -> NodeAddressError {
        try #require(throws: NodeAddressError.self, performing: { try resolve(setting, method, in: namespace) })
    }

    /// A veth pair with both ends up and `address` on the first.
    private func link(_ name: String, _ address: String?, in namespace: TestNamespace) throws {
        try namespace.ip("link", "add", name, "type", "veth", "peer", "name", name + "p")
        try namespace.ip("link", "set", name, "up")
        try namespace.ip("link", "set", name + "p", "up")
        if let address { try namespace.ip("addr", "add", address, "dev", name) }
    }

    @Test func aBareAddressTakesTheSubnetOfTheInterfaceHoldingIt() throws {
        try TestNamespace.with { namespace in
            try link("uplink0", "198.51.100.9/25", in: namespace)
            try link("side0", "192.0.2.1/24", in: namespace)
            let found = try #require(try resolve(.address(IPAddress("192.0.2.1")!), in: namespace))
            #expect(found.address == CIDR("192.0.2.1/24") && found.interfaceName == "side0")
            #expect(found.description == "192.0.2.1/24 on side0")

            let error = try detectionError(.address(IPAddress("192.0.2.2")!), in: namespace)
            #expect(error.reason.hasPrefix("no interface holds 192.0.2.2, so its subnet is unknown"), "\(error)")
            // Written with its subnet it is taken as written, held or not.
            #expect(try resolve(.network(CIDR("203.0.113.4/28")!), in: namespace)?.address == CIDR("203.0.113.4/28"))
        }
    }

    @Test func firstFoundSkipsCalicoNodesInterfacesAndTakesTheNewestOther() throws {
        try TestNamespace.with { namespace in
            try namespace.ip("addr", "add", "203.0.113.1/32", "dev", "lo")
            try namespace.ip("link", "set", "lo", "up")
            try link("eth0", "192.0.2.10/24", in: namespace)
            try link("eth1", "198.51.100.10/24", in: namespace)
            try link("docker0", "203.0.113.17/28", in: namespace)
            try link("cali1234", "203.0.113.33/28", in: namespace)
            try link("vxlan.calico", "203.0.113.49/28", in: namespace)
            // The newest interface holds only a link-local address: not global, so not taken.
            try link("ens9", "169.254.1.1/16", in: namespace)
            let found = try #require(try resolve(.autodetect, in: namespace))
            #expect(found.address == CIDR("198.51.100.10/24") && found.interfaceName == "eth1", "\(found)")

            let skipping = try resolve(.autodetect, .skipInterface(["eth1", "^ens"]), in: namespace)
            #expect(skipping?.address == CIDR("192.0.2.10/24"))
            let chosen = try resolve(.autodetect, .interface(["^dock", "nomatch"]), in: namespace)
            #expect(chosen?.address == CIDR("203.0.113.17/28") && chosen?.interfaceName == "docker0")
            let inside = try resolve(.autodetect, .cidr([CIDR("192.0.2.0/24")!]), in: namespace)
            #expect(inside?.address == CIDR("192.0.2.10/24") && inside?.interfaceName == "eth0")

            let none = try detectionError(.autodetect, .interface(["^wlan"]), in: namespace)
            #expect(none.reason == "no global IPv4 address on an interface matching interface=^wlan")
            let outside = try detectionError(.autodetect, .cidr([CIDR("10.0.0.0/8")!]), in: namespace)
            #expect(outside.reason == "no global IPv4 address inside cidr=10.0.0.0/8")
        }
    }

    @Test func firstFoundWithOnlySkippedInterfacesFails() throws {
        try TestNamespace.with { namespace in
            try link("veth0", "192.0.2.10/24", in: namespace)
            let error = try detectionError(.autodetect, in: namespace)
            #expect(error.reason == "no global IPv4 address on an interface calico-node does not skip")
        }
    }

    @Test func canReachTakesTheSourceAddressOfTheRoute() throws {
        try TestNamespace.with { namespace in
            try link("a0", "192.0.2.10/24", in: namespace)
            try link("b0", "198.51.100.10/24", in: namespace)
            try namespace.ip("route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "b0")
            let found = try resolve(.autodetect, .canReach(IPAddress("203.0.113.50")!), in: namespace)
            #expect(
                found?.address == CIDR("198.51.100.10/24") && found?.interfaceName == "b0",
                "\(String(describing: found))")
            let direct = try resolve(.autodetect, .canReach(IPAddress("192.0.2.99")!), in: namespace)
            #expect(direct?.interfaceName == "a0")

            let unreachable = try detectionError(.autodetect, .canReach(IPAddress("10.1.2.3")!), in: namespace)
            #expect(unreachable.reason.hasPrefix("no route to 10.1.2.3 (ENETUNREACH"), "\(unreachable)")
        }
    }

    @Test func ipv6AddressesByTheSameRules() throws {
        try TestNamespace.with { namespace in
            try link("eth0", nil, in: namespace)
            try namespace.ip("-6", "addr", "add", "2001:db8:5::10/64", "dev", "eth0", "nodad")
            let bare = try resolve(.address(IPAddress("2001:db8:5::10")!), family: .v6, in: namespace)
            #expect(bare?.address == CIDR("2001:db8:5::10/64"))
            // fe80:: on eth0 comes first in the kernel's list but is not global.
            let found = try resolve(.autodetect, family: .v6, in: namespace)
            #expect(found?.address == CIDR("2001:db8:5::10/64") && found?.interfaceName == "eth0")
            #expect(try resolve(.none, family: .v6, in: namespace) == nil)
        }
    }
}
