import NetworkAddress

/// What the network config and the runtime ask of IPAM for one attachment (Calico's `ipam` keys of the config,
/// and the addresses a runtime requests).
public struct AddressRequest: Sendable, Equatable {
    /// Config `ipam.assign_ipv4` (default true).
    public var assignIPv4: Bool
    /// Config `ipam.assign_ipv6` (default false).
    public var assignIPv6: Bool
    /// Config `ipam.ipv4_pools`: pool names or CIDRs.
    public var ipv4Pools: [String]
    /// Config `ipam.ipv6_pools`: pool names or CIDRs.
    public var ipv6Pools: [String]
    /// Addresses the runtime asks for (runtimeConfig `ips`, CNI_ARGS `IP=`): at most one per family. They win
    /// over everything else, and `assignIPv4`/`assignIPv6` do not apply to them.
    public var requestedAddresses: [IPAddress]

    public init(
        assignIPv4: Bool = true, assignIPv6: Bool = false, ipv4Pools: [String] = [], ipv6Pools: [String] = [],
        requestedAddresses: [IPAddress] = []
    ) {
        self.assignIPv4 = assignIPv4
        self.assignIPv6 = assignIPv6
        self.ipv4Pools = ipv4Pools
        self.ipv6Pools = ipv6Pools
        self.requestedAddresses = requestedAddresses
    }
}
