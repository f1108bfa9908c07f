/// A Kubernetes Namespace (`apiVersion: v1`). Its labels become the `pcns.*` labels of the namespace's
/// endpoints, as Calico's `kns.<namespace>` profile applies them; Calico's pool annotations are checked.
public typealias Namespace = Resource<NamespaceSpec>

public struct NamespaceSpec: ResourceSpec {
    public static let kind = ResourceKind.namespace
    /// Calico CNI annotations that name the pools a namespace's pods take addresses from.
    public static let poolAnnotations = ["cni.projectcalico.org/ipv4pools", "cni.projectcalico.org/ipv6pools"]

    public var finalizers: [String]?

    public init() {}

    public func validate(metadata: ObjectMeta, into validator: Validator) {}

    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {
        if let reason = NameSyntax.labelProblem(metadata.name) { validator.error("name", reason) }
        validator.within("annotations") {
            for key in poolAnnotations {
                guard let value = metadata.annotations?[key] else { continue }
                if JSONStringList.parse(value) == nil {
                    validator.error(
                        key, "must be a JSON list of pool names or CIDRs, like [\"default-ipv4-ippool\"] (got \(value))")
                }
            }
        }
    }
}

/// Parses a JSON list of strings such as `["a", "b"]`, as Calico's CNI annotations carry.
enum JSONStringList {
    static func parse(_ text: String) -> [String]? {
        guard let node = try? ManifestParser.parse(text).first?.root,
            case .sequence(let items) = node.value
        else { return nil }
        var result: [String] = []
        for item in items {
            guard case .scalar(let value, quoted: true) = item.value else { return nil }
            result.append(value)
        }
        return result
    }
}
