import CalicoAPI

/// A GlobalNetworkPolicy or NetworkPolicy as the calculation reads it, rewritten and normalized once, when it
/// arrives.
struct PolicyRecord: Sendable, Equatable {
    let id: PolicyID
    let tier: String
    /// nil sorts after every number.
    let order: Double?
    /// The endpoints the policy applies to, after namespace and service account rewriting.
    let selector: Selector
    /// The selector as written (for display).
    let writtenSelector: String
    let types: Set<PolicyType>
    let ingress: NormalizedRuleList
    let egress: NormalizedRuleList
    /// GNP `doNotTrack` or `preDNAT`: host-only policies that Tabby does not enforce (yet); they apply to no
    /// endpoint.
    let untrackedOrPreDNAT: Bool

    init(_ policy: GlobalNetworkPolicy) throws(RuleNormalizer.Failure) {
        let spec = policy.spec
        id = .globalNetworkPolicy(policy.metadata.name)
        tier = Self.tierName(spec.tier)
        order = spec.order
        writtenSelector = spec.selector ?? ""
        do {
            selector = try SelectorRewriting.globalPolicySelector(
                selector: spec.selector, namespaceSelector: spec.namespaceSelector,
                serviceAccountSelector: spec.serviceAccountSelector)
        } catch {
            throw RuleNormalizer.Failure(field: "spec.selector", reason: error.description)
        }
        types = Self.types(spec.types, ingress: spec.ingress, egress: spec.egress)
        ingress = try RuleNormalizer.normalize(spec.ingress, policyNamespace: nil, field: "spec.ingress")
        egress = try RuleNormalizer.normalize(spec.egress, policyNamespace: nil, field: "spec.egress")
        untrackedOrPreDNAT = (spec.doNotTrack ?? false) || (spec.preDNAT ?? false)
    }

    init(_ policy: NetworkPolicy) throws(RuleNormalizer.Failure) {
        let spec = policy.spec
        let namespace = policy.metadata.namespace ?? "default"
        id = .networkPolicy(namespace, policy.metadata.name)
        tier = Self.tierName(spec.tier)
        order = spec.order
        writtenSelector = spec.selector ?? ""
        do {
            selector = try SelectorRewriting.networkPolicySelector(
                selector: spec.selector, serviceAccountSelector: spec.serviceAccountSelector, namespace: namespace)
        } catch {
            throw RuleNormalizer.Failure(field: "spec.selector", reason: error.description)
        }
        types = Self.types(spec.types, ingress: spec.ingress, egress: spec.egress)
        ingress = try RuleNormalizer.normalize(spec.ingress, policyNamespace: namespace, field: "spec.ingress")
        egress = try RuleNormalizer.normalize(spec.egress, policyNamespace: namespace, field: "spec.egress")
        untrackedOrPreDNAT = false
    }

    func rules(_ direction: PolicyType) -> NormalizedRuleList { direction == .ingress ? ingress : egress }

    /// Every set the policy's rules refer to.
    var sets: [SetID: SetRequirement] { ingress.sets.merging(egress.sets) { first, _ in first } }

    /// The order within a tier: by `order` (nil last), then by name, namespace and kind.
    var sortKey: PolicySortKey {
        PolicySortKey(order: order ?? .infinity, name: id.name, namespace: id.namespace ?? "", kind: id.kind.rawValue)
    }

    static func tierName(_ tier: String?) -> String {
        guard let tier, !tier.isEmpty else { return TierRecord.defaultTierName }
        return tier
    }

    /// The stored `types`, or Calico's default when missing: Ingress, Egress when there are only egress rules,
    /// both when there are both.
    static func types(_ types: [PolicyType]?, ingress: [Rule]?, egress: [Rule]?) -> Set<PolicyType> {
        if let types, !types.isEmpty { return Set(types) }
        let hasIngress = !(ingress ?? []).isEmpty
        let hasEgress = !(egress ?? []).isEmpty
        switch (hasIngress, hasEgress) {
        case (true, true): return [.ingress, .egress]
        case (false, true): return [.egress]
        default: return [.ingress]
        }
    }
}

struct PolicySortKey: Comparable, Sendable {
    var order: Double
    var name: String
    var namespace: String
    var kind: String

    static func < (lhs: PolicySortKey, rhs: PolicySortKey) -> Bool {
        if lhs.order != rhs.order { return lhs.order < rhs.order }
        return (lhs.name, lhs.namespace, lhs.kind) < (rhs.name, rhs.namespace, rhs.kind)
    }
}

/// A Tier, or one Tabby knows without a resource (Calico's built-in tiers).
struct TierRecord: Sendable, Equatable {
    static let defaultTierName = "default"

    let name: String
    let order: Double?
    let defaultAction: TierDefaultAction
    /// False for a tier that policies name but that does not exist: it sorts after every valid tier.
    let valid: Bool
    /// True when no Tier resource exists and Tabby supplies Calico's built-in one.
    let builtIn: Bool

    init(_ tier: Tier) {
        name = tier.metadata.name
        order = tier.spec.order
        defaultAction = tier.spec.defaultAction ?? .deny
        valid = true
        builtIn = false
    }

    init(name: String, order: Double?, defaultAction: TierDefaultAction, valid: Bool, builtIn: Bool) {
        self.name = name
        self.order = order
        self.defaultAction = defaultAction
        self.valid = valid
        self.builtIn = builtIn
    }

    /// Calico's built-in tiers (v3.32 and later), used when no Tier resource of that name exists.
    static func builtIn(_ name: String) -> TierRecord? {
        switch name {
        case "kube-admin": TierRecord(name: name, order: 1000, defaultAction: .pass, valid: true, builtIn: true)
        case defaultTierName:
            TierRecord(name: name, order: 1_000_000, defaultAction: .deny, valid: true, builtIn: true)
        case "kube-baseline":
            TierRecord(name: name, order: 10_000_000, defaultAction: .pass, valid: true, builtIn: true)
        default: nil
        }
    }

    /// A tier that policies name but nobody defined: after all valid tiers, Deny at its end.
    static func missing(_ name: String) -> TierRecord {
        TierRecord(name: name, order: nil, defaultAction: .deny, valid: false, builtIn: false)
    }

    /// Valid tiers first, then by order (nil last), then by name.
    static func precedes(_ lhs: TierRecord, _ rhs: TierRecord) -> Bool {
        if lhs.valid != rhs.valid { return lhs.valid }
        switch (lhs.order, rhs.order) {
        case (let l?, let r?) where l != r: return l < r
        case (.some, nil): return true
        case (nil, .some): return false
        default: return lhs.name < rhs.name
        }
    }
}

/// A Profile's rules and labels, or those Tabby synthesizes for a profile an endpoint names that has no
/// resource: `kns.<namespace>`, `ksa.<namespace>.<serviceaccount>` and `projectcalico-default-allow`.
struct ProfileRecord: Sendable, Equatable {
    enum Origin: String, Sendable, Codable {
        /// A Profile resource.
        case resource
        /// Synthesized: `kns.*` from the Namespace (or from the name alone), `ksa.*` from the name.
        case synthesized
    }

    static let defaultAllow = "projectcalico-default-allow"
    static let namespacePrefix = "kns."
    static let serviceAccountPrefix = "ksa."

    let name: String
    let labelsToApply: Labels
    let ingress: NormalizedRuleList
    let egress: NormalizedRuleList
    let origin: Origin

    init(_ profile: Profile) throws(RuleNormalizer.Failure) {
        name = profile.metadata.name
        labelsToApply = profile.spec.labelsToApply ?? [:]
        ingress = try RuleNormalizer.normalize(profile.spec.ingress, policyNamespace: nil, field: "spec.ingress")
        egress = try RuleNormalizer.normalize(profile.spec.egress, policyNamespace: nil, field: "spec.egress")
        origin = .resource
    }

    private init(name: String, labels: Labels, allowAll: Bool) {
        self.name = name
        labelsToApply = labels
        ingress = allowAll ? .allowAll : NormalizedRuleList()
        egress = allowAll ? .allowAll : NormalizedRuleList()
        origin = .synthesized
    }

    /// The profile Tabby supplies for `name` when no Profile resource has it; nil for other names.
    /// `namespaceLabels` are the labels of the Namespace of a `kns.` profile, when it exists.
    static func synthesized(_ name: String, namespaceLabels: Labels?) -> ProfileRecord? {
        if name == defaultAllow { return ProfileRecord(name: name, labels: [:], allowAll: true) }
        if name.hasPrefix(namespacePrefix) {
            let namespace = String(name.dropFirst(namespacePrefix.count))
            guard !namespace.isEmpty else { return nil }
            var labels: Labels = [:]
            for (key, value) in namespaceLabels ?? [:] { labels[SelectorRewriting.namespacePrefix + key] = value }
            labels[SelectorRewriting.namespacePrefix + SelectorRewriting.nameLabel] = namespace
            return ProfileRecord(name: name, labels: labels, allowAll: true)
        }
        if let (_, account) = serviceAccount(of: name) {
            return ProfileRecord(
                name: name, labels: [SelectorRewriting.serviceAccountPrefix + SelectorRewriting.nameLabel: account],
                allowAll: false)
        }
        return nil
    }

    /// The namespace of a `kns.<namespace>` profile name.
    static func namespace(of name: String) -> String? {
        guard name.hasPrefix(namespacePrefix) else { return nil }
        let namespace = String(name.dropFirst(namespacePrefix.count))
        return namespace.isEmpty ? nil : namespace
    }

    /// Namespace and service account of a `ksa.<namespace>.<serviceaccount>` name (namespaces have no dots).
    static func serviceAccount(of name: String) -> (namespace: String, account: String)? {
        guard name.hasPrefix(serviceAccountPrefix) else { return nil }
        let rest = name.dropFirst(serviceAccountPrefix.count)
        guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex, rest.index(after: dot) != rest.endIndex
        else { return nil }
        return (String(rest[..<dot]), String(rest[rest.index(after: dot)...]))
    }

    func rules(_ direction: PolicyType) -> NormalizedRuleList { direction == .ingress ? ingress : egress }

    var sets: [SetID: SetRequirement] { ingress.sets.merging(egress.sets) { first, _ in first } }
}
