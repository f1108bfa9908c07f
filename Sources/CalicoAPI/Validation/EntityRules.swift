import NetworkAddress

/// The address families a rule's `nets` and `notNets` have used so far (Calico forbids mixing them in one rule).
struct NetFamilies {
    var first: (family: IPFamily, field: String)?
}

/// Validation of a rule's `source` or `destination`.
enum EntityRules {
    static func validate(
        _ entity: EntityRule, family: IPFamily?, families: inout NetFamilies, into validator: Validator
    ) {
        for (field, nets) in [("nets", entity.nets), ("notNets", entity.notNets)] {
            guard let nets else { continue }
            checkNets(field, nets, family: family, families: &families, into: validator)
        }
        validator.selector("selector", entity.selector)
        validator.selector("notSelector", entity.notSelector)
        validator.entityNamespaceSelector("namespaceSelector", entity.namespaceSelector)
        for (field, ports) in [("ports", entity.ports), ("notPorts", entity.notPorts)] {
            guard let ports else { continue }
            checkPorts(field, ports, into: validator)
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
            validator.within("services") { checkServices(services, entity: entity, into: validator) }
        }
    }

    private static func checkNets(
        _ field: String, _ nets: [IPNetwork], family: IPFamily?, families: inout NetFamilies,
        into validator: Validator
    ) {
        if nets.count > RuleRules.maxNets { validator.error(field, "at most \(RuleRules.maxNets) CIDRs are allowed") }
        let path = validator.path(field)
        validator.within(field) {
            for (index, net) in nets.enumerated() {
                let item = "[\(index)]"
                if let family, net.family != family {
                    validator.error(
                        item, "\(net) is not an IPv\(family.rawValue) network (ipVersion is \(family.rawValue))")
                } else if let first = families.first, first.family != net.family {
                    validator.error(
                        item,
                        "\(net) is IPv\(net.family.rawValue) but \(first.field) is IPv\(first.family.rawValue): "
                            + "one rule matches one address family; split it into two rules")
                } else if families.first == nil {
                    families.first = (net.family, path)
                }
                if !net.cidr.isMasked {
                    validator.error(
                        item, "\(net) is not a network address (host bits are set; did you mean \(net.cidr.masked)?)")
                }
                if field == "notNets" && net.cidr.prefixLength == 0 {
                    validator.error(
                        item,
                        "\(net) excludes every IPv\(net.family.rawValue) address, so the rule could never match; "
                            + "remove the rule or use a Deny rule instead")
                }
            }
        }
    }

    private static func checkPorts(_ field: String, _ ports: [PortMatch], into validator: Validator) {
        if ports.count > RuleRules.maxPorts {
            validator.error(field, "at most \(RuleRules.maxPorts) ports are allowed")
        }
        validator.within(field) {
            for (index, port) in ports.enumerated() {
                let item = "[\(index)]"
                switch port {
                case .number(0):
                    validator.error(item, "port 0 is not a port: port numbers run from 1 to 65535")
                case .range(let low, let high) where low == 0 || high == 0:
                    validator.error(item, "the range \(low):\(high) includes port 0: port numbers run from 1 to 65535")
                case .range(let low, let high) where low > high:
                    validator.error(item, "the range \(low):\(high) has its minimum above its maximum")
                case .named(let name):
                    if let reason = PortNameSyntax.problem(name) { validator.error(item, reason) }
                default: break
                }
            }
        }
    }

    /// A services match stands alone: the service's endpoints give the addresses and ports.
    private static func checkServices(
        _ services: EntityRule.ServiceMatch, entity: EntityRule, into validator: Validator
    ) {
        if services.name.isEmpty {
            validator.error("name", "a service name is required")
        } else if let reason = NameSyntax.subdomainProblem(services.name) {
            validator.error("name", reason)
        }
        if let namespace = services.namespace, !namespace.isEmpty, let reason = NameSyntax.subdomainProblem(namespace) {
            validator.error("namespace", reason)
        }
        if entity.namespaceSelector != nil {
            validator.error("", "services cannot be combined with namespaceSelector in the same rule side")
        }
        if entity.selector != nil || entity.notSelector != nil {
            validator.error("", "services cannot be combined with selector or notSelector in the same rule side")
        }
        if entity.serviceAccounts != nil {
            validator.error("", "services cannot be combined with serviceAccounts in the same rule side")
        }
        if !(entity.nets ?? []).isEmpty || !(entity.notNets ?? []).isEmpty {
            validator.error("", "services cannot be combined with nets or notNets in the same rule side")
        }
    }
}
