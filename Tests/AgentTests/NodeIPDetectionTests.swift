import Dataplane
import Netlink
import Testing

@Suite(
    "Node IP detection",
    .enabled(if: canCreateNamespaces, "needs root and `ip netns add` to create network namespaces"))
struct NodeIPDetectionTests {
    /// Opens the kernel inside the namespace.
    private func socket(in namespace: TestNamespace) throws -> NetlinkKernel {
        try NetlinkKernel(namespaceNamed: namespace.name)
    }

    @Test func theAddressOfTheInterfaceWithTheDefaultRoute() throws {
        try TestNamespace.with { namespace in
            try namespace.ip("link", "add", "uplink0", "type", "veth", "peer", "name", "uplink1")
            try namespace.ip("link", "add", "side0", "type", "veth", "peer", "name", "side1")
            for link in ["uplink0", "uplink1", "side0", "side1"] { try namespace.ip("link", "set", link, "up") }
            try namespace.ip("addr", "add", "203.0.113.5/24", "dev", "side0")
            // Two primary addresses on the uplink; the one whose subnet holds the gateway wins.
            try namespace.ip("addr", "add", "198.51.100.7/24", "dev", "uplink0")
            try namespace.ip("addr", "add", "192.0.2.10/24", "dev", "uplink0")
            try namespace.ip("route", "add", "default", "via", "192.0.2.1", "dev", "uplink0")

            let detected = try NodeIPDetection.detect(using: try socket(in: namespace))
            #expect(detected.address.description == "192.0.2.10/24")
            #expect(detected.interfaceName == "uplink0")
            #expect(detected.gateway == "192.0.2.1")
            #expect(detected.description == "192.0.2.10/24 on uplink0")
        }
    }

    @Test func theLowestMetricDefaultRouteWins() throws {
        try TestNamespace.with { namespace in
            try namespace.ip("link", "add", "a0", "type", "veth", "peer", "name", "a1")
            try namespace.ip("link", "add", "b0", "type", "veth", "peer", "name", "b1")
            for link in ["a0", "a1", "b0", "b1"] { try namespace.ip("link", "set", link, "up") }
            try namespace.ip("addr", "add", "192.0.2.10/24", "dev", "a0")
            try namespace.ip("addr", "add", "198.51.100.20/25", "dev", "b0")
            try namespace.ip("route", "add", "default", "via", "192.0.2.1", "dev", "a0", "metric", "200")
            try namespace.ip("route", "add", "default", "via", "198.51.100.1", "dev", "b0", "metric", "100")

            let detected = try NodeIPDetection.detect(using: try socket(in: namespace))
            #expect(detected.address.description == "198.51.100.20/25")
            #expect(detected.interfaceName == "b0")
        }
    }

    @Test func aDeviceDefaultRouteWithoutGatewayUsesThePrimaryAddress() throws {
        try TestNamespace.with { namespace in
            try namespace.ip("link", "add", "p0", "type", "veth", "peer", "name", "p1")
            for link in ["p0", "p1"] { try namespace.ip("link", "set", link, "up") }
            try namespace.ip("addr", "add", "203.0.113.9/28", "dev", "p0")
            try namespace.ip("addr", "add", "203.0.113.10/28", "dev", "p0")  // becomes secondary
            try namespace.ip("route", "add", "default", "dev", "p0")

            let detected = try NodeIPDetection.detect(using: try socket(in: namespace))
            #expect(detected.address.description == "203.0.113.9/28")
            #expect(detected.gateway == nil)
        }
    }

    @Test func withoutADefaultRouteTheErrorSaysWhatToDo() throws {
        try TestNamespace.with { namespace in
            let error = try #require(
                throws: NodeIPDetectionError.self,
                performing: { try NodeIPDetection.detect(using: try socket(in: namespace)) })
            #expect(
                error.description
                    == "cannot detect the node IP: there is no IPv4 default route in the main table; "
                    + "set it with --node-ip (like 192.0.2.10/24)")
        }
    }

    @Test func anInterfaceWithoutAnAddressIsReported() throws {
        try TestNamespace.with { namespace in
            try namespace.ip("link", "add", "bare0", "type", "veth", "peer", "name", "bare1")
            for link in ["bare0", "bare1"] { try namespace.ip("link", "set", link, "up") }
            try namespace.ip("route", "add", "default", "dev", "bare0")
            let error = try #require(
                throws: NodeIPDetectionError.self,
                performing: { try NodeIPDetection.detect(using: try socket(in: namespace)) })
            #expect(error.reason == "bare0, which holds the default route, has no global IPv4 address")
        }
    }
}
