import NetworkAddress

/// What the `tabby` plugin asks the kernel side to build for one workload: Calico's veth pair between the node and
/// the container, its MTU, and the workload's addresses.
public struct WorkloadInterfaceSpec: Sendable, Equatable {
    /// The node-side veth name (`cali` + 11 hex characters, `WorkloadNames.hostInterfaceName`).
    public var hostInterface: String
    /// The container-side name, `CNI_IFNAME` (`eth0`).
    public var containerInterface: String
    /// The container's network namespace, `CNI_NETNS`: `/run/netns/NAME` or `/proc/PID/ns/net`.
    public var containerNamespace: String
    /// The MTU of both ends (the pod MTU tabbyd writes, or the config's `mtu`).
    public var mtu: Int
    /// The workload's addresses: IPv4 /32 and IPv6 /128.
    public var addresses: [CIDR]
    /// Calico's `container_settings.allow_ip_forwarding`: leave forwarding on inside the container. Off by default,
    /// as in Calico: the container's `ip_forward` (and IPv6 `all.forwarding`) are set to 0.
    public var allowIPForwarding: Bool

    public init(
        hostInterface: String, containerInterface: String, containerNamespace: String, mtu: Int, addresses: [CIDR],
        allowIPForwarding: Bool = false
    ) {
        self.hostInterface = hostInterface
        self.containerInterface = containerInterface
        self.containerNamespace = containerNamespace
        self.mtu = mtu
        self.addresses = addresses
        self.allowIPForwarding = allowIPForwarding
    }

    /// Whether any address is IPv4.
    public var hasIPv4: Bool { addresses.contains { $0.family == .v4 } }
    /// Whether any address is IPv6.
    public var hasIPv6: Bool { addresses.contains { $0.family == .v6 } }
}

/// The veth pair as attach (or check) found it in the kernel.
public struct WiredInterface: Sendable, Equatable {
    public var hostInterface: String
    /// The host side's interface index, in the node's namespace.
    public var hostIndex: Int32
    public var containerInterface: String
    /// The container side's interface index, in the container's namespace.
    public var containerIndex: Int32
    /// The container side's Ethernet address (the WorkloadEndpoint's `mac`).
    public var containerMAC: MACAddress
    /// The host side's Ethernet address: always `ee:ee:ee:ee:ee:ee`.
    public var hostMAC: MACAddress

    public init(
        hostInterface: String, hostIndex: Int32, containerInterface: String, containerIndex: Int32,
        containerMAC: MACAddress, hostMAC: MACAddress = WorkloadGateway.hostMAC
    ) {
        self.hostInterface = hostInterface
        self.hostIndex = hostIndex
        self.containerInterface = containerInterface
        self.containerIndex = containerIndex
        self.containerMAC = containerMAC
        self.hostMAC = hostMAC
    }
}

extension WorkloadInterfaceSpec {
    /// Refuses a spec the kernel would refuse or misread, naming the field; nothing has been touched yet.
    func validate() throws(CNIError) {
        if let reason = Self.interfaceNameProblem(containerInterface) {
            throw CNIError(
                .invalidEnvironment, "invalid CNI_IFNAME",
                details: "CNI_IFNAME \"\(containerInterface)\": \(reason)")
        }
        if let reason = Self.interfaceNameProblem(hostInterface) {
            throw CNIError(
                .dataplaneFailure, "invalid host interface name",
                details: "host interface \"\(hostInterface)\": \(reason)")
        }
        if containerNamespace.isEmpty {
            throw CNIError(
                .invalidEnvironment, "CNI_NETNS is empty", details: "ADD and CHECK need the container's netns")
        }
        guard Self.mtuRange.contains(mtu) else {
            throw CNIError(
                .invalidNetworkConfig, "invalid mtu",
                details: "mtu \(mtu): a veth takes \(Self.mtuRange.lowerBound) to \(Self.mtuRange.upperBound)")
        }
        var seen = Set<CIDR>()
        for address in addresses {
            guard address.prefixLength == address.address.bitWidth else {
                throw CNIError(
                    .dataplaneFailure, "invalid workload address",
                    details: "address \(address): a workload address is a /32 (IPv4) or /128 (IPv6)")
            }
            guard seen.insert(address).inserted else {
                throw CNIError(
                    .dataplaneFailure, "invalid workload address", details: "address \(address) is listed twice")
            }
        }
    }

    /// The MTUs a veth accepts (`ETH_MIN_MTU` to `ETH_MAX_MTU`).
    static let mtuRange = 68...65535

    /// Why the kernel would refuse `name` as an interface name (`dev_valid_name`), or nil.
    static func interfaceNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.utf8.count > 15 { return "longer than 15 bytes" }
        if name == "." || name == ".." { return "not a valid name" }
        if name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 }) {
            return "contains '/', ':' or whitespace"
        }
        return nil
    }
}
