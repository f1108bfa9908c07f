/// Calico v1 policy rules and selectors as v3 ones, the way Calico's upgrade converts them: actions capitalised
/// (`next-tier` is `Pass`), protocol names upper case, `tag`s folded into selectors, `net` joined with `nets`,
/// and the v1 namespace label `calico/k8s_ns` renamed `projectcalico.org/namespace`.
enum V1RuleConversion {
    static let v1NamespaceLabel = "calico/k8s_ns"
    static let v3NamespaceLabel = "projectcalico.org/namespace"

    static func rules(_ value: ManifestValue?, field: String) throws(V1ConversionError) -> ManifestValue? {
        guard let value, value != .null else { return nil }
        guard case .list(let items) = value else { throw V1ConversionError(field, "must be a list of rules") }
        var rules: [ManifestValue] = []
        for (index, item) in items.enumerated() {
            rules.append(try rule(item, field: "\(field)[\(index)]"))
        }
        return .list(rules)
    }

    static func rule(_ v1: ManifestValue, field: String) throws(V1ConversionError) -> ManifestValue {
        guard v1.isMapping else { throw V1ConversionError(field, "a rule must be a mapping") }
        var rule = ManifestValue.mapping([])
        rule["action"] = .string(try action(v1["action"], field: field + ".action"))
        if let version = v1["ipVersion"], version != .null { rule["ipVersion"] = version }
        for name in ["protocol", "notProtocol"] {
            if let value = v1[name], value != .null { rule[name] = try proto(value, field: "\(field).\(name)") }
        }
        for name in ["icmp", "notICMP"] {
            if let value = v1[name], value != .null { rule[name] = value }
        }
        for side in ["source", "destination"] {
            if let entity = v1[side], entity != .null {
                let converted = try self.entity(entity, field: "\(field).\(side)")
                if converted != .mapping([]) { rule[side] = converted }
            }
        }
        return rule
    }

    /// v1 `allow`/`deny`/`log`/`pass`/`next-tier` (any case; none means allow).
    static func action(_ value: ManifestValue?, field: String) throws(V1ConversionError) -> String {
        guard let value, value != .null else { return "Allow" }
        guard let text = value.text else { throw V1ConversionError(field, "must be a string") }
        switch text.lowercased() {
        case "allow": return "Allow"
        case "deny": return "Deny"
        case "log": return "Log"
        case "pass", "next-tier": return "Pass"
        default: throw V1ConversionError(field, "unknown action \"\(text)\" (allow, deny, log, pass or next-tier)")
        }
    }

    /// v1's lower-case protocol names in v3's spelling; numbers stay numbers.
    static func proto(_ value: ManifestValue, field: String) throws(V1ConversionError) -> ManifestValue {
        if case .number = value { return value }
        guard let text = value.text else { throw V1ConversionError(field, "must be a protocol name or number") }
        let names = [
            "tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "ICMPv6", "sctp": "SCTP", "udplite": "UDPLite",
        ]
        guard let name = names[text.lowercased()] else {
            if ManifestValue.isJSONNumber(text) { return .number(text) }
            throw V1ConversionError(field, "unknown protocol \"\(text)\"")
        }
        return .string(name)
    }

    static func entity(_ v1: ManifestValue, field: String) throws(V1ConversionError) -> ManifestValue {
        guard v1.isMapping else { throw V1ConversionError(field, "must be a mapping") }
        var entity = ManifestValue.mapping([])
        for (single, list, v3Name) in [("net", "nets", "nets"), ("notNet", "notNets", "notNets")] {
            var nets: [ManifestValue] = []
            if let net = v1[single], net != .null { nets.append(net) }
            if case .list(let more)? = v1[list] { nets += more }
            if !nets.isEmpty { entity[v3Name] = .list(nets) }
        }
        for (selectorField, tagField) in [("selector", "tag"), ("notSelector", "notTag")] {
            var selector: String?
            if let value = v1[selectorField] { selector = try self.selector(value, field: "\(field).\(selectorField)") }
            if let merged = mergedSelector(selector, tag: v1[tagField]?.text) {
                entity[selectorField] = .string(merged)
            }
        }
        for name in ["ports", "notPorts"] {
            if let ports = v1[name], ports != .null { entity[name] = ports }
        }
        return entity
    }

    /// A v1 tag becomes the label it always was underneath: `tag == ''`, and-ed with the selector.
    static func mergedSelector(_ selector: String?, tag: String?) -> String? {
        guard let tag, !tag.isEmpty else { return selector }
        guard let selector, !selector.isEmpty else { return "\(tag) == ''" }
        return "(\(selector)) && \(tag) == ''"
    }

    static func selector(_ value: ManifestValue, field: String) throws(V1ConversionError) -> String? {
        if value == .null { return nil }
        guard let text = value.text else { throw V1ConversionError(field, "must be a string") }
        return selector(text)
    }

    /// The selector with every use of the label `calico/k8s_ns` (outside quoted strings) renamed.
    static func selector(_ text: String) -> String {
        let characters = Array(text)
        let target = Array(v1NamespaceLabel)
        var out = ""
        var index = 0
        var quote: Character?
        func isLabelCharacter(_ character: Character) -> Bool {
            character.isLetter || character.isNumber || "_-./".contains(character)
        }
        while index < characters.count {
            let character = characters[index]
            if let open = quote {
                out.append(character)
                if character == open { quote = nil }
                index += 1
                continue
            }
            if character == "'" || character == "\"" {
                quote = character
                out.append(character)
                index += 1
                continue
            }
            let end = index + target.count
            if end <= characters.count, Array(characters[index..<end]) == target,
                index == 0 || !isLabelCharacter(characters[index - 1]),
                end == characters.count || !isLabelCharacter(characters[end])
            {
                out += v3NamespaceLabel
                index = end
                continue
            }
            out.append(character)
            index += 1
        }
        return out
    }
}
