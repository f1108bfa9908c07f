import NetworkAddress

/// Where a rule sits: which kind of resource holds it and in which direction it matches.
struct RulePlace {
    enum Owner {
        case globalPolicy
        case namespacedPolicy
        case profile
    }

    var owner: Owner
    var direction: PolicyType

    var isPolicy: Bool { owner != .profile }
}

/// Validation of policy and profile rules (Calico's rule field rules).
enum RuleRules {
    static let maxNets = 256
    static let maxPorts = 50

    static func validate(_ rule: Rule, at place: RulePlace, into validator: Validator) {
        if let version = rule.ipVersion, version != 4 && version != 6 {
            validator.error("ipVersion", "must be 4 or 6 (got \(version))")
        }
        ProtocolRules.check("protocol", rule.protocol, ipVersion: rule.ipVersion, into: validator)
        ProtocolRules.check("notProtocol", rule.notProtocol, ipVersion: rule.ipVersion, into: validator)

        let family: IPFamily? = rule.ipVersion.flatMap { IPFamily(rawValue: $0) }
        var families = NetFamilies()
        for (field, side) in [("source", rule.source), ("destination", rule.destination)] {
            guard let side else { continue }
            validator.within(field) {
                EntityRules.validate(side, family: family, families: &families, into: validator)
                checkPortsNeedProtocol(side, rule: rule, into: validator)
            }
        }
        checkServicePlacement(rule, at: place, into: validator)
        for (field, icmp) in [("icmp", rule.icmp), ("notICMP", rule.notICMP)] {
            guard let icmp else { continue }
            validator.within(field) { checkICMP(icmp, rule: rule, into: validator) }
        }
        if let http = rule.http {
            validator.within("http") { HTTPMatchRules.validate(http, rule: rule, at: place, into: validator) }
        }
        if let annotations = rule.metadata?.annotations {
            validator.within("metadata") { AnnotationRules.validate(annotations, into: validator) }
        }
    }

    /// Numbered ports need a protocol with ports; named ports may leave the protocol out (the endpoint's named
    /// port carries it), but not name one without ports.
    private static func checkPortsNeedProtocol(_ side: EntityRule, rule: Rule, into validator: Validator) {
        for (field, ports) in [("ports", side.ports), ("notPorts", side.notPorts)] {
            guard let ports, !ports.isEmpty else { continue }
            let onlyNamed = ports.allSatisfy { if case .named = $0 { true } else { false } }
            if let protocolValue = rule.protocol {
                if !protocolValue.allowsPorts {
                    validator.error(field, "rules that match ports must set protocol to TCP, UDP or SCTP")
                }
            } else if !onlyNamed {
                validator.error(field, "rules that match port numbers must set protocol to TCP, UDP or SCTP")
            }
        }
    }

    /// Calico's rules for `services` matches: no ports on a destination service; in policies, a service only on
    /// the remote side (ingress source, egress destination), and in a GlobalNetworkPolicy with its namespace.
    private static func checkServicePlacement(_ rule: Rule, at place: RulePlace, into validator: Validator) {
        if let destination = rule.destination, destination.services != nil {
            validator.within("destination") {
                if !(destination.ports ?? []).isEmpty {
                    validator.error("ports", "cannot match ports together with services (the service's ports are used)")
                }
                if !(destination.notPorts ?? []).isEmpty {
                    validator.error("notPorts", "cannot match notPorts together with services")
                }
            }
        }
        guard place.isPolicy else { return }
        let (local, remote) = place.direction == .ingress ? ("destination", "source") : ("source", "destination")
        let localSide = place.direction == .ingress ? rule.destination : rule.source
        let remoteSide = place.direction == .ingress ? rule.source : rule.destination
        if localSide?.services != nil {
            validator.error(
                "\(local).services",
                "not allowed in \(place.direction == .ingress ? "an ingress" : "an egress") rule \(local); "
                    + "services match the \(remote) of \(place.direction == .ingress ? "ingress" : "egress") rules")
        }
        if place.owner == .globalPolicy, let services = remoteSide?.services, (services.namespace ?? "").isEmpty {
            validator.error(
                "\(remote).services.namespace", "a GlobalNetworkPolicy must name the service's namespace")
        }
    }

    private static func checkICMP(_ icmp: ICMPFields, rule: Rule, into validator: Validator) {
        let number = rule.protocol?.exactNumber
        if number != 1 && number != 58 {
            validator.error("", "ICMP matches need protocol ICMP or ICMPv6")
        }
        if let type = icmp.type, !(0...254).contains(type) {
            validator.error("type", "must be between 0 and 254 (got \(type))")
        }
        if let code = icmp.code {
            if icmp.type == nil { validator.error("code", "an ICMP code needs an ICMP type") }
            if !(0...255).contains(code) { validator.error("code", "must be between 0 and 255 (got \(code))") }
        }
    }
}

/// A rule's `protocol` and `notProtocol`: Calico's exact spellings, numbers 1-255, and the ICMP family rule.
enum ProtocolRules {
    static func check(_ field: String, _ value: ProtocolValue?, ipVersion: Int?, into validator: Validator) {
        guard let value else { return }
        switch value {
        case .number(let number):
            if number == 0 { validator.error(field, "protocol numbers run from 1 to 255") }
        case .name(let name):
            if ProtocolValue.knownNames.contains(name) { break }
            let expected = ProtocolValue.knownNames.joined(separator: ", ")
            if let spelled = ProtocolValue.knownNames.first(where: {
                $0.caseInsensitiveCompare(name) == .orderedSame
            }) {
                validator.error(
                    field, "protocol names are case-sensitive: write \"\(spelled)\", not \"\(name)\"")
            } else {
                validator.error(field, "unknown protocol \"\(name)\" (expected \(expected) or a number from 1 to 255)")
            }
        }
        switch value.exactNumber {
        case 1 where ipVersion != nil && ipVersion != 4:
            validator.error(field, "protocol ICMP is IPv4-only; use ICMPv6 with ipVersion 6")
        case 58 where ipVersion != nil && ipVersion != 6:
            validator.error(field, "protocol ICMPv6 is IPv6-only; use ICMP with ipVersion 4")
        default: break
        }
    }
}

/// IANA service names, as named ports use them.
enum PortNameSyntax {
    static func problem(_ name: String) -> String? {
        if name.isEmpty || name.utf8.count > 15 {
            return "a port name is 1 to 15 characters (got \"\(name)\")"
        }
        let allowed = name.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                || $0 == UInt8(ascii: "-")
        }
        if !allowed { return "\"\(name)\" is not a port number, range or name (lowercase letters, digits, '-')" }
        return nil
    }
}
