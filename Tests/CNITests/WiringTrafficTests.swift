import CNI
import Foundation
import NetworkAddress
import Testing

/// End to end through the node: two workloads on one node reach each other over Calico's gateway trick (proxy ARP
/// for 169.254.1.1, the host side's link-local for IPv6) and the node's /32 and /128 routes.
@Suite(wiringNeedsNamespaces) struct WiringTrafficTests {
    @Test func twoWorkloadsOnANodePingEachOtherOverIPv4AndIPv6() async throws {
        try await WiringNamespaces.with(containers: 2) { ns in
            // IPv6 forwarding is global; tabbyd sets it on a node (Felix's configureKernel).
            try await ns.exec(ns.node, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            _ = try wiring.attach(WiringAttachTests.spec(ns, 1, addresses: ["192.0.2.51/32", "2001:db8::51/128"]))
            _ = try wiring.attach(WiringAttachTests.spec(ns, 2, addresses: ["192.0.2.52/32", "2001:db8::52/128"]))
            try await ns.exec(ns.container(1), "ping", "-c", "1", "-W", "2", "192.0.2.52")
            try await ns.exec(ns.container(2), "ping", "-c", "1", "-W", "2", "192.0.2.51")
            try await ns.exec(ns.container(1), "ping", "-6", "-c", "1", "-W", "2", "2001:db8::52")
            try await ns.exec(ns.container(2), "ping", "-6", "-c", "1", "-W", "2", "2001:db8::51")
        }
    }

    /// With `addr_gen_mode` 1 the kernel makes no link-local address: the gateway exists only because attach adds it.
    @Test func ipv6GatewayDoesNotDependOnTheNodesAddressGeneration() async throws {
        try await WiringNamespaces.with(containers: 2) { ns in
            try await ns.exec(ns.node, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding")
            try await ns.exec(ns.node, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/default/addr_gen_mode")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            _ = try wiring.attach(WiringAttachTests.spec(ns, 1, addresses: ["2001:db8::55/128"]))
            _ = try wiring.attach(WiringAttachTests.spec(ns, 2, addresses: ["2001:db8::56/128"]))
            try await ns.exec(ns.container(1), "ping", "-6", "-c", "1", "-W", "2", "2001:db8::56")
        }
    }

    @Test func detachedWorkloadIsUnreachable() async throws {
        try await WiringNamespaces.with(containers: 2) { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            _ = try wiring.attach(WiringAttachTests.spec(ns, 1, addresses: ["192.0.2.53/32"]))
            _ = try wiring.attach(WiringAttachTests.spec(ns, 2, addresses: ["192.0.2.54/32"]))
            try await ns.exec(ns.container(1), "ping", "-c", "1", "-W", "2", "192.0.2.54")
            try wiring.detach(
                hostInterface: "calitest20000", containerNamespace: ns.containerPath(2), containerInterface: "eth0")
            await #expect(throws: WiringToolFailure.self) {
                try await ns.exec(ns.container(1), "ping", "-c", "1", "-W", "1", "192.0.2.54")
            }
        }
    }
}
