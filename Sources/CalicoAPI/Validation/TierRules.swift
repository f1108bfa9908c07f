/// Calico's rules for Tier names and for its three built-in tiers.
enum TierRules {
    static let defaultTier = "default"

    /// The built-in tiers: Calico fixes their order and default action.
    static let builtIn: [String: (order: Double, defaultAction: TierDefaultAction)] = [
        "kube-admin": (1000, .pass),
        defaultTier: (1_000_000, .deny),
        "kube-baseline": (10_000_000, .pass),
    ]

    /// nil when `name` can name a tier: a DNS label (no dots, since tiers prefix policy names), at most 63
    /// characters; otherwise the reason.
    static func nameProblem(_ name: String) -> String? {
        if name.utf8.count > 63 {
            return "a tier name is at most 63 characters (\"\(name.prefix(20))...\" has \(name.utf8.count))"
        }
        if name.contains(".") {
            return "\"\(name)\" is not a valid name for a tier: a tier name has no dots (tiers prefix policy names)"
        }
        if let problem = NameSyntax.labelProblem(name) {
            return "\"\(name)\" is not a valid name for a tier: \(problem)"
        }
        return nil
    }

    /// A built-in tier's order and default action, after defaults (paths relative to `spec`).
    static func validateBuiltIn(name: String, spec: TierSpec, into validator: Validator) {
        guard let fixed = builtIn[name] else { return }
        if spec.order != fixed.order {
            let got = spec.order.map { "\($0)" } ?? "none"
            validator.error(
                "order", "the built-in tier \"\(name)\" must have order \(Int(fixed.order)) (got \(got))")
        }
        if let action = spec.defaultAction, action != fixed.defaultAction {
            validator.error(
                "defaultAction",
                "the built-in tier \"\(name)\" must have defaultAction \(fixed.defaultAction.rawValue) "
                    + "(got \(action.rawValue)\(action == .deny ? ", the default when defaultAction is left out" : ""))"
            )
        }
    }
}
