import CNI
import Foundation
import NetworkAddress
import Testing

@Suite(wiringNeedsNamespaces) struct WiringDetachTests {
    @Test func detachRemovesEverythingAndIsIdempotent() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            _ = try wiring.attach(WiringAttachTests.spec(ns, addresses: ["192.0.2.30/32", "2001:db8::30/128"]))
            try wiring.detach(
                hostInterface: "calitest10000", containerNamespace: ns.containerPath(), containerInterface: "eth0")
            try await WiringFailureTests.expectNothingLeft(ns)
            // Again, and with the namespace gone or not given: nothing to do is success.
            try wiring.detach(
                hostInterface: "calitest10000", containerNamespace: ns.containerPath(), containerInterface: "eth0")
            try wiring.detach(hostInterface: "calitest10000", containerNamespace: "", containerInterface: "eth0")
            try wiring.detach(
                hostInterface: "calitest10000", containerNamespace: "/run/netns/tabby-t-wire-gone-\(getpid())",
                containerInterface: "eth0")
        }
    }

    @Test func detachWithoutTheNamespaceStillRemovesTheHostSide() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            _ = try wiring.attach(WiringAttachTests.spec(ns, addresses: ["192.0.2.31/32"]))
            try wiring.detach(hostInterface: "calitest10000", containerNamespace: "", containerInterface: "eth0")
            // The peer goes with the host side.
            try await WiringFailureTests.expectNothingLeft(ns)
        }
    }

    @Test func detachRemovesAContainerInterfaceLeftWithoutItsPeer() async throws {
        try await WiringNamespaces.with { ns in
            try await ns.ip(ns.container(), "link", "add", "eth0", "type", "bridge")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            try wiring.detach(
                hostInterface: "calitest10000", containerNamespace: ns.containerPath(), containerInterface: "eth0")
            #expect(try await ns.linkNames(ns.container()) == ["lo"])
        }
    }

    @Test func detachLeavesOtherKindsAndTheNodesOwnNamespaceAlone() async throws {
        try await WiringNamespaces.with { ns in
            try await ns.ip(ns.node, "link", "add", "calitest10000", "type", "bridge")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            // A CNI_NETNS that is the node itself must not cost the node its uplink.
            try wiring.detach(
                hostInterface: "calitest10000", containerNamespace: ns.nodePath, containerInterface: "uplink0")
            #expect(try await ns.linkNames(ns.node).contains("calitest10000"))
            #expect(try await ns.linkNames(ns.node).contains("uplink0"))
        }
    }

    @Test func detachRefusesAnInvalidHostName() {
        let wiring = WorkloadWiring()
        let error = #expect(throws: CNIError.self) {
            try wiring.detach(hostInterface: "", containerNamespace: "", containerInterface: "eth0")
        }
        #expect(error?.code == .dataplaneFailure)
    }
}
