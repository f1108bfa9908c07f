import CalicoAPI
import NetworkAddress

/// The Felix parameters that shape the ruleset, besides the policy program itself.
public struct RenderingSettings: Hashable, Sendable {
    /// What happens to traffic from a workload to the host itself, after the workload's egress policy allowed
    /// it (FelixConfiguration `defaultEndpointToHostAction`).
    public enum EndpointToHostAction: String, Hashable, Sendable {
        /// Drop it (Felix's default).
        case drop = "Drop"
        /// Go on with the rest of the input chain: host endpoint policy, then accept.
        case `return` = "Return"
        /// Accept it.
        case accept = "Accept"
    }

    /// The table name in both families.
    public var tableName: String
    /// Workload interface prefixes (`interfacePrefix`): traffic of an unknown interface with one of them is dropped.
    public var interfacePrefixes: [String]
    /// Whether the `ip6` table is built (`ipv6Support`).
    public var ipv6: Bool
    public var defaultEndpointToHostAction: EndpointToHostAction
    /// SNAT to this address instead of masquerading (`natOutgoingAddress`, IPv4 only).
    public var natOutgoingAddress: IPAddress?
    /// VXLAN is in use: UDP to `vxlanPort` is accepted on input from known hosts only.
    public var vxlanEnabled: Bool
    /// IPv6 VXLAN (`vxlan-v6.calico`) is in use: the same rule in the `ip6` table, from known IPv6 hosts.
    public var vxlanV6Enabled: Bool
    public var vxlanPort: UInt16
    /// IPIP is in use: protocol 4 is accepted on input from known hosts only.
    public var ipipEnabled: Bool
    /// Workloads may send VXLAN / IPIP packets themselves (`allowVXLANPacketsFromWorkloads`,
    /// `allowIPIPPacketsFromWorkloads`); otherwise their endpoint chains drop them.
    public var allowVXLANPacketsFromWorkloads: Bool
    public var allowIPIPPacketsFromWorkloads: Bool
    /// The prefix of `Log` rules' kernel log lines (`logPrefix`).
    public var logPrefix: String

    public init(
        tableName: String = "tabby", interfacePrefixes: [String] = ["cali"], ipv6: Bool = true,
        defaultEndpointToHostAction: EndpointToHostAction = .drop, natOutgoingAddress: IPAddress? = nil,
        vxlanEnabled: Bool = false, vxlanPort: UInt16 = 4789, ipipEnabled: Bool = false,
        allowVXLANPacketsFromWorkloads: Bool = false, allowIPIPPacketsFromWorkloads: Bool = false,
        logPrefix: String = "calico-packet", vxlanV6Enabled: Bool = false
    ) {
        self.tableName = tableName
        self.interfacePrefixes = interfacePrefixes
        self.ipv6 = ipv6
        self.defaultEndpointToHostAction = defaultEndpointToHostAction
        self.natOutgoingAddress = natOutgoingAddress
        self.vxlanEnabled = vxlanEnabled
        self.vxlanV6Enabled = vxlanV6Enabled
        self.vxlanPort = vxlanPort
        self.ipipEnabled = ipipEnabled
        self.allowVXLANPacketsFromWorkloads = allowVXLANPacketsFromWorkloads
        self.allowIPIPPacketsFromWorkloads = allowIPIPPacketsFromWorkloads
        self.logPrefix = logPrefix
    }
}
