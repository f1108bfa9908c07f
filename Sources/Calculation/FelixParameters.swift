import CalicoAPI
import NetworkAddress

/// Why a parameter's text was rejected.
struct FelixParameterRejection: Error, Sendable {
    let reason: String
}

extension FelixSettings {
    /// Every parameter `FelixSettings` reads, by its FelixConfiguration field name. Local overrides use the same
    /// names (matched without regard to case, as Felix matches its environment and config file).
    public static let parameterNames: [String] = [
        "vxlanEnabled", "ipipEnabled", "vxlanVNI", "vxlanPort", "vxlanMTU", "vxlanMTUV6", "ipipMTU",
        "routeRefreshInterval", "interfacePrefix", "deviceRouteProtocol", "ipv6Support", "ipForwarding",
        "defaultEndpointToHostAction", "natOutgoingAddress", "mtuIfacePattern", "removeExternalRoutes",
        "workloadSourceSpoofing", "healthEnabled", "healthHost", "healthPort", "prometheusMetricsEnabled",
        "prometheusMetricsHost", "prometheusMetricsPort", "logSeverityScreen",
    ]

    /// Sets one parameter from its text form; on a bad name or value nothing changes and the reason is thrown.
    mutating func apply(parameter name: String, text: String) throws(FelixParameterRejection) {
        let value = text.trimmingSpaces
        switch name.lowercased() {
        case "vxlanenabled": vxlanEnabled = try Self.bool(value)
        case "ipipenabled": ipipEnabled = try Self.bool(value)
        case "vxlanvni": vxlanVNI = UInt32(try Self.integer(value, in: 1...16_777_215))
        case "vxlanport": vxlanPort = UInt16(try Self.integer(value, in: 1...65535))
        case "vxlanmtu": vxlanMTU = try Self.mtu(value)
        case "vxlanmtuv6": vxlanMTUV6 = try Self.mtu(value)
        case "ipipmtu": ipipMTU = try Self.mtu(value)
        case "routerefreshinterval": routeRefreshInterval = try Self.duration(value)
        case "interfaceprefix": interfacePrefixes = try Self.interfacePrefixes(value)
        case "devicerouteprotocol": deviceRouteProtocol = UInt8(try Self.integer(value, in: 0...255))
        case "ipv6support": ipv6Support = try Self.bool(value)
        case "ipforwarding": ipForwarding = try Self.choice(value)
        case "defaultendpointtohostaction": defaultEndpointToHostAction = try Self.choice(value)
        case "natoutgoingaddress": natOutgoingAddress = try Self.ipv4(value)
        case "mtuifacepattern": mtuIfacePattern = try Self.regex(value)
        case "removeexternalroutes": removeExternalRoutes = try Self.bool(value)
        case "workloadsourcespoofing": workloadSourceSpoofing = try Self.choice(value)
        case "healthenabled": healthEnabled = try Self.bool(value)
        case "healthhost": healthHost = try Self.nonEmpty(value)
        case "healthport": healthPort = UInt16(try Self.integer(value, in: 1...65535))
        case "prometheusmetricsenabled": prometheusMetricsEnabled = try Self.bool(value)
        case "prometheusmetricshost": prometheusMetricsHost = value
        case "prometheusmetricsport": prometheusMetricsPort = UInt16(try Self.integer(value, in: 1...65535))
        case "logseverityscreen": logSeverityScreen = try Self.severity(value)
        default: throw FelixParameterRejection(reason: "not a parameter Tabby reads")
        }
    }

    // MARK: Value syntax, as Felix accepts it

    static func bool(_ text: String) throws(FelixParameterRejection) -> Bool {
        switch text.lowercased() {
        case "true", "t", "yes", "y", "1": return true
        case "false", "f", "no", "n", "0": return false
        default: throw FelixParameterRejection(reason: "expected true or false")
        }
    }

    static func integer(_ text: String, in range: ClosedRange<Int>) throws(FelixParameterRejection) -> Int {
        guard let value = Int(text) else { throw FelixParameterRejection(reason: "expected a whole number") }
        guard range.contains(value) else {
            throw FelixParameterRejection(reason: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    static func mtu(_ text: String) throws(FelixParameterRejection) -> Int {
        let value = try integer(text, in: 0...65535)
        guard value == 0 || value >= 68 else {
            throw FelixParameterRejection(reason: "must be 0 (host MTU minus the overhead) or 68-65535")
        }
        return value
    }

    /// A Go duration (`90s`, `1m30s`) or, as in Felix's config file, a number of seconds.
    static func duration(_ text: String) throws(FelixParameterRejection) -> Duration {
        guard let seconds = GoDuration.seconds(text) ?? Double(text), seconds.isFinite else {
            throw FelixParameterRejection(reason: "expected a duration such as 90s or 1m30s, or a number of seconds")
        }
        guard seconds >= 0 else { throw FelixParameterRejection(reason: "cannot be negative") }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static func interfacePrefixes(_ text: String) throws(FelixParameterRejection) -> [String] {
        let prefixes = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        for prefix in prefixes {
            guard !prefix.isEmpty else { throw FelixParameterRejection(reason: "an interface prefix is empty") }
            guard prefix.utf8.count < 15, !prefix.contains("/"), !prefix.contains(" ") else {
                throw FelixParameterRejection(reason: "\"\(prefix)\" cannot start an interface name")
            }
        }
        return prefixes
    }

    static func choice<Choice: RawRepresentable & CaseIterable>(
        _ text: String
    ) throws(FelixParameterRejection) -> Choice where Choice.RawValue == String {
        guard let match = Choice.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            let names = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw FelixParameterRejection(reason: "must be one of \(names)")
        }
        return match
    }

    static func severity(_ text: String) throws(FelixParameterRejection) -> LogSeverity {
        if text.lowercased() == "warn" { return .warning }
        return try choice(text)
    }

    /// An IPv4 address; empty text unsets the parameter.
    static func ipv4(_ text: String) throws(FelixParameterRejection) -> IPAddress? {
        if text.isEmpty { return nil }
        guard let address = IPAddress(text), address.family == .v4 else {
            throw FelixParameterRejection(reason: "expected an IPv4 address")
        }
        return address
    }

    static func regex(_ text: String) throws(FelixParameterRejection) -> String {
        do {
            _ = try Regex(text)
        } catch {
            throw FelixParameterRejection(reason: "not a regular expression: \(error)")
        }
        return text
    }

    static func nonEmpty(_ text: String) throws(FelixParameterRejection) -> String {
        guard !text.isEmpty else { throw FelixParameterRejection(reason: "cannot be empty") }
        return text
    }
}

extension FelixConfigurationSpec {
    /// The parameters `FelixSettings` reads that this resource sets, in text form, so that datastore values and
    /// local overrides go through the same checks.
    var settingsParameters: [(name: String, text: String)] {
        var parameters: [(name: String, text: String)] = []
        func add(_ name: String, _ value: (some CustomStringConvertible)?) {
            if let value { parameters.append((name, value.description)) }
        }
        add("vxlanEnabled", vxlanEnabled)
        add("ipipEnabled", ipipEnabled)
        add("vxlanVNI", vxlanVNI)
        add("vxlanPort", vxlanPort)
        add("vxlanMTU", vxlanMTU)
        add("vxlanMTUV6", vxlanMTUV6)
        add("ipipMTU", ipipMTU)
        add("routeRefreshInterval", routeRefreshInterval)
        add("interfacePrefix", interfacePrefix)
        add("deviceRouteProtocol", deviceRouteProtocol)
        add("ipv6Support", ipv6Support)
        add("ipForwarding", ipForwarding)
        add("defaultEndpointToHostAction", defaultEndpointToHostAction)
        add("natOutgoingAddress", natOutgoingAddress)
        add("mtuIfacePattern", mtuIfacePattern)
        add("removeExternalRoutes", removeExternalRoutes)
        add("workloadSourceSpoofing", workloadSourceSpoofing)
        add("healthEnabled", healthEnabled)
        add("healthHost", healthHost)
        add("healthPort", healthPort)
        add("prometheusMetricsEnabled", prometheusMetricsEnabled)
        add("prometheusMetricsHost", prometheusMetricsHost)
        add("prometheusMetricsPort", prometheusMetricsPort)
        add("logSeverityScreen", logSeverityScreen)
        return parameters
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs (no Foundation in this module).
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
