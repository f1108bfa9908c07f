/// Annotations on a resource's metadata or on a rule's `metadata`, as Calico checks them.
enum AnnotationRules {
    /// Kubernetes' (and Calico's) limit on the total size of the keys and values.
    static let maxTotalBytes = 256 * 1024

    static func validate(_ annotations: [String: String], into validator: Validator) {
        validator.within("annotations") {
            for key in annotations.keys.sorted() {
                // Calico lower-cases an annotation key before checking it, so `Example.com/Key` is allowed.
                if let reason = LabelSyntax.validateKey(key.lowercased()) {
                    validator.error(key, "invalid annotation key: \(reason)")
                }
            }
        }
        let total = annotations.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        if total > maxTotalBytes {
            validator.error(
                "annotations",
                "the annotations total \(total) bytes, \(total - maxTotalBytes) over the limit of \(maxTotalBytes)")
        }
    }
}
