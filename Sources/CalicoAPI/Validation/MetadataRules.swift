/// Rules for names, namespaces, labels and annotations.
enum MetadataRules {
    static func validate(_ metadata: ObjectMeta, kind: ResourceKind, into validator: Validator) {
        if let reason = NameSyntax.subdomainProblem(metadata.name) {
            validator.error("name", reason)
        }
        if kind.isNamespaced {
            if let namespace = metadata.namespace {
                if let reason = NameSyntax.labelProblem(namespace) { validator.error("namespace", reason) }
            } else {
                validator.error("namespace", "a \(kind) must have a namespace")
            }
        } else if let namespace = metadata.namespace, !namespace.isEmpty {
            validator.error("namespace", "a \(kind) is not namespaced; remove the namespace")
        }
        if let labels = metadata.labels {
            validator.within("labels") {
                for key in labels.keys.sorted() {
                    if let reason = LabelSyntax.validateKey(key) {
                        validator.error(key, "invalid label key: \(reason)")
                    } else if let reason = LabelSyntax.validateValue(labels[key]!) {
                        validator.error(key, "invalid label value \"\(labels[key]!)\": \(reason)")
                    }
                }
            }
        }
        if let annotations = metadata.annotations {
            AnnotationRules.validate(annotations, into: validator)
        }
    }

    /// The label Calico sets on namespaced endpoints to name their namespace; a network set carrying it would match
    /// namespace selectors as if it were in that namespace.
    static let namespaceLabel = "projectcalico.org/namespace"

    /// Refuses labels that Calico reserves for itself on network sets (paths relative to `metadata`).
    static func validateNetworkSetLabels(_ metadata: ObjectMeta, into validator: Validator) {
        if metadata.labels?[namespaceLabel] != nil {
            validator.error(
                "labels.\(namespaceLabel)", "the label \(namespaceLabel) is reserved for Calico and cannot be set")
        }
    }
}

/// Kubernetes object name syntax.
public enum NameSyntax {
    /// nil when `name` is a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`, at most 253
    /// characters, starting and ending with a letter or digit); otherwise the reason.
    public static func subdomainProblem(_ name: String) -> String? {
        if name.isEmpty { return "a name is required" }
        if name.utf8.count > 253 { return "must be at most 253 characters" }
        for part in name.split(separator: ".", omittingEmptySubsequences: false) {
            if let problem = labelProblem(String(part), maxLength: 253) {
                return "\"\(name)\" is not a valid name: \(problem)"
            }
        }
        return nil
    }

    /// nil when `name` is a DNS-1123 label (used for namespaces); otherwise the reason.
    public static func labelProblem(_ name: String, maxLength: Int = 63) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name.utf8.count > maxLength { return "must be at most \(maxLength) characters" }
        let bytes = Array(name.utf8)
        for byte in bytes {
            let ok =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            if !ok {
                return "only lowercase letters, digits, '-' and '.' are allowed"
            }
        }
        if bytes.first == UInt8(ascii: "-") || bytes.last == UInt8(ascii: "-") {
            return "must start and end with a letter or digit"
        }
        return nil
    }
}
