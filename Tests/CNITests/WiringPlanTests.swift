import Netlink
import NetworkAddress
import Testing

@testable import CNI

/// The wiring's pure parts: Calico's constants, spec validation, and the plan that attach and check share.
@Suite struct WiringPlanTests {
    static let dualStack = WorkloadInterfaceSpec(
        hostInterface: "cali0123456789a", containerInterface: "eth0", containerNamespace: "/run/netns/x", mtu: 1450,
        addresses: [CIDR("192.0.2.10/32")!, CIDR("2001:db8::10/128")!])

    @Test func gatewayIsCalicosFixedMACAndItsLinkLocal() {
        #expect(WorkloadGateway.hostMAC.description == "ee:ee:ee:ee:ee:ee")
        #expect(WorkloadGateway.ipv4.description == "169.254.1.1")
        #expect(WorkloadGateway.ipv6 == IPv6Address("fe80::ecee:eeff:feee:eeee"))
        // The universal/local bit flips and ff:fe goes in the middle (RFC 4291 appendix A).
        #expect(WorkloadGateway.linkLocal(of: MACAddress("02:00:5e:10:00:01")!) == IPv6Address("fe80::5eff:fe10:1"))
    }

    @Test func validSpecPasses() throws {
        try Self.dualStack.validate()
    }

    @Test(arguments: [
        ("", "CNI_IFNAME", 4), ("eth0/x", "CNI_IFNAME", 4), ("a234567890123456", "CNI_IFNAME", 4),
        ("eth 0", "CNI_IFNAME", 4),
    ])
    func badContainerInterfaceIsRefused(name: String, field: String, code: Int) {
        var spec = Self.dualStack
        spec.containerInterface = name
        let error = #expect(throws: CNIError.self) { try spec.validate() }
        #expect(error?.code.rawValue == code)
        #expect(error?.details.contains(field) == true)
    }

    @Test func badHostInterfaceIsRefused() {
        var spec = Self.dualStack
        spec.hostInterface = "cali0123456789abc"
        let error = #expect(throws: CNIError.self) { try spec.validate() }
        #expect(error?.details.contains("longer than 15") == true)
    }

    @Test(arguments: [0, 67, 65536, -1])
    func mtuOutsideTheVethRangeIsRefused(mtu: Int) {
        var spec = Self.dualStack
        spec.mtu = mtu
        let error = #expect(throws: CNIError.self) { try spec.validate() }
        #expect(error?.code == .invalidNetworkConfig)
        #expect(error?.details.contains("mtu \(mtu)") == true)
    }

    @Test func nonHostAddressesAndDuplicatesAreRefused() {
        var spec = Self.dualStack
        spec.addresses = [CIDR("192.0.2.0/24")!]
        let wide = #expect(throws: CNIError.self) { try spec.validate() }
        #expect(wide?.details.contains("192.0.2.0/24") == true)
        spec.addresses = [CIDR("192.0.2.1/32")!, CIDR("192.0.2.1/32")!]
        let twice = #expect(throws: CNIError.self) { try spec.validate() }
        #expect(twice?.details.contains("twice") == true)
    }

    @Test func emptyNamespaceIsAnEnvironmentError() {
        var spec = Self.dualStack
        spec.containerNamespace = ""
        let error = #expect(throws: CNIError.self) { try spec.validate() }
        #expect(error?.code == .invalidEnvironment)
    }

    @Test func hostSysctlsFollowTheFamilies() {
        let dual = WorkloadWiringPlan(spec: Self.dualStack).hostSysctls.map(\.description)
        #expect(
            dual == [
                "/proc/sys/net/ipv4/conf/cali0123456789a/route_localnet=1",
                "/proc/sys/net/ipv4/neigh/cali0123456789a/proxy_delay=0",
                "/proc/sys/net/ipv4/conf/cali0123456789a/proxy_arp=1",
                "/proc/sys/net/ipv4/conf/cali0123456789a/forwarding=1",
                "/proc/sys/net/ipv6/conf/cali0123456789a/disable_ipv6=0",
                "/proc/sys/net/ipv6/conf/cali0123456789a/accept_dad=0",
                "/proc/sys/net/ipv6/conf/cali0123456789a/proxy_ndp=1",
                "/proc/sys/net/ipv6/conf/cali0123456789a/forwarding=1",
                "/proc/sys/net/ipv6/conf/cali0123456789a/accept_ra=0",
            ])
        var v4 = Self.dualStack
        v4.addresses = [CIDR("192.0.2.10/32")!]
        let sysctls = WorkloadWiringPlan(spec: v4).hostSysctls
        #expect(sysctls.count == 5)
        #expect(!sysctls.contains { $0.path.contains("proxy_ndp") })
        // accept_ra is always written, and best effort only.
        #expect(sysctls.last?.path.hasSuffix("accept_ra") == true && sysctls.last?.required == false)
    }

    @Test func containerForwardingIsOffUnlessAllowed() {
        let off = WorkloadWiringPlan(spec: Self.dualStack).containerSysctls
        #expect(off.first?.description == "/proc/sys/net/ipv4/ip_forward=0")
        #expect(off.contains { $0.description == "/proc/sys/net/ipv6/conf/all/forwarding=0" })
        #expect(off.contains { $0.description == "/proc/sys/net/ipv6/conf/eth0/accept_dad=0" })
        var allowed = Self.dualStack
        allowed.allowIPForwarding = true
        let on = WorkloadWiringPlan(spec: allowed).containerSysctls
        #expect(on.first?.description == "/proc/sys/net/ipv4/ip_forward=1")
        #expect(on.contains { $0.description == "/proc/sys/net/ipv6/conf/all/forwarding=1" })
    }

    @Test func containerBatchBringsLinksUpBeforeAddressesAndRoutes() {
        let plan = WorkloadWiringPlan(spec: Self.dualStack)
        let operations = plan.containerOperations(containerIndex: 7).map { $0.describe { "if\($0)" } }
        #expect(
            operations == [
                "link set dev if1 up", "link set dev if7 up mtu 1450",
                "address add 192.0.2.10/32 dev if7", "address add 2001:db8::10/128 dev if7",
                "route add 169.254.1.1/32 dev if7", "route add 0.0.0.0/0 via 169.254.1.1 dev if7",
                "route add ::/0 via fe80::ecee:eeff:feee:eeee dev if7",
            ])
        #expect(plan.containerRoutes(containerIndex: 7).first?.scope == .link)
        #expect(plan.containerAddresses(containerIndex: 7).last?.flags == .noDAD)
    }

    @Test func hostBatchSetsMACAndMTUThenTheLinkLocalGatewayThenRoutes() {
        let operations = WorkloadWiringPlan(spec: Self.dualStack).hostOperations(hostIndex: 9)
        #expect(
            operations.map { $0.describe { "if\($0)" } } == [
                "link set dev if9 up mtu 1450 address ee:ee:ee:ee:ee:ee",
                "address add fe80::ecee:eeff:feee:eeee/64 dev if9",
                "route add 192.0.2.10/32 dev if9", "route add 2001:db8::10/128 dev if9",
            ])
        var v4 = Self.dualStack
        v4.addresses = [CIDR("192.0.2.10/32")!]
        #expect(WorkloadWiringPlan(spec: v4).hostLinkLocal(hostIndex: 9) == nil)
        #expect(WorkloadWiringPlan(spec: Self.dualStack).hostLinkLocal(hostIndex: 9)?.flags == .noDAD)
    }

    @Test func hostRoutesUseTabbydsWorkloadRouteProtocol() {
        let routes = WorkloadWiringPlan(spec: Self.dualStack).hostRoutes(hostIndex: 9)
        #expect(routes.map(\.description) == ["192.0.2.10/32 dev if9", "2001:db8::10/128 dev if9"])
        #expect(routes.allSatisfy { $0.protocol == .boot && $0.metric == nil })
        #expect(routes.first?.scope == .link)
    }
}
