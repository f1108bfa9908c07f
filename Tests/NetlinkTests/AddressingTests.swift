import NetworkAddress
import Testing

@testable import Netlink

@Suite("Address families on the wire")
struct AddressingTests {
    @Test func familiesUseTheKernelNumbers() {
        #expect(IPFamily.v4.kernelFamily == 2)  // AF_INET
        #expect(IPFamily.v6.kernelFamily == 10)  // AF_INET6
        #expect(IPFamily(kernelFamily: 2) == .v4)
        #expect(IPFamily(kernelFamily: 10) == .v6)
        #expect(IPFamily(kernelFamily: 7) == nil)  // AF_BRIDGE
        #expect(IPFamily(kernelFamily: 0) == nil)
    }

    @Test func familiesHaveTheirIPCommandNames() {
        #expect(IPFamily.v4.kernelName == "inet")
        #expect(IPFamily.v6.kernelName == "inet6")
    }
}
