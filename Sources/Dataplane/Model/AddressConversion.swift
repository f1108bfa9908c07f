import CalicoAPI
import Netlink

// CalicoAPI's address types (from resources) and the Netlink module's (on the wire) are kept apart by the
// layering; this module is where one becomes the other. Both store IPv4 as a host-order UInt32 and IPv6 as two
// host-order 64-bit halves, so the conversions are exact.

extension Netlink.IPAddress {
    /// The kernel-side form of a Calico address.
    init(_ address: CalicoAPI.IPAddress) {
        switch address {
        case .v4(let v4): self = .v4(Netlink.IPv4Address(v4.value))
        case .v6(let v6): self = .v6(Netlink.IPv6Address(high: v6.high, low: v6.low))
        }
    }
}

extension CalicoAPI.IPAddress {
    /// The Calico form of a kernel address.
    init(_ address: Netlink.IPAddress) {
        switch address {
        case .v4(let v4): self = .v4(CalicoAPI.IPv4Address(v4.value))
        case .v6(let v6): self = .v6(CalicoAPI.IPv6Address(high: v6.high, low: v6.low))
        }
    }
}

extension IPPrefix {
    /// The kernel-side destination for a CIDR, host bits cleared (the kernel refuses them in a destination).
    init(_ cidr: CIDR) {
        let network = Netlink.IPAddress(cidr.networkAddress)
        // The prefix length of a CIDR is within its family's width by construction.
        self = IPPrefix(network, length: UInt8(cidr.prefixLength)) ?? IPPrefix(host: network)
    }
}

extension CIDR {
    /// The Calico form of a kernel prefix.
    init(_ prefix: IPPrefix) {
        let address = CalicoAPI.IPAddress(prefix.address)
        self = (try? CIDR(address: address, prefixLength: Int(prefix.length))) ?? CIDR(host: address)
    }
}

extension AddressFamily {
    /// The kernel family of a Calico address.
    init(_ address: CalicoAPI.IPAddress) {
        switch address {
        case .v4: self = .ipv4
        case .v6: self = .ipv6
        }
    }
}
