import NetworkAddress

/// Validation of policy and profile rules (Calico's rule field rules).
enum RuleRules {
    static let maxNets = 256
    static let maxPorts = 50

    static func validate(_ rule: Rule, namespaced: Bool, into validator: Validator) {
        if let version = rule.ipVersion, version != 4 && version != 6 {
            validator.error("ipVersion", "must be 4 or 6 (got \(version))")
        }
        checkProtocol("protocol", rule.protocol, into: validator)
        checkProtocol("notProtocol", rule.notProtocol, into: validator)
        for (field, value) in [("protocol", rule.protocol), ("notProtocol", rule.notProtocol)] {
            if value?.number == 1 && rule.ipVersion == 6 {
                validator.error(field, "protocol ICMP is IPv4-only; use ICMPv6 with ipVersion 6")
            } else if value?.number == 58 && rule.ipVersion == 4 {
                validator.error(field, "protocol ICMPv6 is IPv6-only; use ICMP with ipVersion 4")
            }
        }

        let family: IPFamily? = rule.ipVersion.flatMap { IPFamily(rawValue: $0) }
        let sides = [("source", rule.source), ("destination", rule.destination)]
        for (field, side) in sides {
            guard let side else { continue }
            validator.within(field) {
                validateEntity(side, family: family, namespaced: namespaced, into: validator)
                if side.hasPorts && !(rule.protocol?.allowsPorts ?? false) {
                    validator.error(
                        side.ports?.isEmpty == false ? "ports" : "notPorts",
                        "rules that match ports must set protocol to TCP, UDP or SCTP")
                }
            }
        }
        for (field, icmp) in [("icmp", rule.icmp), ("notICMP", rule.notICMP)] {
            guard let icmp else { continue }
            validator.within(field) { checkICMP(icmp, rule: rule, into: validator) }
        }
        if let http = rule.http {
            validator.within("http") {
                if rule.action != .allow { validator.error("", "HTTP matches are only allowed on Allow rules") }
                if let number = rule.protocol?.number, number != 6 {
                    validator.error("", "HTTP matches need protocol TCP")
                }
                validator.each("paths", http.paths) { path in
                    if (path.exact == nil) == (path.prefix == nil) {
                        validator.error("", "set exactly one of exact or prefix")
                    }
                }
            }
        }
    }

    private static func checkProtocol(_ field: String, _ value: ProtocolValue?, into validator: Validator) {
        guard let value else { return }
        switch value {
        case .number(let number):
            if number == 0 { validator.error(field, "protocol numbers run from 1 to 255") }
        case .name(let name):
            if !ProtocolValue.knownNames.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
                validator.error(
                    field,
                    "unknown protocol \"\(name)\" (expected \(ProtocolValue.knownNames.joined(separator: ", ")) "
                        + "or a number from 1 to 255)")
            }
        }
    }

    private static func checkICMP(_ icmp: ICMPFields, rule: Rule, into validator: Validator) {
        let number = rule.protocol?.number
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

    private static func validateEntity(
        _ entity: EntityRule, family: IPFamily?, namespaced: Bool, into validator: Validator
    ) {
        for (field, nets) in [("nets", entity.nets), ("notNets", entity.notNets)] {
            guard let nets else { continue }
            if nets.count > maxNets { validator.error(field, "at most \(maxNets) CIDRs are allowed") }
            validator.within(field) {
                for (index, net) in nets.enumerated() {
                    if let family, net.family != family {
                        validator.error(
                            "[\(index)]",
                            "\(net) is not an IPv\(family.rawValue) network (ipVersion is \(family.rawValue))")
                    }
                }
            }
        }
        validator.selector("selector", entity.selector)
        validator.selector("notSelector", entity.notSelector)
        validator.selector("namespaceSelector", entity.namespaceSelector, allowGlobal: true)
        for (field, ports) in [("ports", entity.ports), ("notPorts", entity.notPorts)] {
            guard let ports else { continue }
            if ports.count > maxPorts { validator.error(field, "at most \(maxPorts) ports are allowed") }
            validator.within(field) {
                for (index, port) in ports.enumerated() {
                    switch port {
                    case .range(let low, let high) where low > high:
                        validator.error("[\(index)]", "the range \(low):\(high) has its minimum above its maximum")
                    case .named(let name):
                        if let reason = PortNameSyntax.problem(name) { validator.error("[\(index)]", reason) }
                    default: break
                    }
                }
            }
        }
        if let accounts = entity.serviceAccounts {
            validator.within("serviceAccounts") {
                validator.selector("selector", accounts.selector)
                for (index, name) in (accounts.names ?? []).enumerated() where name.isEmpty {
                    validator.error("names[\(index)]", "must not be empty")
                }
            }
        }
        if let services = entity.services {
            validator.within("services") {
                if services.name.isEmpty { validator.error("name", "a service name is required") }
                let combined = entity.selector != nil || entity.notSelector != nil || entity.namespaceSelector != nil
                    || entity.serviceAccounts != nil || entity.nets != nil || entity.notNets != nil
                if combined {
                    validator.error(
                        "", "services cannot be combined with selectors, namespaceSelector, serviceAccounts or nets")
                }
            }
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
