import NetworkAddress

public enum PolicyType: String, Codable, Sendable, CaseIterable {
    case ingress = "Ingress"
    case egress = "Egress"
}

/// A GlobalNetworkPolicy: rules for endpoints of every namespace and host endpoints.
public typealias GlobalNetworkPolicy = Resource<GlobalNetworkPolicySpec>
/// A NetworkPolicy: rules for endpoints of one namespace.
public typealias NetworkPolicy = Resource<NetworkPolicySpec>

public struct GlobalNetworkPolicySpec: ResourceSpec {
    public static let kind = ResourceKind.globalNetworkPolicy

    public var tier: String?
    public var order: Double?
    public var selector: String?
    public var types: [PolicyType]?
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var serviceAccountSelector: String?
    public var namespaceSelector: String?
    public var doNotTrack: Bool?
    public var preDNAT: Bool?
    public var applyOnForward: Bool?
    public var performanceHints: [String]?

    public init() {}

    public mutating func applyDefaults(metadata: ObjectMeta) {
        PolicyDefaults.apply(tier: &tier, types: &types, ingress: ingress, egress: egress)
    }

    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {
        PolicyNameRules.validateName(metadata.name, kind: kind, into: validator)
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        PolicyChecks.common(
            name: metadata.name, tier: tier, order: order, selector: selector, types: types, ingress: ingress,
            egress: egress, serviceAccountSelector: serviceAccountSelector, performanceHints: performanceHints,
            owner: .globalPolicy, into: validator)
        // A deliberate difference from Calico, which refuses global() here: Tabby lets it select the endpoints
        // that are in no namespace (host endpoints), as it does in a rule's namespaceSelector.
        validator.selector("namespaceSelector", namespaceSelector, allowGlobal: true)
        if (doNotTrack ?? false) && (preDNAT ?? false) {
            validator.error("preDNAT", "preDNAT and doNotTrack cannot both be set")
        }
        if (doNotTrack ?? false) && !(applyOnForward ?? false) {
            validator.error("applyOnForward", "doNotTrack policies must set applyOnForward: true")
        }
        if preDNAT ?? false {
            if !(applyOnForward ?? false) {
                validator.error("applyOnForward", "preDNAT policies must set applyOnForward: true")
            }
            if !(egress ?? []).isEmpty { validator.error("egress", "preDNAT policies cannot have egress rules") }
            if types?.contains(.egress) == true {
                validator.error("types", "preDNAT policies apply to ingress only; remove Egress from types")
            }
        }
    }
}

public struct NetworkPolicySpec: ResourceSpec {
    public static let kind = ResourceKind.networkPolicy

    public var tier: String?
    public var order: Double?
    public var selector: String?
    public var types: [PolicyType]?
    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var serviceAccountSelector: String?
    public var performanceHints: [String]?

    public init() {}

    public mutating func applyDefaults(metadata: ObjectMeta) {
        PolicyDefaults.apply(tier: &tier, types: &types, ingress: ingress, egress: egress)
    }

    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {
        PolicyNameRules.validateName(metadata.name, kind: kind, into: validator)
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        PolicyChecks.common(
            name: metadata.name, tier: tier, order: order, selector: selector, types: types, ingress: ingress,
            egress: egress, serviceAccountSelector: serviceAccountSelector, performanceHints: performanceHints,
            owner: .namespacedPolicy, into: validator)
    }
}

enum PolicyDefaults {
    static func apply(tier: inout String?, types: inout [PolicyType]?, ingress: [Rule]?, egress: [Rule]?) {
        if tier == nil || tier?.isEmpty == true { tier = "default" }
        if types == nil || types?.isEmpty == true { types = defaultTypes(ingress: ingress, egress: egress) }
    }

    /// Calico's rule: Ingress unless there are only egress rules; both when there are both.
    static func defaultTypes(ingress: [Rule]?, egress: [Rule]?) -> [PolicyType] {
        let hasIngress = !(ingress ?? []).isEmpty
        let hasEgress = !(egress ?? []).isEmpty
        switch (hasIngress, hasEgress) {
        case (true, true): return [.ingress, .egress]
        case (false, true): return [.egress]
        default: return [.ingress]
        }
    }
}

enum PolicyChecks {
    static func common(
        name: String, tier: String?, order: Double?, selector: String?, types: [PolicyType]?, ingress: [Rule]?,
        egress: [Rule]?, serviceAccountSelector: String?, performanceHints: [String]?, owner: RulePlace.Owner,
        into validator: Validator
    ) {
        if let tier, let reason = TierRules.nameProblem(tier) {
            validator.error("tier", reason)
        } else {
            PolicyNameRules.validateTierPrefix(name: name, tier: tier, into: validator)
        }
        if let order, !order.isFinite { validator.error("order", "must be a finite number") }
        validator.selector("selector", selector)
        validator.selector("serviceAccountSelector", serviceAccountSelector)
        // Calico accepts types that leave out a direction the policy has rules for (those rules are then unused),
        // so that policies can be written for Felix versions with and without types; only repeats are refused.
        if let types, Set(types).count != types.count { validator.error("types", "lists a type more than once") }
        if (ingress ?? []).count > 1024 { validator.error("ingress", "at most 1024 rules are allowed") }
        if (egress ?? []).count > 1024 { validator.error("egress", "at most 1024 rules are allowed") }
        let inbound = RulePlace(owner: owner, direction: .ingress)
        let outbound = RulePlace(owner: owner, direction: .egress)
        validator.each("ingress", ingress) { RuleRules.validate($0, at: inbound, into: validator) }
        validator.each("egress", egress) { RuleRules.validate($0, at: outbound, into: validator) }
        validator.within("performanceHints") {
            var seen = Set<String>()
            for (index, hint) in (performanceHints ?? []).enumerated() {
                if hint != "AssumeNeededOnEveryNode" {
                    validator.error("[\(index)]", "unknown hint \"\(hint)\" (the only one is AssumeNeededOnEveryNode)")
                } else if !seen.insert(hint).inserted {
                    validator.error("[\(index)]", "the hint \(hint) is listed more than once")
                }
            }
        }
    }
}

/// A Profile: rules and labels applied to the endpoints that name it (after policy).
public typealias Profile = Resource<ProfileSpec>

public struct ProfileSpec: ResourceSpec {
    public static let kind = ResourceKind.profile

    public var ingress: [Rule]?
    public var egress: [Rule]?
    public var labelsToApply: Labels?

    public init() {}

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        let inbound = RulePlace(owner: .profile, direction: .ingress)
        let outbound = RulePlace(owner: .profile, direction: .egress)
        validator.each("ingress", ingress) { RuleRules.validate($0, at: inbound, into: validator) }
        validator.each("egress", egress) { RuleRules.validate($0, at: outbound, into: validator) }
        if let labelsToApply {
            validator.within("labelsToApply") {
                for key in labelsToApply.keys.sorted() {
                    if let reason = LabelSyntax.validateKey(key) {
                        validator.error(key, "invalid label key: \(reason)")
                    } else if let reason = LabelSyntax.validateValue(labelsToApply[key]!) {
                        validator.error(key, "invalid label value: \(reason)")
                    }
                }
            }
        }
    }
}

public enum TierDefaultAction: String, Codable, Sendable, CaseIterable {
    case deny = "Deny"
    case pass = "Pass"
}

/// A Tier: an ordered group of policies with a default action.
public typealias Tier = Resource<TierSpec>

public struct TierSpec: ResourceSpec {
    public static let kind = ResourceKind.tier

    public var order: Double?
    public var defaultAction: TierDefaultAction?

    public init() {}

    public mutating func applyDefaults(metadata: ObjectMeta) {
        if defaultAction == nil { defaultAction = .deny }
    }

    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {
        guard NameSyntax.subdomainProblem(metadata.name) == nil else { return }  // already reported
        if let reason = TierRules.nameProblem(metadata.name) { validator.error("name", reason) }
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if let order, !order.isFinite { validator.error("order", "must be a finite number") }
        TierRules.validateBuiltIn(name: metadata.name, spec: self, into: validator)
    }
}

/// A GlobalNetworkSet: labelled networks that rule selectors can match.
public typealias GlobalNetworkSet = Resource<GlobalNetworkSetSpec>
/// A NetworkSet: labelled networks in a namespace.
public typealias NetworkSet = Resource<NetworkSetSpec>

public struct GlobalNetworkSetSpec: ResourceSpec {
    public static let kind = ResourceKind.globalNetworkSet
    public var nets: [IPNetwork]?
    public init() {}

    private enum CodingKeys: String, CodingKey { case nets }

    public init(from decoder: any Decoder) throws {
        nets = try NetworkSetNets.decode(from: decoder.container(keyedBy: CodingKeys.self), forKey: .nets)
    }

    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {
        MetadataRules.validateNetworkSetLabels(metadata, into: validator)
    }

    /// Nothing to check: every entry of `nets` was checked when it was decoded.
    public func validate(metadata: ObjectMeta, into validator: Validator) {}
}

public struct NetworkSetSpec: ResourceSpec {
    public static let kind = ResourceKind.networkSet
    public var nets: [IPNetwork]?
    public init() {}

    private enum CodingKeys: String, CodingKey { case nets }

    public init(from decoder: any Decoder) throws {
        nets = try NetworkSetNets.decode(from: decoder.container(keyedBy: CodingKeys.self), forKey: .nets)
    }

    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {
        MetadataRules.validateNetworkSetLabels(metadata, into: validator)
    }

    /// Nothing to check: every entry of `nets` was checked when it was decoded.
    public func validate(metadata: ObjectMeta, into validator: Validator) {}
}

/// A network set's `nets`, whose bad entries have always been reported in these words.
enum NetworkSetNets {
    static func decode<Key>(from container: KeyedDecodingContainer<Key>, forKey key: Key) throws -> [IPNetwork]? {
        try container.decodeNetworks(forKey: key) { "invalid network \"\($0)\" (expected a CIDR or an IP address)" }
    }
}
