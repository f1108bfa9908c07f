import CalicoAPI
import NetworkAddress

/// A set that a rule needs kept up to date: the addresses matched by a selector, or the named ports of the
/// endpoints it matches.
enum SetRequirement: Hashable, Sendable {
    case selector(Selector)
    case namedPort(Selector, protocol: UInt8, name: String)

    var id: SetID {
        switch self {
        case .selector(let selector): .selector(selector)
        case .namedPort(let selector, let proto, let name): .namedPort(selector, protocol: proto, name: name)
        }
    }

    var selector: Selector {
        switch self {
        case .selector(let selector), .namedPort(let selector, _, _): selector
        }
    }

    var definition: SetDefinition {
        switch self {
        case .selector(let selector): SetDefinition(selector: selector.canonical)
        case .namedPort(let selector, let proto, let name):
            SetDefinition(selector: selector.canonical, namedPort: NamedPortReference(protocol: proto, name: name))
        }
    }
}

extension SetID {
    static func namedPort(_ selector: Selector, protocol: UInt8, name: String) -> SetID {
        namedPort(selector: selector, protocol: `protocol`, name: name)
    }
}

/// A rule list normalized for both families, with the sets its rules refer to.
struct NormalizedRuleList: Hashable, Sendable {
    var ipv4: [NormalizedRule] = []
    var ipv6: [NormalizedRule] = []
    var sets: [SetID: SetRequirement] = [:]
    /// How many rules were written (some may be in neither family).
    var writtenCount = 0

    static let allowAll = NormalizedRuleList(
        ipv4: [NormalizedRule(action: .allow, index: 0)], ipv6: [NormalizedRule(action: .allow, index: 0)],
        writtenCount: 1)
}

/// Turns Calico rules into `NormalizedRule`s: selectors rewritten for namespaces and service accounts and
/// replaced by set IDs, protocols and ports as numbers, and each rule kept only in the families where it can
/// match.
enum RuleNormalizer {
    /// Why a rule list could not be normalized (a selector that does not parse; validation rejects these, so
    /// only a resource written around the datastore can carry one).
    struct Failure: Error, CustomStringConvertible {
        var field: String
        var reason: String
        var description: String { "\(field): \(reason)" }
    }

    static func normalize(_ rules: [Rule]?, policyNamespace: String?, field: String) throws(Failure)
        -> NormalizedRuleList
    {
        var list = NormalizedRuleList(writtenCount: rules?.count ?? 0)
        for (index, rule) in (rules ?? []).enumerated() {
            let family: (v4: NormalizedRule?, v6: NormalizedRule?)
            do {
                family = try normalize(rule, index: index, policyNamespace: policyNamespace, sets: &list.sets)
            } catch {
                throw Failure(field: "\(field)[\(index)]", reason: error.description)
            }
            if let rule = family.v4 { list.ipv4.append(rule) }
            if let rule = family.v6 { list.ipv6.append(rule) }
        }
        return list
    }

    /// One rule, as it applies to IPv4 and to IPv6 (nil where it can never match).
    static func normalize(
        _ rule: Rule, index: Int, policyNamespace: String?, sets: inout [SetID: SetRequirement]
    ) throws(SelectorParseError) -> (v4: NormalizedRule?, v6: NormalizedRule?) {
        // Tabby has no Service resources, so a services match matches nothing (and so does a name we do not
        // know as a protocol; validation rejects those).
        if rule.source?.services != nil || rule.destination?.services != nil { return (nil, nil) }
        if rule.protocol != nil && rule.protocol?.number == nil { return (nil, nil) }
        let proto = rule.protocol?.number
        var base = NormalizedRule(action: rule.action, index: index)
        base.ipVersion = rule.ipVersion.flatMap(IPFamily.init(rawValue:))
        if rule.ipVersion != nil && base.ipVersion == nil { return (nil, nil) }
        base.protocol = proto
        base.notProtocol = rule.notProtocol?.number
        base.icmp = icmpMatch(rule.icmp)
        base.notICMP = icmpMatch(rule.notICMP)
        var sideSets: [SetID: SetRequirement] = [:]
        guard
            let source = try entity(rule.source, protocol: proto, policyNamespace: policyNamespace, sets: &sideSets),
            let destination = try entity(
                rule.destination, protocol: proto, policyNamespace: policyNamespace, sets: &sideSets)
        else { return (nil, nil) }
        base.source = source
        base.destination = destination
        let v4 = restricted(base, to: .v4)
        let v6 = restricted(base, to: .v6)
        if v4 != nil || v6 != nil { sets.merge(sideSets) { first, _ in first } }
        return (v4, v6)
    }

    private static func icmpMatch(_ fields: ICMPFields?) -> ICMPMatch? {
        guard let fields, let type = fields.type, let type = UInt8(exactly: type) else { return nil }
        return ICMPMatch(type: type, code: fields.code.flatMap { UInt8(exactly: $0) })
    }

    /// nil when the side can never match (ports without a protocol that has them).
    private static func entity(
        _ side: EntityRule?, protocol proto: UInt8?, policyNamespace: String?, sets: inout [SetID: SetRequirement]
    ) throws(SelectorParseError) -> NormalizedEntity? {
        guard let side else { return NormalizedEntity() }
        var entity = NormalizedEntity()
        entity.nets = (side.nets ?? []).map(\.cidr.masked)
        entity.notNets = (side.notNets ?? []).map(\.cidr.masked)
        let selector = try SelectorRewriting.ruleSelector(side, policyNamespace: policyNamespace)
        if let selector {
            let requirement = SetRequirement.selector(selector)
            entity.selector = requirement.id
            sets[requirement.id] = requirement
        }
        if let notSelector = try SelectorRewriting.ruleNotSelector(side) {
            let requirement = SetRequirement.selector(notSelector)
            entity.notSelector = requirement.id
            sets[requirement.id] = requirement
        }
        let hasPorts = !(side.ports ?? []).isEmpty || !(side.notPorts ?? []).isEmpty
        if hasPorts {
            guard let proto, proto == 6 || proto == 17 || proto == 132 else { return nil }
            // Named ports are looked up on the endpoints the side's selector matches (all of them when it has
            // none), as Calico does.
            let portSelector = selector ?? .all
            for port in side.ports ?? [] {
                switch port {
                case .number(let number): entity.ports.append(PortRange(number))
                case .range(let low, let high): if low <= high { entity.ports.append(PortRange(low, high)) }
                case .named(let name):
                    let requirement = SetRequirement.namedPort(portSelector, protocol: proto, name: name)
                    entity.namedPorts.append(requirement.id)
                    sets[requirement.id] = requirement
                }
            }
            // A port list whose every entry is an impossible range matches nothing.
            if !(side.ports ?? []).isEmpty && entity.ports.isEmpty && entity.namedPorts.isEmpty { return nil }
            for port in side.notPorts ?? [] {
                switch port {
                case .number(let number): entity.notPorts.append(PortRange(number))
                case .range(let low, let high): if low <= high { entity.notPorts.append(PortRange(low, high)) }
                case .named(let name):
                    let requirement = SetRequirement.namedPort(portSelector, protocol: proto, name: name)
                    entity.notNamedPorts.append(requirement.id)
                    sets[requirement.id] = requirement
                }
            }
        }
        return entity
    }

    /// The rule as it applies to one family; nil when it can never match a packet of that family.
    static func restricted(_ rule: NormalizedRule, to family: IPFamily) -> NormalizedRule? {
        if let version = rule.ipVersion, version != family { return nil }
        if rule.protocol == 1 && family == .v6 { return nil }
        if rule.protocol == 58 && family == .v4 { return nil }
        var rule = rule
        for keyPath in [\NormalizedRule.source, \NormalizedRule.destination] {
            let side = rule[keyPath: keyPath]
            let nets = side.nets.filter { $0.family == family }
            if !side.nets.isEmpty && nets.isEmpty { return nil }
            rule[keyPath: keyPath].nets = nets
            rule[keyPath: keyPath].notNets = side.notNets.filter { $0.family == family }
        }
        return rule
    }
}
