import NetworkAddress

/// FelixConfiguration: the agent's settings, `default` for all nodes and `node.<name>` for one.
///
/// Tabby reads the Felix parameters below. A parameter that is not listed is rejected as an unknown field
/// rather than silently ignored, so nobody believes a setting took effect when it did not.
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
    public var externalNodesCIDRList: [IPNetwork]?

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

    public init() {}

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if metadata.name != "default" && !metadata.name.hasPrefix("node.") {
            validator.error(
                "", "a FelixConfiguration is named \"default\" or \"node.<nodename>\" (got \"\(metadata.name)\")")
        }
        let choices: [(String, String?, [String])] = [
            ("ipForwarding", ipForwarding, ["Enabled", "Disabled"]),
            ("nftablesMode", nftablesMode, ["Enabled", "Disabled", "Auto"]),
            ("iptablesBackend", iptablesBackend, ["Legacy", "NFT", "Auto"]),
            ("programClusterRoutes", programClusterRoutes,
             ["Enabled", "Disabled", "EnabledIPIPOnly", "EnabledNoEncapOnly"]),
            ("routeSource", routeSource, ["CalicoIPAM", "WorkloadIPs"]),
            ("defaultEndpointToHostAction", defaultEndpointToHostAction, ["Drop", "Return", "Accept"]),
            ("iptablesFilterAllowAction", iptablesFilterAllowAction, ["Accept", "Return"]),
            ("iptablesMangleAllowAction", iptablesMangleAllowAction, ["Accept", "Return"]),
            ("iptablesFilterDenyAction", iptablesFilterDenyAction, ["Drop", "Reject"]),
            ("chainInsertMode", chainInsertMode, ["Insert", "Append"]),
            ("serviceLoopPrevention", serviceLoopPrevention, ["Drop", "Reject", "Disabled"]),
            ("workloadSourceSpoofing", workloadSourceSpoofing, ["Disabled", "Any"]),
            ("natOutgoingExclusions", natOutgoingExclusions, ["IPPoolsOnly", "IPPoolsAndHostIPs"]),
            ("floatingIPs", floatingIPs, ["Enabled", "Disabled"]),
            ("logSeverityFile", logSeverityFile, FelixValues.severities),
            ("logSeverityScreen", logSeverityScreen, FelixValues.severities),
            ("logSeveritySys", logSeveritySys, FelixValues.severities),
        ]
        for (field, value, allowed) in choices {
            guard let value else { continue }
            if !allowed.contains(where: { $0.caseInsensitiveCompare(value) == .orderedSame }) {
                validator.error(field, "must be one of \(allowed.joined(separator: ", ")) (got \"\(value)\")")
            }
        }
        let durations: [(String, String?)] = [
            ("routeRefreshInterval", routeRefreshInterval), ("interfaceRefreshInterval", interfaceRefreshInterval),
            ("iptablesRefreshInterval", iptablesRefreshInterval), ("ipsetsRefreshInterval", ipsetsRefreshInterval),
            ("nftablesRefreshInterval", nftablesRefreshInterval), ("netlinkTimeout", netlinkTimeout),
            ("dataplaneWatchdogTimeout", dataplaneWatchdogTimeout), ("reportingInterval", reportingInterval),
            ("reportingTTL", reportingTTL), ("endpointReportingDelay", endpointReportingDelay),
        ]
        for (field, value) in durations {
            guard let value else { continue }
            if GoDuration.seconds(value) == nil {
                validator.error(field, "\"\(value)\" is not a duration (write it like 90s, 1m30s or 500ms)")
            }
        }
        validator.each("healthTimeoutOverrides", healthTimeoutOverrides) { override in
            if GoDuration.seconds(override.timeout) == nil {
                validator.error("timeout", "\"\(override.timeout)\" is not a duration")
            }
        }
        let mtus: [(String, Int?)] = [
            ("ipipMTU", ipipMTU), ("vxlanMTU", vxlanMTU), ("vxlanMTUV6", vxlanMTUV6), ("wireguardMTU", wireguardMTU),
            ("wireguardMTUV6", wireguardMTUV6),
        ]
        for (field, value) in mtus {
            guard let value, value != 0 else { continue }
            if !(68...65535).contains(value) { validator.error(field, "must be 0 (automatic) or 68-65535") }
        }
        let ports: [(String, Int?)] = [
            ("vxlanPort", vxlanPort), ("healthPort", healthPort), ("prometheusMetricsPort", prometheusMetricsPort),
        ]
        for (field, value) in ports {
            guard let value else { continue }
            if !(1...65535).contains(value) { validator.error(field, "must be a port from 1 to 65535") }
        }
        if let vxlanVNI, !(1...16_777_215).contains(vxlanVNI) {
            validator.error("vxlanVNI", "must be between 1 and 16777215")
        }
        if let deviceRouteProtocol, !(0...255).contains(deviceRouteProtocol) {
            validator.error("deviceRouteProtocol", "must be between 0 and 255")
        }
        validator.each("routeTableRanges", routeTableRanges) { range in
            if range.min < 1 || range.max > 0xfffe_ffff || range.min > range.max {
                validator.error("", "a range needs 1 <= min <= max (got \(range.min)-\(range.max))")
            }
        }
        for (field, list) in [
            ("failsafeInboundHostPorts", failsafeInboundHostPorts),
            ("failsafeOutboundHostPorts", failsafeOutboundHostPorts),
        ] {
            validator.each(field, list) { entry in
                if !["tcp", "udp", "sctp"].contains(entry.protocol.lowercased()) {
                    validator.error("protocol", "must be TCP, UDP or SCTP (got \(entry.protocol))")
                }
            }
        }
        validator.family("natOutgoingAddress", natOutgoingAddress, .v4)
        validator.family("deviceRouteSourceAddress", deviceRouteSourceAddress, .v4)
        validator.family("deviceRouteSourceAddressIPv6", deviceRouteSourceAddressIPv6, .v6)
        if bpfEnabled == true { validator.error("bpfEnabled", "Tabby has no eBPF dataplane; it programs nf_tables") }
        if wireguardEnabled == true || wireguardEnabledV6 == true {
            validator.error("wireguardEnabled", "Tabby does not implement WireGuard encryption")
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
