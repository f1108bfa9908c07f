import CalicoAPI
import NetworkAddress

/// BGPFilter rules and BGPConfiguration communities as BIRD filter statements.
struct BIRDFilterRules {
    var problems: [BGPProblem] = []

    /// The statements of a session's filters for one direction and family, in order: each rule that matches
    /// ends the filter with its action; a route no rule matches goes on to the default.
    mutating func statements(of filters: [BGPFilter], export: Bool, family: IPFamily) -> [String] {
        var result: [String] = []
        for filter in filters {
            let field = (export ? "spec.export" : "spec.import") + (family == .v4 ? "V4" : "V6")
            let rules: [BGPFilterSpec.Rule]? =
                switch (export, family) {
                case (true, .v4): filter.spec.exportV4
                case (false, .v4): filter.spec.importV4
                case (true, .v6): filter.spec.exportV6
                case (false, .v6): filter.spec.importV6
                }
            for (index, rule) in (rules ?? []).enumerated() {
                let resource = "BGPFilter \"\(filter.metadata.name)\""
                if let statement = statement(of: rule, family: family, resource: resource, field: "\(field)[\(index)]") {
                    result.append(statement)
                }
            }
        }
        return result
    }

    private mutating func statement(of rule: BGPFilterSpec.Rule, family: IPFamily, resource: String, field: String)
        -> String?
    {
        func problem(_ subfield: String, _ reason: String) -> String? {
            problems.append(BGPProblem(resource: resource, field: field + subfield, reason: reason + "; the rule is left out"))
            return nil
        }
        let action: String
        switch rule.action {
        case "Accept": action = "accept"
        case "Reject": action = "reject"
        default: return problem(".action", "\"\(rule.action)\" is not Accept or Reject")
        }
        var conditions: [String] = []
        if let text = rule.cidr {
            guard let cidr = CIDR(text), cidr.family == family else {
                return problem(".cidr", "\"\(text)\" is not an \(family == .v4 ? "IPv4" : "IPv6") CIDR")
            }
            let width = family == .v4 ? 32 : 128
            let low = Int(rule.prefixLength?.min ?? Int32(cidr.prefixLength))
            let high = Int(rule.prefixLength?.max ?? Int32(width))
            guard low >= cidr.prefixLength, low <= high, high <= width else {
                return problem(".prefixLength", "must lie between the CIDR's length \(cidr.prefixLength) and \(width), min <= max")
            }
            let set = "[ \(cidr.masked){\(low),\(high)} ]"
            switch rule.matchOperator ?? "" {
            case "Equal": conditions.append("net = \(cidr.masked)")
            case "NotEqual": conditions.append("net != \(cidr.masked)")
            case "In": conditions.append("net ~ \(set)")
            case "NotIn": conditions.append("net !~ \(set)")
            default:
                return problem(".matchOperator", "\"\(rule.matchOperator ?? "")\" is not Equal, NotEqual, In or NotIn")
            }
        } else if rule.matchOperator != nil {
            return problem(".cidr", "a matchOperator needs a cidr")
        }
        if let source = rule.source {
            guard source == "RemotePeers" else { return problem(".source", "\"\(source)\" is not RemotePeers") }
            conditions.append("source = RTS_BGP")
        }
        if let interface = rule.interface {
            conditions.append("ifname ~ \(BIRDSyntax.quoted(interface))")
        }
        if conditions.isEmpty { return "\(action);" }
        return "if \(conditions.map { "(\($0))" }.joined(separator: " && ")) then \(action);"
    }

    /// The community statements for routes this node originates: each prefix advertisement's communities,
    /// named (from `communities`) or literal, added when the route lies in its CIDR.
    mutating func communityStatements(_ settings: BGPEffectiveSettings, family: IPFamily, resource: String) -> [String] {
        var named: [String: String] = [:]
        for community in settings.communities {
            if let name = community.name, let value = community.value { named[name] = value }
        }
        var result: [String] = []
        for (index, advertisement) in settings.prefixAdvertisements.enumerated() {
            let field = "spec.prefixAdvertisements[\(index)]"
            guard let text = advertisement.cidr, let cidr = CIDR(text) else {
                problems.append(BGPProblem(resource: resource, field: field + ".cidr", reason: "\"\(advertisement.cidr ?? "")\" is not a CIDR; the advertisement is left out"))
                continue
            }
            guard cidr.family == family else { continue }
            for (position, entry) in (advertisement.communities ?? []).enumerated() {
                let value = named[entry] ?? entry
                guard let statement = Self.communityAdd(value) else {
                    problems.append(
                        BGPProblem(
                            resource: resource, field: "\(field).communities[\(position)]",
                            reason: "\"\(entry)\" is neither a community named in spec.communities nor aa:nn or aa:nn:mm; it is left out"))
                    continue
                }
                result.append("if net ~ [ \(cidr.masked)+ ] then \(statement)")
            }
        }
        return result
    }

    /// `aa:nn` (16-bit parts) as a standard community, `aa:nn:mm` (32-bit parts) as a large one.
    static func communityAdd(_ value: String) -> String? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 2:
            guard let first = UInt16(parts[0]), let second = UInt16(parts[1]) else { return nil }
            return "bgp_community.add((\(first), \(second)));"
        case 3:
            guard let first = UInt32(parts[0]), let second = UInt32(parts[1]), let third = UInt32(parts[2]) else {
                return nil
            }
            return "bgp_large_community.add((\(first), \(second), \(third)));"
        default:
            return nil
        }
    }
}
