import NetworkAddress

/// FelixConfiguration: the agent's settings, `default` for all nodes and `node.<name>` for one.
///
/// Every field of Calico's FelixConfigurationSpec is here, so that a real cluster's FelixConfiguration
/// applies; a field Calico does not have is rejected as an unknown field (a typo, not a setting). The fields
/// Tabby acts on are listed in ``tabbyReads``; setting any other is accepted with a warning naming it, so
/// nobody believes a setting took effect when it did not (the rules are in FelixConfigurationRules.swift).
public typealias FelixConfiguration = Resource<FelixConfigurationSpec>

public struct FelixConfigurationSpec: ResourceSpec {
    public static let kind = ResourceKind.felixConfiguration

    public struct RouteTableRange: Codable, Sendable, Equatable {
        public var min: Int
        public var max: Int
    }

    public struct ProtoPort: Codable, Sendable, Equatable {
        public var `protocol`: String
        public var port: UInt16
        public var net: CIDR?
    }

    public struct HealthTimeoutOverride: Codable, Sendable, Equatable {
        public var name: String
        public var timeout: String
    }

    // Dataplane selection.
    public var useInternalDataplaneDriver: Bool?
    public var dataplaneDriver: String?
    public var ipv6Support: Bool?
    public var ipForwarding: String?
    public var nftablesMode: String?
    public var iptablesBackend: String?
    public var bpfEnabled: Bool?
    public var xdpEnabled: Bool?
    public var genericXDPEnabled: Bool?
    public var wireguardEnabled: Bool?
    public var wireguardEnabledV6: Bool?
    public var featureDetectOverride: String?
    public var featureGates: String?

    // Refresh intervals (Go durations such as "90s").
    public var routeRefreshInterval: String?
    public var interfaceRefreshInterval: String?
    public var iptablesRefreshInterval: String?
    public var ipsetsRefreshInterval: String?
    public var nftablesRefreshInterval: String?
    public var netlinkTimeout: String?
    public var dataplaneWatchdogTimeout: String?
    public var reportingInterval: String?
    public var reportingTTL: String?
    public var endpointReportingDelay: String?

    // Encapsulation.
    public var ipipEnabled: Bool?
    public var ipipMTU: Int?
    public var vxlanEnabled: Bool?
    public var vxlanMTU: Int?
    public var vxlanMTUV6: Int?
    public var vxlanPort: Int?
    public var vxlanVNI: Int?
    public var wireguardMTU: Int?
    public var wireguardMTUV6: Int?
    public var mtuIfacePattern: String?
    public var allowVXLANPacketsFromWorkloads: Bool?
    public var allowIPIPPacketsFromWorkloads: Bool?
    /// Calico's `externalNodesList` (its Go field is `ExternalNodesCIDRList`).
    public var externalNodesList: [IPNetwork]?

    // Routes and interfaces.
    public var interfacePrefix: String?
    public var interfaceExclude: String?
    public var routeTableRanges: [RouteTableRange]?
    public var routeTableRange: RouteTableRange?
    public var deviceRouteProtocol: Int?
    public var deviceRouteSourceAddress: IPAddress?
    public var deviceRouteSourceAddressIPv6: IPAddress?
    public var removeExternalRoutes: Bool?
    public var programClusterRoutes: String?
    public var routeSource: String?
    public var routeSyncDisabled: Bool?
    public var ipv4NormalRoutePriority: Int?
    public var ipv4ElevatedRoutePriority: Int?
    public var ipv6NormalRoutePriority: Int?
    public var ipv6ElevatedRoutePriority: Int?

    // Policy.
    public var defaultEndpointToHostAction: String?
    public var iptablesFilterAllowAction: String?
    public var iptablesMangleAllowAction: String?
    public var iptablesFilterDenyAction: String?
    public var chainInsertMode: String?
    public var iptablesMarkMask: UInt32?
    public var nftablesMarkMask: UInt32?
    public var failsafeInboundHostPorts: [ProtoPort]?
    public var failsafeOutboundHostPorts: [ProtoPort]?
    public var serviceLoopPrevention: String?
    public var workloadSourceSpoofing: String?
    public var kubeNodePortRanges: [PortMatch]?
    public var maxIpsetSize: Int?
    public var logPrefix: String?

    // NAT.
    public var natOutgoingAddress: IPAddress?
    public var natOutgoingExclusions: String?
    public var natPortRange: String?
    public var floatingIPs: String?

    // Operations.
    public var logFilePath: String?
    public var logSeverityFile: String?
    public var logSeverityScreen: String?
    public var logSeveritySys: String?
    public var healthEnabled: Bool?
    public var healthHost: String?
    public var healthPort: Int?
    public var healthTimeoutOverrides: [HealthTimeoutOverride]?
    public var prometheusMetricsEnabled: Bool?
    public var prometheusMetricsHost: String?
    public var prometheusMetricsPort: Int?
    public var prometheusGoMetricsEnabled: Bool?
    public var prometheusProcessMetricsEnabled: Bool?
    public var endpointReportingEnabled: Bool?
    public var endpointStatusPathPrefix: String?
    public var usageReportingEnabled: Bool?

    // Calico's fields Tabby does not act on (accepted with a warning): iptables, XDP, eBPF, WireGuard,
    // OpenStack, flow logs, debugging and the Go runtime.
    public var iptablesPostWriteCheckInterval: String?
    public var iptablesLockFilePath: String?
    public var iptablesLockTimeout: String?
    public var iptablesLockProbeInterval: String?
    public var iptablesNATOutgoingInterfaceFilter: String?
    public var xdpRefreshInterval: String?
    public var disableConntrackInvalidCheck: Bool?
    public var sidecarAccelerationEnabled: Bool?
    public var nftablesFilterAllowAction: String?
    public var nftablesMangleAllowAction: String?
    public var nftablesFilterDenyAction: String?
    public var metadataAddr: String?
    public var metadataPort: Int?
    public var openstackRegion: String?
    public var policySyncPathPrefix: String?
    public var logDebugFilenameRegex: String?
    public var usageReportingInitialDelay: String?
    public var usageReportingInterval: String?
    public var prometheusWireGuardMetricsEnabled: Bool?
    public var liveMigrationRouteConvergenceTime: String?
    public var requireMTUFile: Bool?
    public var awsSrcDstCheck: String?
    public var windowsManageFirewallRules: String?
    public var debugMemoryProfilePath: String?
    public var debugDisableLogDropping: Bool?
    public var debugSimulateCalcGraphHangAfter: String?
    public var debugSimulateDataplaneHangAfter: String?
    public var debugSimulateDataplaneApplyDelay: String?
    public var debugHost: String?
    public var debugPort: Int?
    public var goGCThreshold: Int?
    public var goMemoryLimitMB: Int?
    public var goMaxProcs: Int?
    public var flowLogsFlushInterval: String?
    public var flowLogsCollectorDebugTrace: Bool?
    public var flowLogsGoldmaneServer: String?
    public var flowLogsLocalReporter: String?
    public var flowLogsPolicyEvaluationMode: String?
    public var bpfDisableUnprivileged: Bool?
    public var bpfLogLevel: String?
    public var bpfConntrackLogLevel: String?
    public var bpfConntrackMode: String?
    public var bpfConntrackTimeouts: [String: String]?
    public var bpfLogFilters: [String: String]?
    public var bpfCTLBLogFilter: String?
    public var bpfDataIfacePattern: String?
    public var bpfL3IfacePattern: String?
    public var bpfConnectTimeLoadBalancingEnabled: Bool?
    public var bpfConnectTimeLoadBalancing: String?
    public var bpfHostNetworkedNATWithoutCTLB: String?
    public var bpfExternalServiceMode: String?
    public var bpfDSROptoutCIDRs: [IPNetwork]?
    public var bpfExtToServiceConnmark: Int?
    public var bpfKubeProxyIptablesCleanupEnabled: Bool?
    public var bpfKubeProxyMinSyncPeriod: String?
    public var bpfKubeProxyEndpointSlicesEnabled: Bool?
    public var bpfKubeProxyHealthzPort: Int?
    public var bpfPSNATPorts: String?
    public var bpfMapSizeNATFrontend: Int?
    public var bpfMapSizeNATBackend: Int?
    public var bpfMapSizeNATAffinity: Int?
    public var bpfMapSizeRoute: Int?
    public var bpfMapSizeConntrack: Int?
    public var bpfMapSizePerCpuConntrack: Int?
    public var bpfMapSizeConntrackScaling: String?
    public var bpfMapSizeConntrackCleanupQueue: Int?
    public var bpfMapSizeIPSets: Int?
    public var bpfMapSizeIfState: Int?
    public var bpfHostConntrackBypass: Bool?
    public var bpfEnforceRPF: String?
    public var bpfPolicyDebugEnabled: Bool?
    public var bpfForceTrackPacketsFromIfaces: [String]?
    public var bpfDisableGROForIfaces: String?
    public var bpfExcludeCIDRsFromNAT: [IPNetwork]?
    public var bpfExportBufferSizeMB: Int?
    public var bpfRedirectToPeer: String?
    public var bpfProfiling: String?
    public var bpfMaglevMaxEndpointsPerService: Int?
    public var bpfMaglevMaxServices: Int?
    public var wireguardThreadingEnabled: Bool?
    public var wireguardListeningPort: Int?
    public var wireguardListeningPortV6: Int?
    public var wireguardRoutingRulePriority: Int?
    public var wireguardInterfaceName: String?
    public var wireguardInterfaceNameV6: String?
    public var wireguardHostEncryptionEnabled: Bool?
    public var wireguardKeepAlive: String?

    public init() {}

    /// The old spelling of `externalNodesList` (Calico's Go name), for code written against it.
    public var externalNodesCIDRList: [IPNetwork]? {
        get { externalNodesList }
        set { externalNodesList = newValue }
    }

    /// The fields Tabby acts on; every other field set draws a "not implemented by Tabby" warning.
    public static let tabbyReads: Set<String> = [
        "vxlanEnabled", "ipipEnabled", "vxlanVNI", "vxlanPort", "vxlanMTU", "ipipMTU", "routeRefreshInterval",
        "interfacePrefix", "deviceRouteProtocol", "ipv6Support", "ipForwarding", "defaultEndpointToHostAction",
        "natOutgoingAddress", "mtuIfacePattern", "removeExternalRoutes", "workloadSourceSpoofing", "healthEnabled",
        "healthHost", "healthPort", "prometheusMetricsEnabled", "prometheusMetricsHost", "prometheusMetricsPort",
        "logSeverityScreen", "failsafeInboundHostPorts", "failsafeOutboundHostPorts", "externalNodesList",
        "vxlanMTUV6",
    ]

    /// The names of the fields this spec sets, in declaration order; an empty string counts as not set, as in
    /// Calico (whose string fields are `omitempty`).
    public var setFieldNames: [String] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let label = child.label else { return nil }
            let value = Mirror(reflecting: child.value)
            guard value.displayStyle == .optional else { return label }
            guard let wrapped = value.children.first?.value else { return nil }
            return (wrapped as? String)?.isEmpty == true ? nil : label
        }
    }
}

enum FelixValues {
    static let severities = ["Trace", "Debug", "Info", "Warning", "Error", "Fatal", "Panic", "None"]
}

/// Go's duration syntax (`1h2m3.5s`, `250ms`), as Calico writes intervals.
public enum GoDuration {
    /// The duration in seconds, or nil when `text` is not a Go duration.
    public static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        return negative ? -total : total
    }
}
