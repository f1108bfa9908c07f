import CalicoAPI
import NetworkAddress

/// The effective Felix parameters of one node: Felix's built-in defaults, overlaid by FelixConfiguration
/// `default`, then `node.<nodename>`, then the agent's local overrides (see `resolve`).
///
/// Names and defaults are Felix's (calico-reference.md §1.6), so a FelixConfiguration written for Calico means
/// the same here.
public struct FelixSettings: Sendable, Equatable {
    /// Whether to run VXLAN; nil derives it from the pools (any IPv4 pool with `vxlanMode` other than Never).
    public var vxlanEnabled: Bool?
    /// Whether to run IPIP; nil derives it from the pools (any IPv4 pool with `ipipMode` other than Never).
    public var ipipEnabled: Bool?
    public var vxlanVNI: UInt32 = 4096
    public var vxlanPort: UInt16 = 4789
    /// The VXLAN device's MTU; 0 means the host MTU - 50.
    public var vxlanMTU: Int = 0
    /// The IPv6 VXLAN device's MTU (`vxlan-v6.calico`); 0 means the host MTU - 70.
    public var vxlanMTUV6: Int = 0
    /// tunl0's MTU; 0 means the host MTU - 20.
    public var ipipMTU: Int = 0
    /// How often the agent re-reads the kernel's routes to repair them; zero disables the periodic resync.
    public var routeRefreshInterval: Duration = .seconds(90)
    /// Workload interface name prefixes (`interfacePrefix`, comma-separated in FelixConfiguration).
    public var interfacePrefixes: [String] = ["cali"]
    /// The protocol of workload and VXLAN routes (3, `boot`, by default).
    public var deviceRouteProtocol: UInt8 = 3
    public var ipv6Support: Bool = true
    public var ipForwarding: IPForwarding = .enabled
    public var defaultEndpointToHostAction: EndpointToHostAction = .drop
    /// SNAT outgoing pool traffic to this address instead of masquerading.
    public var natOutgoingAddress: IPAddress?
    /// Interfaces whose MTU counts for the host MTU.
    public var mtuIfacePattern: String = FelixSettings.defaultMTUIfacePattern
    /// Whether routes on workload interfaces that Tabby did not program are removed.
    public var removeExternalRoutes: Bool = true
    /// Whether workloads may send from addresses in their `allowSpoofedSourcePrefixes` (loosens rp_filter).
    public var workloadSourceSpoofing: WorkloadSourceSpoofing = .disabled
    public var healthEnabled: Bool = false
    public var healthHost: String = "localhost"
    public var healthPort: UInt16 = 9099
    public var prometheusMetricsEnabled: Bool = false
    public var prometheusMetricsHost: String = ""
    public var prometheusMetricsPort: UInt16 = 9091
    public var logSeverityScreen: LogSeverity = .info
    /// Not a Felix parameter: set by the agent when its networking backend is BIRD. Routes to other nodes' blocks
    /// (and borrowed addresses) in pools without encapsulation are then BIRD's, learned by BGP and programmed with
    /// protocol `bird`; the route calculation leaves them out (Docs/bgp.md, "Who programs which route").
    public var unencapsulatedRoutesByBIRD: Bool = false

    /// Felix's default `mtuIfacePattern`.
    public static let defaultMTUIfacePattern = "^((en|wl|ww|sl|ib)[Pcopsvx].*|(eth|wlan|wwan).*)"

    /// Felix's own route protocol, for the routes no other protocol identifies.
    public static let felixRouteProtocol: UInt8 = 80
    /// `RTPROT_BOOT`, the default `deviceRouteProtocol`.
    public static let bootRouteProtocol: UInt8 = 3

    /// Felix's built-in defaults.
    public init() {}

    /// The protocol of blackhole, same-subnet, no-encapsulation and IPIP routes: 80, unless
    /// `deviceRouteProtocol` was changed from `boot`, in which case Felix uses that value for everything.
    public var clusterRouteProtocol: UInt8 {
        deviceRouteProtocol == Self.bootRouteProtocol ? Self.felixRouteProtocol : deviceRouteProtocol
    }

    /// The VXLAN device MTU on a host with the given MTU.
    public func effectiveVXLANMTU(hostMTU: Int) -> Int { vxlanMTU != 0 ? vxlanMTU : hostMTU - 50 }

    /// The IPv6 VXLAN device MTU on a host with the given MTU (an IPv6 outer header is 20 bytes longer).
    public func effectiveVXLANMTUV6(hostMTU: Int) -> Int { vxlanMTUV6 != 0 ? vxlanMTUV6 : hostMTU - 70 }

    /// tunl0's MTU on a host with the given MTU.
    public func effectiveIPIPMTU(hostMTU: Int) -> Int { ipipMTU != 0 ? ipipMTU : hostMTU - 20 }

    /// True when `interface` is a workload interface (starts with one of `interfacePrefixes`).
    public func isWorkloadInterface(_ interface: String) -> Bool {
        interfacePrefixes.contains { interface.hasPrefix($0) }
    }
}

public enum IPForwarding: String, Sendable, Equatable, CaseIterable {
    case enabled = "Enabled"
    case disabled = "Disabled"
}

public enum EndpointToHostAction: String, Sendable, Equatable, CaseIterable {
    case drop = "Drop"
    case `return` = "Return"
    case accept = "Accept"
}

public enum WorkloadSourceSpoofing: String, Sendable, Equatable, CaseIterable {
    case disabled = "Disabled"
    case any = "Any"
}

/// Felix's log levels, most verbose first.
public enum LogSeverity: String, Sendable, Equatable, Comparable, CaseIterable {
    case trace = "Trace"
    case debug = "Debug"
    case info = "Info"
    case warning = "Warning"
    case error = "Error"
    case fatal = "Fatal"
    case panic = "Panic"
    case none = "None"

    public static func < (lhs: LogSeverity, rhs: LogSeverity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A Felix parameter that could not be applied; the value from the layer below stays in effect.
public struct FelixSettingsProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the value came from: `FelixConfiguration "default"`, `FelixConfiguration "node.a"` or
    /// `local configuration`.
    public var source: String
    public var parameter: String
    public var value: String
    public var reason: String

    public init(source: String, parameter: String, value: String, reason: String) {
        self.source = source
        self.parameter = parameter
        self.value = value
        self.reason = reason
    }

    public var description: String { "\(source): \(parameter) \"\(value)\": \(reason)" }
}
