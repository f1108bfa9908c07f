import NetworkAddress

/// FelixConfiguration's validation rules, as Calico's validator and CRD schema check them.
extension FelixConfigurationSpec {
    /// Calico's limit on `kubeNodePortRanges` (iptables' multiport match takes 15 ports, two per range).
    static let maxNodePortRanges = 7
    /// The most route tables `routeTableRanges` may designate in all.
    static let maxDesignatedRouteTables = 65535
    /// The highest route table index Linux has.
    static let maxRouteTable = 0xffff_ffff
    /// The range the deprecated singular `routeTableRange` must stay within.
    static let singularRouteTableRange = 1...250
    /// The route metrics Felix accepts for its normal and elevated (live-migration) routes.
    static let routePriorities = 1...2_147_483_646

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if metadata.name != "default" && !metadata.name.hasPrefix("node.") {
            validator.error(
                "", "a FelixConfiguration is named \"default\" or \"node.<nodename>\" (got \"\(metadata.name)\")")
        }
        checkChoices(into: validator)
        checkDurations(into: validator)
        checkNumbers(into: validator)
        checkRouteTables(into: validator)
        checkPorts(into: validator)
        checkPatterns(into: validator)
        checkAddresses(into: validator)
        checkDataplane(into: validator)
        warnAboutIgnoredFields(into: validator)
    }

    private func checkChoices(into validator: Validator) {
        let choices: [(String, String?, [String])] = [
            ("ipForwarding", ipForwarding, ["Enabled", "Disabled"]),
            ("nftablesMode", nftablesMode, ["Enabled", "Disabled", "Auto"]),
            ("iptablesBackend", iptablesBackend, ["Legacy", "NFT", "Auto"]),
            (
                "programClusterRoutes", programClusterRoutes,
                ["Enabled", "Disabled", "EnabledIPIPOnly", "EnabledNoEncapOnly"]
            ),
            ("routeSource", routeSource, ["CalicoIPAM", "WorkloadIPs"]),
            ("defaultEndpointToHostAction", defaultEndpointToHostAction, ["Drop", "Return", "Accept"]),
            ("iptablesFilterAllowAction", iptablesFilterAllowAction, ["Accept", "Return"]),
            ("iptablesMangleAllowAction", iptablesMangleAllowAction, ["Accept", "Return"]),
            ("iptablesFilterDenyAction", iptablesFilterDenyAction, ["Drop", "Reject"]),
            ("nftablesFilterAllowAction", nftablesFilterAllowAction, ["Accept", "Return"]),
            ("nftablesMangleAllowAction", nftablesMangleAllowAction, ["Accept", "Return"]),
            ("nftablesFilterDenyAction", nftablesFilterDenyAction, ["Drop", "Reject"]),
            ("chainInsertMode", chainInsertMode, ["Insert", "Append"]),
            ("serviceLoopPrevention", serviceLoopPrevention, ["Drop", "Reject", "Disabled"]),
            ("workloadSourceSpoofing", workloadSourceSpoofing, ["Disabled", "Any"]),
            ("natOutgoingExclusions", natOutgoingExclusions, ["IPPoolsOnly", "IPPoolsAndHostIPs"]),
            ("floatingIPs", floatingIPs, ["Enabled", "Disabled"]),
            ("logSeverityFile", logSeverityFile, FelixValues.severities),
            ("logSeverityScreen", logSeverityScreen, FelixValues.severities),
            ("logSeveritySys", logSeveritySys, FelixValues.severities),
            ("awsSrcDstCheck", awsSrcDstCheck, ["DoNothing", "Enable", "Disable"]),
            ("windowsManageFirewallRules", windowsManageFirewallRules, ["Enabled", "Disabled"]),
            ("flowLogsLocalReporter", flowLogsLocalReporter, ["Disabled", "Enabled"]),
            ("flowLogsPolicyEvaluationMode", flowLogsPolicyEvaluationMode, ["None", "Continuous"]),
            ("bpfLogLevel", bpfLogLevel, ["Off", "Info", "Debug"]),
            ("bpfConntrackLogLevel", bpfConntrackLogLevel, ["Off", "Debug"]),
            ("bpfConntrackMode", bpfConntrackMode, ["Auto", "Userspace", "BPFProgram"]),
            ("bpfConnectTimeLoadBalancing", bpfConnectTimeLoadBalancing, ["TCP", "Enabled", "Disabled"]),
            ("bpfHostNetworkedNATWithoutCTLB", bpfHostNetworkedNATWithoutCTLB, ["Enabled", "Disabled"]),
            ("bpfExternalServiceMode", bpfExternalServiceMode, ["Tunnel", "DSR"]),
            ("bpfMapSizeConntrackScaling", bpfMapSizeConntrackScaling, ["Disabled", "DoubleIfFull"]),
            ("bpfEnforceRPF", bpfEnforceRPF, ["Disabled", "Strict", "Loose"]),
            ("bpfRedirectToPeer", bpfRedirectToPeer, ["Enabled", "Disabled", "L2Only"]),
            ("bpfProfiling", bpfProfiling, ["Enabled", "Disabled"]),
        ]
        // An empty string is Calico's "not set" (its fields are `omitempty`).
        for (field, value, allowed) in choices {
            guard let value, !value.isEmpty else { continue }
            if !allowed.contains(where: { $0.caseInsensitiveCompare(value) == .orderedSame }) {
                validator.error(field, "must be one of \(allowed.joined(separator: ", ")) (got \"\(value)\")")
            }
        }
    }

    private func checkDurations(into validator: Validator) {
        let durations: [(String, String?)] = [
            ("routeRefreshInterval", routeRefreshInterval), ("interfaceRefreshInterval", interfaceRefreshInterval),
            ("iptablesRefreshInterval", iptablesRefreshInterval), ("ipsetsRefreshInterval", ipsetsRefreshInterval),
            ("nftablesRefreshInterval", nftablesRefreshInterval), ("netlinkTimeout", netlinkTimeout),
            ("dataplaneWatchdogTimeout", dataplaneWatchdogTimeout), ("reportingInterval", reportingInterval),
            ("reportingTTL", reportingTTL), ("endpointReportingDelay", endpointReportingDelay),
            ("iptablesPostWriteCheckInterval", iptablesPostWriteCheckInterval),
            ("iptablesLockTimeout", iptablesLockTimeout), ("iptablesLockProbeInterval", iptablesLockProbeInterval),
            ("xdpRefreshInterval", xdpRefreshInterval), ("usageReportingInitialDelay", usageReportingInitialDelay),
            ("usageReportingInterval", usageReportingInterval),
            ("liveMigrationRouteConvergenceTime", liveMigrationRouteConvergenceTime),
            ("debugSimulateCalcGraphHangAfter", debugSimulateCalcGraphHangAfter),
            ("debugSimulateDataplaneHangAfter", debugSimulateDataplaneHangAfter),
            ("debugSimulateDataplaneApplyDelay", debugSimulateDataplaneApplyDelay),
            ("flowLogsFlushInterval", flowLogsFlushInterval), ("bpfKubeProxyMinSyncPeriod", bpfKubeProxyMinSyncPeriod),
            ("wireguardKeepAlive", wireguardKeepAlive),
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
    }

    private func checkNumbers(into validator: Validator) {
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
        let ranges: [(String, Int?, ClosedRange<Int>)] = [
            ("vxlanVNI", vxlanVNI, 1...16_777_215),
            ("deviceRouteProtocol", deviceRouteProtocol, 0...255), ("debugPort", debugPort, 0...65535),
            ("metadataPort", metadataPort, 0...65535), ("bpfKubeProxyHealthzPort", bpfKubeProxyHealthzPort, 0...65535),
            ("bpfExtToServiceConnmark", bpfExtToServiceConnmark, 0...0xffff_ffff),
            ("wireguardListeningPort", wireguardListeningPort, 1...65535),
            ("wireguardListeningPortV6", wireguardListeningPortV6, 1...65535),
            ("wireguardRoutingRulePriority", wireguardRoutingRulePriority, 1...32765),
            ("bpfMaglevMaxEndpointsPerService", bpfMaglevMaxEndpointsPerService, 1...3000),
            ("bpfMaglevMaxServices", bpfMaglevMaxServices, 1...3000),
            ("bpfMapSizeConntrackCleanupQueue", bpfMapSizeConntrackCleanupQueue, 1...Int.max),
            ("goGCThreshold", goGCThreshold, -1...Int.max), ("goMemoryLimitMB", goMemoryLimitMB, -1...Int.max),
            ("goMaxProcs", goMaxProcs, -1...Int.max),
            ("ipv4NormalRoutePriority", ipv4NormalRoutePriority, Self.routePriorities),
            ("ipv4ElevatedRoutePriority", ipv4ElevatedRoutePriority, Self.routePriorities),
            ("ipv6NormalRoutePriority", ipv6NormalRoutePriority, Self.routePriorities),
            ("ipv6ElevatedRoutePriority", ipv6ElevatedRoutePriority, Self.routePriorities),
        ]
        for (field, value, range) in ranges {
            guard let value, !range.contains(value) else { continue }
            let bounds =
                range.upperBound == Int.max
                ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            validator.error(field, "must be \(bounds) (got \(value))")
        }
    }

    private func checkRouteTables(into validator: Validator) {
        if routeTableRange != nil && routeTableRanges != nil {
            validator.error(
                "routeTableRange", "cannot be set together with routeTableRanges (routeTableRanges replaces it)")
        }
        if let range = routeTableRange {
            let allowed = Self.singularRouteTableRange
            if range.min < allowed.lowerBound || range.max > allowed.upperBound || range.min > range.max {
                validator.error(
                    "routeTableRange",
                    "must be a range of route table indices within \(allowed.lowerBound)..\(allowed.upperBound) "
                        + "(got \(range.min)-\(range.max)); use routeTableRanges for other tables")
            }
        }
        guard let ranges = routeTableRanges else { return }
        validator.each("routeTableRanges", ranges) { range in
            if range.min < 1 { validator.error("min", "route table indices start at 1 (got \(range.min))") }
            if range.min > range.max {
                validator.error("", "min (\(range.min)) is greater than max (\(range.max))")
            }
            if range.max > Self.maxRouteTable {
                validator.error("max", "the highest route table index is \(Self.maxRouteTable) (got \(range.max))")
            }
        }
        let total = ranges.reduce(0) { $0 + max(0, $1.max - $1.min + 1) }
        if total > Self.maxDesignatedRouteTables {
            validator.error(
                "routeTableRanges",
                "designates \(total) route tables; at most \(Self.maxDesignatedRouteTables) are allowed")
        }
    }

    private func checkPorts(into validator: Validator) {
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
        guard let ranges = kubeNodePortRanges else { return }
        if ranges.count > Self.maxNodePortRanges {
            validator.error(
                "kubeNodePortRanges",
                "lists \(ranges.count) ranges; at most \(Self.maxNodePortRanges) are allowed "
                    + "(iptables' multiport match takes 15 ports)")
        }
        validator.each("kubeNodePortRanges", ranges) { entry in
            switch entry {
            case .named(let name):
                validator.error("", "node port ranges are numbers or ranges, not named ports (got \"\(name)\")")
            case .number(let port) where port == 0:
                validator.error("", "port numbers run from 1 to 65535")
            case .range(let low, let high) where low == 0 || low > high:
                validator.error("", "a range needs 1 <= min <= max (got \(low):\(high))")
            default:
                break
            }
        }
    }

    private func checkPatterns(into validator: Validator) {
        let expressions: [(String, String?)] = [
            ("mtuIfacePattern", mtuIfacePattern), ("bpfDataIfacePattern", bpfDataIfacePattern),
            ("bpfL3IfacePattern", bpfL3IfacePattern), ("bpfDisableGROForIfaces", bpfDisableGROForIfaces),
            ("logDebugFilenameRegex", logDebugFilenameRegex),
        ]
        for (field, value) in expressions {
            guard let value, !value.isEmpty else { continue }
            if (try? Regex(value)) == nil {
                validator.error(field, "\"\(value)\" is not a regular expression")
            }
        }
        if let host = prometheusMetricsHost, !host.isEmpty, !FelixSyntax.isHostName(host) {
            validator.error(
                "prometheusMetricsHost",
                "\"\(host)\" is not a host: up to 64 letters, digits and the characters : . _ + -")
        }
        if let filter = iptablesNATOutgoingInterfaceFilter, !filter.isEmpty,
            !FelixSyntax.isInterfaceFilter(filter)
        {
            validator.error(
                "iptablesNATOutgoingInterfaceFilter",
                "\"\(filter)\" is not an interface filter: up to 15 letters, digits and the characters : . _ + -")
        }
        for (field, name) in [
            ("wireguardInterfaceName", wireguardInterfaceName), ("wireguardInterfaceNameV6", wireguardInterfaceNameV6),
        ] {
            guard let name, !name.isEmpty else { continue }
            InterfaceNameRules.check(field, name, required: false, into: validator)
        }
        for (field, value) in [("featureDetectOverride", featureDetectOverride), ("featureGates", featureGates)] {
            guard let value, !FelixSyntax.isKeyValueList(value) else { continue }
            validator.error(field, "\"\(value)\" is not a comma-separated list of key=value")
        }
        if let region = openstackRegion, !region.isEmpty {
            let longest = 63 - "openstack-region-".count
            if region.utf8.count > longest {
                validator.error("openstackRegion", "must be at most \(longest) characters")
            } else if let reason = NameSyntax.labelProblem(region) {
                validator.error("openstackRegion", "must be a DNS label: \(reason)")
            }
        }
    }

    private func checkAddresses(into validator: Validator) {
        validator.family("natOutgoingAddress", natOutgoingAddress, .v4)
        validator.family("deviceRouteSourceAddress", deviceRouteSourceAddress, .v4)
        validator.family("deviceRouteSourceAddressIPv6", deviceRouteSourceAddressIPv6, .v6)
        validator.within("externalNodesList") {
            for (index, network) in (externalNodesList ?? []).enumerated() where network.family != .v4 {
                validator.error("[\(index)]", "\(network) is not IPv4; external nodes are listed by IPv4 CIDR")
            }
        }
    }

    /// Settings Tabby cannot honour without misleading the cluster: another dataplane, or encryption.
    private func checkDataplane(into validator: Validator) {
        if bpfEnabled == true { validator.error("bpfEnabled", "Tabby has no eBPF dataplane; it programs nf_tables") }
        if wireguardEnabled == true || wireguardEnabledV6 == true {
            validator.error("wireguardEnabled", "Tabby does not implement WireGuard encryption")
        }
    }

    /// A warning for each field set that Tabby does not act on, unless the value asks for what Tabby does
    /// anyway (`bpfEnabled: false`, `nftablesMode: Enabled`).
    private func warnAboutIgnoredFields(into validator: Validator) {
        for field in setFieldNames where !Self.tabbyReads.contains(field) && !selectsTabbyBehaviour(field) {
            validator.warning(field, "not implemented by Tabby; accepted and ignored")
        }
    }

    private func selectsTabbyBehaviour(_ field: String) -> Bool {
        switch field {
        case "bpfEnabled": bpfEnabled == false
        case "wireguardEnabled": wireguardEnabled == false
        case "wireguardEnabledV6": wireguardEnabledV6 == false
        case "wireguardHostEncryptionEnabled": wireguardHostEncryptionEnabled == false
        case "useInternalDataplaneDriver": useInternalDataplaneDriver == true
        case "nftablesMode": nftablesMode?.caseInsensitiveCompare("Enabled") == .orderedSame
        case "xdpEnabled": xdpEnabled == false
        default: false
        }
    }
}

/// The text forms Calico's validator checks with patterns.
enum FelixSyntax {
    /// A Prometheus or health host: 1-64 of letters, digits and `: . _ + -` (an IPv4 or IPv6 address, a name).
    static func isHostName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || ":._+-".utf8.contains($0) }
    }

    /// An iptables interface filter: 1-15 of letters, digits and `: . _ + -` (`+` is the wildcard).
    static func isInterfaceFilter(_ text: String) -> Bool {
        (1...15).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || ":._+-".utf8.contains($0) }
    }

    /// `key=value,key2=value2`: each non-empty item holds a word character followed by `=` (Calico's pattern
    /// is not anchored, so that is all it asks); empty items (a trailing comma) are allowed.
    static func isKeyValueList(_ text: String) -> Bool {
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let bytes = Array(item.utf8)
            let keyed = bytes.indices.contains { index in
                index > 0 && bytes[index] == UInt8(ascii: "=")
                    && (isAlphanumeric(bytes[index - 1]) || bytes[index - 1] == UInt8(ascii: "_"))
            }
            if !keyed { return false }
        }
        return true
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
