import Netlink
import NetworkAddress

/// One sysctl the wiring writes: its path under `/proc/sys/net` and value. A `required` one fails the attach when
/// it cannot be written; the others are best effort, as Calico's `accept_ra` is.
struct WiringSysctl: Hashable, Sendable, CustomStringConvertible {
    var path: String
    var value: String
    var required = true

    var description: String { "\(path)=\(value)" }
}

/// What attach programs and check expects, as values: the sysctls, links, addresses and routes of both sides
/// (calico-reference.md 4.4; Calico's `cni-plugin/pkg/dataplane/linux`). Pure, so both share one truth.
struct WorkloadWiringPlan {
    let spec: WorkloadInterfaceSpec

    /// The loopback device is index 1 in every network namespace (the kernel's `LOOPBACK_IFINDEX`).
    static let loopbackIndex: Int32 = 1
    /// The protocol of the node's workload routes: tabbyd's default `deviceRouteProtocol` (3, `boot`), so tabbyd
    /// takes the route as its own and, replacing it with the same key, never fights over it.
    static let hostRouteProtocol = RouteProtocol.boot

    /// The host side's sysctls, written before it goes up. IPv4: proxy ARP (answers for 169.254.1.1) without
    /// delay, forwarding, and `route_localnet` (NAT to the node's loopback). IPv6: enabled, no DAD (the link-local
    /// gateway is usable at once), proxy NDP, forwarding. Router advertisements are never accepted.
    var hostSysctls: [WiringSysctl] {
        let name = spec.hostInterface
        var sysctls: [WiringSysctl] = []
        if spec.hasIPv4 {
            sysctls += [
                WiringSysctl(path: Sysctl.interfacePath(.v4, interface: name, "route_localnet"), value: "1"),
                WiringSysctl(path: Sysctl.neighborPath(.v4, interface: name, "proxy_delay"), value: "0"),
                WiringSysctl(path: Sysctl.interfacePath(.v4, interface: name, "proxy_arp"), value: "1"),
                WiringSysctl(path: Sysctl.interfacePath(.v4, interface: name, "forwarding"), value: "1"),
            ]
        }
        if spec.hasIPv6 {
            sysctls += [
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: name, "disable_ipv6"), value: "0"),
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: name, "accept_dad"), value: "0"),
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: name, "proxy_ndp"), value: "1"),
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: name, "forwarding"), value: "1"),
            ]
        }
        // Calico only warns when this fails (a node without IPv6 has no such file).
        sysctls.append(
            WiringSysctl(path: Sysctl.interfacePath(.v6, interface: name, "accept_ra"), value: "0", required: false))
        return sysctls
    }

    /// The container's sysctls, written before its interface goes up. IPv6 is enabled on the whole namespace
    /// (`all`, `default`, `lo`) or the interface would get no link-local address and no default route, and DAD
    /// is off on the point-to-point veth. Forwarding inside the container is off unless allowed.
    var containerSysctls: [WiringSysctl] {
        let forwarding = spec.allowIPForwarding ? "1" : "0"
        var sysctls: [WiringSysctl] = []
        if spec.hasIPv4 {
            sysctls.append(WiringSysctl(path: Sysctl.root + "ipv4/ip_forward", value: forwarding))
        }
        if spec.hasIPv6 {
            sysctls += [
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: "all", "disable_ipv6"), value: "0"),
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: "default", "disable_ipv6"), value: "0"),
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: "lo", "disable_ipv6"), value: "0"),
                WiringSysctl(
                    path: Sysctl.interfacePath(.v6, interface: spec.containerInterface, "disable_ipv6"), value: "0"),
                WiringSysctl(
                    path: Sysctl.interfacePath(.v6, interface: spec.containerInterface, "accept_dad"), value: "0"),
                WiringSysctl(path: Sysctl.interfacePath(.v6, interface: "all", "forwarding"), value: forwarding),
            ]
        }
        return sysctls
    }

    /// The workload's addresses on the container interface; IPv6 ones skip DAD so they are usable at once.
    func containerAddresses(containerIndex: Int32) -> [InterfaceAddress] {
        spec.addresses.map { address in
            InterfaceAddress(
                interfaceIndex: containerIndex, prefix: address, flags: address.family == .v6 ? .noDAD : [])
        }
    }

    /// The container's routes: `169.254.1.1 dev eth0 scope link` and `default via 169.254.1.1 dev eth0` for
    /// IPv4, `default via fe80::ecee:eeff:feee:eeee dev eth0` for IPv6.
    func containerRoutes(containerIndex: Int32) -> [Route] {
        var routes: [Route] = []
        if spec.hasIPv4 {
            routes.append(
                Route(
                    destination: CIDR(host: .v4(WorkloadGateway.ipv4)), outputInterface: containerIndex, scope: .link))
            routes.append(
                Route(
                    destination: Self.defaultDestination(.v4), gateway: .v4(WorkloadGateway.ipv4),
                    outputInterface: containerIndex))
        }
        if spec.hasIPv6 {
            routes.append(
                Route(
                    destination: Self.defaultDestination(.v6), gateway: .v6(WorkloadGateway.ipv6),
                    outputInterface: containerIndex))
        }
        return routes
    }

    /// The node's routes to the workload: `<addr>/32 dev cali... scope link`, `<addr>/128 dev cali...`, with
    /// the kernel's default metric, as tabbyd programs them.
    func hostRoutes(hostIndex: Int32) -> [Route] {
        spec.addresses.map { address in
            Route(destination: address, outputInterface: hostIndex, protocol: Self.hostRouteProtocol)
        }
    }

    /// One batch in the container: loopback up, the interface up at the MTU, the addresses, then the routes (a
    /// route needs its device up, the default route its gateway's route).
    func containerOperations(containerIndex: Int32) -> [NetlinkOperation] {
        var operations: [NetlinkOperation] = [
            .changeLink(index: Self.loopbackIndex, LinkChange(isUp: true)),
            .changeLink(index: containerIndex, LinkChange(isUp: true, mtu: UInt32(spec.mtu))),
        ]
        operations += containerAddresses(containerIndex: containerIndex).map { .addAddress($0) }
        operations += containerRoutes(containerIndex: containerIndex).map { .addRoute($0) }
        return operations
    }

    /// The host side's IPv6 link-local address, the containers' IPv6 gateway, added by the wiring rather than left
    /// to the kernel: the kernel adds it only once the carrier is up (after the link-watch work, 1-7 ms after
    /// attach here), and with a node's `addr_gen_mode` other than EUI-64 it would be another address. Added, it
    /// answers neighbour solicitations as soon as attach returns (Calico's plugin waits up to 500 ms for the
    /// kernel's instead). When the kernel's own comes first, the same address exists already: that is fine.
    func hostLinkLocal(hostIndex: Int32) -> InterfaceAddress? {
        guard spec.hasIPv6, let prefix = try? CIDR(address: .v6(WorkloadGateway.ipv6), prefixLength: 64) else {
            return nil
        }
        return InterfaceAddress(interfaceIndex: hostIndex, prefix: prefix, scope: .link, flags: .noDAD)
    }

    /// One batch on the node: the host side gets Calico's MAC and the MTU and goes up (the kernel applies the
    /// address and MTU before the flags), then its link-local gateway address (IPv6), then its routes.
    func hostOperations(hostIndex: Int32) -> [NetlinkOperation] {
        let change = LinkChange(isUp: true, mtu: UInt32(spec.mtu), macAddress: WorkloadGateway.hostMAC)
        var operations: [NetlinkOperation] = [.changeLink(index: hostIndex, change)]
        if let linkLocal = hostLinkLocal(hostIndex: hostIndex) { operations.append(.addAddress(linkLocal)) }
        return operations + hostRoutes(hostIndex: hostIndex).map { .addRoute($0) }
    }

    /// `0.0.0.0/0` or `::/0` (a constant prefix length in range: the `try!` cannot fail).
    static func defaultDestination(_ family: IPFamily) -> CIDR {
        switch family {
        case .v4: try! CIDR(address: .v4(IPv4Address(0)), prefixLength: 0)
        case .v6: try! CIDR(address: .v6(IPv6Address(high: 0, low: 0)), prefixLength: 0)
        }
    }
}
