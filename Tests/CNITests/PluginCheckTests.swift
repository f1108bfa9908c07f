import CalicoAPI
import NetworkAddress
import Testing

@testable import CNI

/// What CHECK expects from `prevResult`, and how it compares with the stored endpoint and the kernel.
@Suite struct PluginCheckTests {
    static let previous = SpecResultTests.dualStack()

    static func expectation() throws -> PreviousAttachment {
        try PreviousAttachment(
            previous, hostInterface: "cali0123456789a", containerInterface: "eth0", sandbox: "/run/netns/c1")
    }

    static func endpoint(containerID: String = "c1", interface: String = "cali0123456789a", nets: [String]? = nil)
        -> WorkloadEndpoint
    {
        var spec = WorkloadEndpointSpec()
        spec.containerID = containerID
        spec.interfaceName = interface
        spec.ipNetworks = (nets ?? ["2001:db8::7/128", "192.0.2.7/32"]).map { CIDR($0)! }
        return WorkloadEndpoint(name: "node--1-k8s-web-eth0", namespace: "default", spec: spec)
    }

    @Test func theExpectationComesFromTheContainerInterfaceOfPrevResult() throws {
        let expected = try Self.expectation()
        #expect(expected.addresses == [CIDR("192.0.2.7/32")!, CIDR("2001:db8::7/128")!])
        #expect(expected.containerMAC == MACAddress(0x0a58_c000_0207))
    }

    @Test func aPrevResultWithoutTheInterfacesFails() {
        #expect(
            throws: CNIError(
                .checkFailed, "prevResult does not list the container interface",
                details: "prevResult.interfaces has no interface eth0 with sandbox /run/netns/other")
        ) {
            try PreviousAttachment(
                Self.previous, hostInterface: "cali0123456789a", containerInterface: "eth0",
                sandbox: "/run/netns/other")
        }
        #expect(throws: CNIError.self) {
            try PreviousAttachment(
                Self.previous, hostInterface: "califfffffffff0", containerInterface: "eth0", sandbox: "/run/netns/c1")
        }
        var noAddresses = Self.previous
        noAddresses.ips = []
        #expect(throws: CNIError.self) {
            try PreviousAttachment(
                noAddresses, hostInterface: "cali0123456789a", containerInterface: "eth0", sandbox: "/run/netns/c1")
        }
    }

    @Test func theEndpointMustBeTheAttachmentsOwn() throws {
        let expected = try Self.expectation()
        try expected.agrees(with: Self.endpoint(), containerID: "c1")
        #expect(throws: CNIError.self) {
            try expected.agrees(with: Self.endpoint(containerID: "c2"), containerID: "c1")
        }
        #expect(throws: CNIError.self) {
            try expected.agrees(with: Self.endpoint(interface: "cali000000000ff"), containerID: "c1")
        }
        #expect(
            throws: CNIError(
                .checkFailed, "the workload is not as ADD left it",
                details: "WorkloadEndpoint node--1-k8s-web-eth0 has ipNetworks [192.0.2.8/32], prevResult has "
                    + "[192.0.2.7/32, 2001:db8::7/128]")
        ) {
            try expected.agrees(with: Self.endpoint(nets: ["192.0.2.8/32"]), containerID: "c1")
        }
    }
}
