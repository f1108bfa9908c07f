import CNI
import Foundation
import NetworkAddress
import Testing

/// attach's refusals and its clean-up: nothing is left behind when it throws.
@Suite(wiringNeedsNamespaces) struct WiringFailureTests {
    /// The node has only its uplink and the container only lo: what every failed attach must leave.
    static func expectNothingLeft(_ ns: WiringNamespaces) async throws {
        #expect(try await ns.linkNames(ns.node).filter { $0.hasPrefix("cali") }.isEmpty)
        #expect(try await ns.linkNames(ns.container()) == ["lo"])
        #expect(!(try await ns.ip(ns.node, "route", "show")).contains("192.0.2."))
        #expect(!(try await ns.ip(ns.node, "-6", "route", "show")).contains("2001:db8:"))
    }

    @Test func pathThatIsNoNamespaceIsUnknownContainer() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tabby-t-wire-\(getpid())-file")
            try Data("not a namespace".utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let cases = [
                ("/run/netns/tabby-t-wire-none-\(getpid())", "does not exist"),
                (file.path, "is not a namespace file"),
                ("/proc/self/ns/uts", "is a namespace of another type"),
                (ns.nodePath, "the node's own network namespace"),
            ]
            for (path, reason) in cases {
                let spec = WorkloadInterfaceSpec(
                    hostInterface: "calitest10000", containerInterface: "eth0", containerNamespace: path, mtu: 1500,
                    addresses: [CIDR("192.0.2.20/32")!])
                let error = #expect(throws: CNIError.self, "\(path)") { try wiring.attach(spec) }
                #expect(error?.code == .unknownContainer, "\(path)")
                #expect(
                    error?.details.contains(path) == true && error?.details.contains(reason) == true,
                    "\(error?.details ?? "")")
                let checkError = #expect(throws: CNIError.self) { try wiring.check(spec) }
                #expect(checkError?.code == .unknownContainer)
            }
            try await Self.expectNothingLeft(ns)
        }
    }

    @Test func hostNameHeldByAnotherKindOfLinkIsNotTaken() async throws {
        try await WiringNamespaces.with { ns in
            try await ns.ip(ns.node, "link", "add", "calitest10000", "type", "bridge")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.21/32"])
            let error = #expect(throws: CNIError.self) { try wiring.attach(spec) }
            #expect(error?.code == .dataplaneFailure)
            #expect(error?.details.contains("of kind bridge") == true)
            // The bridge is someone else's: still there; the container got nothing.
            let kind = try await ns.ipJSON(ns.node, "-d", "link", "show", "calitest10000").first?["linkinfo"]
            #expect((kind as? [String: Any])?["info_kind"] as? String == "bridge")
            #expect(try await ns.linkNames(ns.container()) == ["lo"])
        }
    }

    @Test func addressTheKernelRefusesLeavesNothing() async throws {
        try await WiringNamespaces.with { ns in
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            // The kernel refuses a multicast address on an interface (EADDRNOTAVAIL).
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.22/32", "ff02::1/128"])
            let error = #expect(throws: CNIError.self) { try wiring.attach(spec) }
            #expect(error?.code == .dataplaneFailure)
            #expect(error?.msg == "failed to wire workload interface calitest10000")
            #expect(error?.details.contains("configure eth0 in \(ns.containerPath())") == true)
            #expect(
                error?.details.contains("address add ff02::1/128 dev eth0: EADDRNOTAVAIL") == true,
                "\(error?.details ?? "")")
            try await Self.expectNothingLeft(ns)
        }
    }

    @Test func hostRouteHeldByAnotherInterfaceFailsTheAttachAndLeavesNothing() async throws {
        try await WiringNamespaces.with { ns in
            try await ns.ip(ns.node, "route", "add", "192.0.2.23/32", "dev", "uplink0")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let spec = WiringAttachTests.spec(ns, addresses: ["192.0.2.23/32", "2001:db8::23/128"])
            let error = #expect(throws: CNIError.self) { try wiring.attach(spec) }
            #expect(error?.code == .dataplaneFailure)
            #expect(
                error?.details.contains("route 192.0.2.23/32 already exists for an interface other than calitest10000")
                    == true, "\(error?.details ?? "")")
            #expect(error?.details.contains("dev uplink0") == true)
            #expect(try await ns.linkNames(ns.node).filter { $0.hasPrefix("cali") }.isEmpty)
            #expect(try await ns.linkNames(ns.container()) == ["lo"])
            // The foreign route is untouched.
            #expect(try await ns.ip(ns.node, "route", "show", "192.0.2.23").contains("dev uplink0"))
        }
    }

    @Test func containerInterfaceNameInUseIsNamed() async throws {
        try await WiringNamespaces.with { ns in
            try await ns.ip(ns.container(), "link", "add", "eth0", "type", "bridge")
            let wiring = WorkloadWiring(hostNamespacePath: ns.nodePath)
            let error = #expect(throws: CNIError.self) {
                try wiring.attach(WiringAttachTests.spec(ns, addresses: ["192.0.2.24/32"]))
            }
            #expect(
                error?.details.contains("the container already has an interface eth0") == true,
                "\(error?.details ?? "")")
            #expect(try await ns.linkNames(ns.node).filter { $0.hasPrefix("cali") }.isEmpty)
        }
    }
}
