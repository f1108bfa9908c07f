import NetworkAddress

/// The results the plugins print, shaped as Calico's workloads are wired.
///
/// `tabby`'s result lists the host-side veth (`cali…`, MAC `ee:ee:ee:ee:ee:ee`, no sandbox) and the container's
/// interface (its MAC, `sandbox` = `CNI_NETNS`); each address (/32, /128) on the container interface; the default
/// routes the container got (via 169.254.1.1, and via `fe80::ecee:eeff:feee:eeee` for IPv6). Like Calico's plugin
/// it sets no `gateway` on the addresses: a /32 has no on-link gateway, the default route carries the next hop.
/// A `prevResult` (Tabby not first in a chain) is kept in front: its interfaces, addresses and routes first.
public enum ResultAssembly {
    /// The next hop of the container's IPv4 default route: answered by proxy ARP on the host veth.
    public static let ipv4Gateway = IPAddress.v4(IPv4Address(169, 254, 1, 1))
    /// The host veth's link-local address, derived from its fixed MAC.
    public static let ipv6Gateway = IPAddress.v6(IPv6Address(high: 0xfe80_0000_0000_0000, low: 0xecee_eeff_feee_eeee))

    public struct Wired: Sendable, Equatable {
        public var hostInterface: String
        public var hostMAC: MACAddress
        public var containerInterface: String
        public var containerMAC: MACAddress
        public var sandbox: String
        public var mtu: Int

        public init(
            hostInterface: String, hostMAC: MACAddress, containerInterface: String, containerMAC: MACAddress,
            sandbox: String, mtu: Int
        ) {
            self.hostInterface = hostInterface
            self.hostMAC = hostMAC
            self.containerInterface = containerInterface
            self.containerMAC = containerMAC
            self.sandbox = sandbox
            self.mtu = mtu
        }
    }

    public static func networkResult(
        previous: CNIResult?, wired: Wired, addresses: [CIDR], dns: CNIResult.DNS
    ) -> CNIResult {
        var result = previous ?? CNIResult()
        result.interfaces.append(
            CNIResult.Interface(name: wired.hostInterface, mac: wired.hostMAC.description, mtu: wired.mtu))
        result.interfaces.append(
            CNIResult.Interface(
                name: wired.containerInterface, mac: wired.containerMAC.description, mtu: wired.mtu,
                sandbox: wired.sandbox))
        let containerIndex = result.interfaces.count - 1
        for address in addresses {
            result.ips.append(CNIResult.IPConfig(address: CIDR(host: address.address), interface: containerIndex))
        }
        result.routes.append(contentsOf: defaultRoutes(for: addresses))
        if !dns.isEmpty { result.dns = dns }
        return result
    }

    /// `tabby-ipam`'s abbreviated result: the addresses, no interfaces, no routes.
    public static func ipamResult(addresses: [CIDR], dns: CNIResult.DNS) -> CNIResult {
        CNIResult(ips: addresses.map { CNIResult.IPConfig(address: CIDR(host: $0.address)) }, dns: dns)
    }

    /// One default route per family that has an address.
    static func defaultRoutes(for addresses: [CIDR]) -> [CNIResult.Route] {
        var routes: [CNIResult.Route] = []
        if addresses.contains(where: { $0.family == .v4 }),
            let any = try? CIDR(address: .v4(IPv4Address(0)), prefixLength: 0)
        {
            routes.append(CNIResult.Route(destination: any, gateway: ipv4Gateway))
        }
        if addresses.contains(where: { $0.family == .v6 }),
            let any = try? CIDR(address: .v6(IPv6Address(high: 0, low: 0)), prefixLength: 0)
        {
            routes.append(CNIResult.Route(destination: any, gateway: ipv6Gateway))
        }
        return routes
    }
}
