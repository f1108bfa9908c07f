import CalicoAPI

/// Calico's rewriting of policy selectors before Felix sees them (its syncer's update processors), so that
/// namespaces and service accounts become plain labels: every namespaced endpoint carries
/// `projectcalico.org/namespace`, and profiles give it `pcns.*` (namespace labels) and `pcsa.*` (service
/// account labels).
public enum SelectorRewriting {
    public static let namespaceLabel = "projectcalico.org/namespace"
    public static let serviceAccountLabel = "projectcalico.org/serviceaccount"
    public static let orchestratorLabel = "projectcalico.org/orchestrator"
    /// The label under `pcns.`/`pcsa.` that carries the namespace's or service account's own name.
    public static let nameLabel = "projectcalico.org/name"
    public static let namespacePrefix = "pcns."
    public static let serviceAccountPrefix = "pcsa."

    /// `projectcalico.org/namespace == "<namespace>"`.
    public static func inNamespace(_ namespace: String) -> SelectorExpression {
        .equal(key: namespaceLabel, value: namespace)
    }

    /// A namespaceSelector over endpoint labels: keys prefixed `pcns.`, `all()` as
    /// `has(projectcalico.org/namespace)` and `global()` as `!has(projectcalico.org/namespace)`.
    public static func namespaceSelector(_ expression: SelectorExpression) -> SelectorExpression {
        expression.mappingLabelKeys { namespacePrefix + $0 }.rewritten { node in
            switch node {
            case .all: .has(key: namespaceLabel)
            case .global: .not(.has(key: namespaceLabel))
            default: nil
            }
        }
    }

    /// A service account selector over endpoint labels: keys prefixed `pcsa.`, `all()` as
    /// `has(projectcalico.org/serviceaccount)`.
    public static func serviceAccountSelector(_ expression: SelectorExpression) -> SelectorExpression {
        expression.mappingLabelKeys { serviceAccountPrefix + $0 }.rewritten { node in
            if case .all = node { return .has(key: serviceAccountLabel) }
            return nil
        }
    }

    /// The endpoints a NetworkPolicy applies to: `(<selector>) && projectcalico.org/namespace == "<ns>"`, AND-ed
    /// with its `pcsa.`-prefixed serviceAccountSelector.
    public static func networkPolicySelector(
        selector: String?, serviceAccountSelector: String?, namespace: String
    ) throws(SelectorParseError) -> Selector {
        var parts: [SelectorExpression] = []
        if let selector = try parse(selector) { parts.append(selector) }
        parts.append(inNamespace(namespace))
        if let accounts = try parse(serviceAccountSelector) { parts.append(self.serviceAccountSelector(accounts)) }
        return Selector(combine(parts) ?? .all)
    }

    /// The endpoints a GlobalNetworkPolicy applies to: its selector AND-ed with its `pcns.`-prefixed
    /// namespaceSelector and its `pcsa.`-prefixed serviceAccountSelector.
    public static func globalPolicySelector(
        selector: String?, namespaceSelector: String?, serviceAccountSelector: String?
    ) throws(SelectorParseError) -> Selector {
        var parts: [SelectorExpression] = []
        if let selector = try parse(selector) { parts.append(selector) }
        if let namespaces = try parse(namespaceSelector) { parts.append(self.namespaceSelector(namespaces)) }
        if let accounts = try parse(serviceAccountSelector) { parts.append(self.serviceAccountSelector(accounts)) }
        return Selector(combine(parts) ?? .all)
    }

    /// The positive selector of one side of a rule, or nil when the side does not select by labels.
    ///
    /// A namespaceSelector (rewritten as above) or, in a NetworkPolicy without one, the policy's own namespace
    /// is AND-ed in front whenever the side uses selector, notSelector, namespaceSelector or serviceAccounts (a
    /// nets-only side is not restricted). `serviceAccounts` becomes `projectcalico.org/serviceaccount in {...}`
    /// AND-ed with its `pcsa.`-prefixed selector, AND-ed last.
    public static func ruleSelector(_ side: EntityRule, policyNamespace: String?) throws(SelectorParseError)
        -> Selector?
    {
        let selector = try parse(side.selector)
        let namespaces: SelectorExpression?
        if let written = try parse(side.namespaceSelector) {
            namespaces = namespaceSelector(written)
        } else {
            namespaces = policyNamespace.map(inNamespace)
        }
        var combined = selector
        let selectsByLabels =
            selector != nil || isSet(side.notSelector) || isSet(side.namespaceSelector) || side.serviceAccounts != nil
        if let namespaces, selectsByLabels {
            combined = selector.map { .and([namespaces, $0]) } ?? namespaces
        }
        if let accounts = side.serviceAccounts, let accountSelector = try serviceAccountMatch(accounts) {
            combined = combined.map { .and([$0, accountSelector]) } ?? accountSelector
        }
        return combined.map(Selector.init)
    }

    /// `notSelector` as written: Calico does not scope it to a namespace.
    public static func ruleNotSelector(_ side: EntityRule) throws(SelectorParseError) -> Selector? {
        try parse(side.notSelector).map(Selector.init)
    }

    static func serviceAccountMatch(_ match: EntityRule.ServiceAccountMatch) throws(SelectorParseError)
        -> SelectorExpression?
    {
        var parts: [SelectorExpression] = []
        if let names = match.names, !names.isEmpty { parts.append(.in(key: serviceAccountLabel, values: names)) }
        if let selector = try parse(match.selector) { parts.append(serviceAccountSelector(selector)) }
        return combine(parts)
    }

    /// A selector field: nil when absent or blank (which Calico treats as not set).
    static func parse(_ text: String?) throws(SelectorParseError) -> SelectorExpression? {
        guard isSet(text), let text else { return nil }
        return try Selector(parsing: text).expression
    }

    static func isSet(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.utf8.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
    }

    private static func combine(_ parts: [SelectorExpression]) -> SelectorExpression? {
        switch parts.count {
        case 0: nil
        case 1: parts[0]
        default: .and(parts)
        }
    }
}
