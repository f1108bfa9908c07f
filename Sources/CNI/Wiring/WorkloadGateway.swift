import NetworkAddress

/// Calico's fixed workload gateway (calico-reference.md 4.4). The host side of every workload veth has the same
/// MAC, and no IPv4 address: proxy ARP answers the container's ARP for `169.254.1.1` with that MAC. For IPv6 the
/// gateway is the host side's own link-local address, the EUI-64 of that MAC.
public enum WorkloadGateway {
    /// The host side's Ethernet address.
    public static let hostMAC = MACAddress(0xeeee_eeee_eeee)
    /// The container's IPv4 next hop, reached through a `scope link` route.
    public static let ipv4 = IPv4Address(169, 254, 1, 1)
    /// The container's IPv6 next hop: `fe80::ecee:eeff:feee:eeee`.
    public static let ipv6 = linkLocal(of: hostMAC)

    /// The modified EUI-64 link-local address the kernel gives an interface with this MAC (RFC 4291 appendix A):
    /// `fe80::` + the MAC with `ff:fe` in the middle and the universal/local bit flipped.
    public static func linkLocal(of mac: MACAddress) -> IPv6Address {
        let bytes = mac.bytes
        let interfaceID: [UInt8] = [bytes[0] ^ 0x02, bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]]
        let low = interfaceID.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return IPv6Address(high: 0xfe80_0000_0000_0000, low: low)
    }
}
