/// Calico's rules for GlobalNetworkPolicy and NetworkPolicy names.
///
/// A policy name is a DNS label, or `<tier>.<name>` with one dot, the part before it naming the policy's tier.
/// A NetworkPolicy may also carry the prefix of a policy translated from elsewhere: `knp.default.` (a
/// Kubernetes NetworkPolicy) or `ossg.default.` (an OpenStack security group), followed by any valid name.
enum PolicyNameRules {
    static let translatedPrefixes = ["knp.default.", "ossg.default."]

    /// Name syntax (paths relative to `metadata`); nil-safe to call after the general name check passed.
    static func validateName(_ name: String, kind: ResourceKind, into validator: Validator) {
        guard NameSyntax.subdomainProblem(name) == nil else { return }  // already reported, with the reason
        if kind == .networkPolicy, let prefix = translatedPrefixes.first(where: { name.hasPrefix($0) }) {
            if name.count == prefix.count { validator.error("name", "a name must follow the prefix \(prefix)") }
            return
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count > 2 {
            let allowed = kind == .networkPolicy ? " (or a knp.default./ossg.default. prefix)" : ""
            validator.error(
                "name",
                "a \(kind) name has at most one dot, between its tier and its name (tier.name)\(allowed); "
                    + "\"\(name)\" has \(parts.count - 1)")
        }
    }

    /// The tier-prefix rule, checked against the spec's tier (paths relative to `spec`): a dotted name must begin
    /// with the policy's own tier (`security.allow-dns` in tier `security`).
    static func validateTierPrefix(name: String, tier: String?, into validator: Validator) {
        if translatedPrefixes.contains(where: { name.hasPrefix($0) }) { return }
        guard let dot = name.firstIndex(of: ".") else { return }
        let prefix = String(name[..<dot])
        let tier = (tier?.isEmpty ?? true) ? TierRules.defaultTier : tier!
        if prefix != tier {
            validator.error(
                "tier",
                "the policy name \"\(name)\" puts it in tier \"\(prefix)\" but its tier is \"\(tier)\"; "
                    + "name it \"\(tier).\(name[name.index(after: dot)...])\" or set tier: \(prefix)")
        }
    }
}
