/// Validation of a rule's `http` match (application-layer policy).
enum HTTPMatchRules {
    /// Calico's CRD limits on the lists and on each path.
    static let maxItems = 20
    static let maxPathLength = 1024

    static func validate(_ http: Rule.HTTPMatch, rule: Rule, at place: RulePlace, into validator: Validator) {
        if rule.action != .allow { validator.error("", "HTTP matches are only allowed on Allow rules") }
        if place.isPolicy && place.direction == .egress {
            validator.error("", "HTTP matches are not allowed in egress rules")
        }
        if let protocolValue = rule.protocol, protocolValue.exactNumber != 6 {
            validator.error("", "HTTP matches need protocol TCP (or no protocol)")
        }
        if let methods = http.methods {
            if methods.count > maxItems { validator.error("methods", "at most \(maxItems) methods are allowed") }
            var seen = Set<String>()
            for (index, method) in methods.enumerated() where !seen.insert(method).inserted {
                validator.error("methods[\(index)]", "method \"\(method)\" is listed more than once")
            }
        }
        if let paths = http.paths, paths.count > maxItems {
            validator.error("paths", "at most \(maxItems) paths are allowed")
        }
        validator.each("paths", http.paths) { path in
            switch (path.exact, path.prefix) {
            case (let exact?, nil): checkPath("exact", exact, into: validator)
            case (nil, let prefix?): checkPath("prefix", prefix, into: validator)
            case (nil, nil): validator.error("", "set one of exact or prefix")
            case (.some, .some): validator.error("", "set only one of exact or prefix, not both")
            }
        }
    }

    /// A path starts with `/` and has no query, fragment or space (RFC 3986's path characters, as Calico checks).
    private static func checkPath(_ field: String, _ path: String, into validator: Validator) {
        if !path.hasPrefix("/") {
            validator.error(field, "the path \"\(path)\" must start with \"/\"")
        } else if let bad = path.first(where: { $0 == "?" || $0 == "#" || $0 == " " }) {
            validator.error(field, "the path \"\(path)\" must not contain \"\(bad)\" (no query, fragment or space)")
        }
        if path.utf8.count > maxPathLength {
            validator.error(field, "a path is at most \(maxPathLength) characters")
        }
    }
}
