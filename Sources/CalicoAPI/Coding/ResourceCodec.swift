import Foundation

/// Several resource errors at once (every bad document of an input, every bad field of a document).
public struct ResourceErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ResourceError]

    public init(_ errors: [ResourceError]) { self.errors = errors }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Reads and writes resources as YAML or JSON manifests.
public enum ResourceCodec {
    /// The result of reading a manifest stream: every good resource and every problem, so one bad document
    /// never hides the others.
    public struct Decoded: Sendable {
        public var resources: [AnyResource] = []
        public var errors: [ResourceError] = []
        /// What the valid resources carry that is accepted but worth saying (a Calico setting Tabby ignores).
        public var warnings: [ResourceError] = []
    }

    /// Decodes every document of `text` (YAML or JSON; multi-document streams and `kind: List`), applies
    /// Calico's defaults and validates. `source` names the input in errors (a file path, `-` for stdin).
    public static func decode(_ text: String, source: String? = nil) -> Decoded {
        var result = Decoded()
        let documents: [ManifestDocument]
        do {
            documents = try ManifestParser.parse(text, source: source)
        } catch {
            result.errors.append(error)
            return result
        }
        for document in documents {
            decodeDocument(document.root, source: source, document: document.index, into: &result)
        }
        return result
    }

    /// Decodes `text` and throws every problem when any document is bad.
    public static func decodeAll(_ text: String, source: String? = nil) throws(ResourceErrors) -> [AnyResource] {
        let decoded = decode(text, source: source)
        if !decoded.errors.isEmpty { throw ResourceErrors(decoded.errors) }
        return decoded.resources
    }

    /// Decodes exactly one resource.
    public static func decodeOne(_ text: String, source: String? = nil) throws(ResourceErrors) -> AnyResource {
        let resources = try decodeAll(text, source: source)
        guard resources.count == 1 else {
            throw ResourceErrors([
                ResourceError(source: source, reason: "expected exactly one resource, found \(resources.count)")
            ])
        }
        return resources[0]
    }

    private static func decodeDocument(
        _ root: ManifestNode, source: String?, document: Int, into result: inout Decoded
    ) {
        func fail(_ reason: String, field: String? = nil, location: SourceLocation? = nil) {
            result.errors.append(
                ResourceError(
                    source: source, document: document, location: location ?? root.location, field: field,
                    reason: reason))
        }
        guard case .mapping = root.value else {
            fail("expected a resource (a mapping with apiVersion, kind, metadata and spec), got \(root.shapeName)")
            return
        }
        guard let kindText = root["kind"]?.scalarText else {
            fail("kind is required", field: "kind")
            return
        }
        if kindText == "List" || kindText.hasSuffix("List") {
            guard case .sequence(let items)? = root["items"]?.value else {
                fail("a \(kindText) needs an items list", field: "items")
                return
            }
            for (index, item) in items.enumerated() {
                let errorsBefore = result.errors.count
                let warningsBefore = result.warnings.count
                decodeDocument(item, source: source, document: document, into: &result)
                func prefix(_ problem: inout ResourceError) {
                    problem.field = "items[\(index)]" + (problem.field.map { ".\($0)" } ?? "")
                }
                for position in errorsBefore..<result.errors.count { prefix(&result.errors[position]) }
                for position in warningsBefore..<result.warnings.count { prefix(&result.warnings[position]) }
            }
            return
        }
        guard let kind = ResourceKind(manifestKind: kindText) else {
            let known = ResourceKind.allCases.map(\.rawValue).joined(separator: ", ")
            fail("unknown kind \"\(kindText)\" (Tabby knows \(known))", field: "kind", location: root["kind"]?.location)
            return
        }
        do {
            var resource = try decodeResource(kind: kind, root: root)
            resource.applyDefaults()
            let report = resource.validationReport()
            func placed(_ problem: FieldError) -> ResourceError {
                ResourceError(
                    source: source, document: document, location: root.location(at: problem.path),
                    kind: kind.rawValue, namespace: resource.metadata.namespace, name: resource.metadata.name,
                    field: problem.path, reason: problem.reason)
            }
            if report.errors.isEmpty {
                result.resources.append(resource)
                result.warnings += report.warnings.map(placed)
            } else {
                result.errors += report.errors.map(placed)
            }
        } catch {
            var error = error
            error.source = source
            error.document = document
            error.kind = kind.rawValue
            if error.name == nil { error.name = root["metadata"]?["name"]?.scalarText }
            if error.namespace == nil, kind.isNamespaced {
                error.namespace = root["metadata"]?["namespace"]?.scalarText
            }
            result.errors.append(error)
        }
    }

    /// Decodes one resource document of a known kind, without defaults or validation.
    static func decodeResource(kind: ResourceKind, root: ManifestNode) throws(ResourceError) -> AnyResource {
        let apiVersion = root["apiVersion"]?.scalarText
        let accepted = kind.isKubernetesCore ? [APIVersion.kubernetesCore] : [APIVersion.v3, APIVersion.crdV1]
        guard let apiVersion, accepted.contains(apiVersion) else {
            throw ResourceError(
                location: root["apiVersion"]?.location ?? root.location, field: "apiVersion",
                reason: apiVersion == nil
                    ? "apiVersion is required (\(accepted.joined(separator: " or ")))"
                    : "unsupported apiVersion \"\(apiVersion!)\" for \(kind) (use \(accepted.joined(separator: " or ")))"
            )
        }
        if case .mapping(let entries) = root.value {
            let allowed: Set<String> = ["apiVersion", "kind", "metadata", "spec", "status"]
            if let unknown = entries.first(where: { !allowed.contains($0.key) }) {
                throw ResourceError(
                    location: unknown.keyLocation, field: unknown.key, reason: "unknown field \"\(unknown.key)\"")
            }
        }
        guard let metadataNode = root["metadata"] else {
            throw ResourceError(location: root.location, field: "metadata", reason: "metadata with a name is required")
        }
        var metadata: ObjectMeta
        do {
            metadata = try ManifestDecoder.decode(ObjectMeta.self, from: metadataNode, path: "metadata")
        } catch {
            throw ResourceError(location: error.location, field: error.path, reason: error.reason)
        }
        if apiVersion == APIVersion.crdV1 {
            try V1Metadata.merge(into: &metadata, location: metadataNode.location)
        }
        func typed<Spec: ResourceSpec>(_ type: Spec.Type) throws(ResourceError) -> AnyResource {
            var spec = Spec()
            if let specNode = root["spec"], !specNode.isNull {
                do {
                    spec = try ManifestDecoder.decode(Spec.self, from: specNode, path: "spec")
                } catch {
                    throw ResourceError(
                        location: error.location, namespace: metadata.namespace, name: metadata.name,
                        field: error.path, reason: error.reason)
                }
            }
            return AnyResource(Resource<Spec>(metadata: metadata, spec: spec))
        }
        return try typed(kind.specType)
    }

    /// The resource (or a list document) as YAML, in a stable field order.
    public static func yaml(_ resource: some Encodable) -> String {
        YAMLEmitter.emit(node(of: resource))
    }

    /// The resource as indented JSON.
    public static func json(_ resource: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding our own value types cannot fail: they hold only strings, numbers, bools, lists and maps.
        let data = try! encoder.encode(resource)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The resource as a manifest node tree (what `yaml` prints).
    public static func node(of resource: some Encodable) -> ManifestNode {
        if let node = try? ManifestEncoder.encode(resource) { return node }
        // JSON is YAML, and our JSON always parses.
        let documents = try! ManifestParser.parse(json(resource))
        return documents.first?.root ?? ManifestNode(.mapping([]))
    }
}

extension ResourceKind {
    /// The Swift type of this kind's spec.
    public var specType: any ResourceSpec.Type {
        switch self {
        case .ipPool: IPPoolSpec.self
        case .node: NodeSpec.self
        case .workloadEndpoint: WorkloadEndpointSpec.self
        case .hostEndpoint: HostEndpointSpec.self
        case .tier: TierSpec.self
        case .globalNetworkPolicy: GlobalNetworkPolicySpec.self
        case .networkPolicy: NetworkPolicySpec.self
        case .profile: ProfileSpec.self
        case .globalNetworkSet: GlobalNetworkSetSpec.self
        case .networkSet: NetworkSetSpec.self
        case .felixConfiguration: FelixConfigurationSpec.self
        case .ipamConfiguration: IPAMConfigurationSpec.self
        case .blockAffinity: BlockAffinitySpec.self
        case .ipamBlock: IPAMBlockSpec.self
        case .ipamHandle: IPAMHandleSpec.self
        case .bgpConfiguration: BGPConfigurationSpec.self
        case .bgpPeer: BGPPeerSpec.self
        case .bgpFilter: BGPFilterSpec.self
        case .namespace: NamespaceSpec.self
        case .pod: PodSpec.self
        }
    }
}

/// `crd.projectcalico.org/v1` objects carry their v3 metadata JSON-encoded in an annotation.
enum V1Metadata {
    static let annotation = "projectcalico.org/metadata"

    static func merge(into metadata: inout ObjectMeta, location: SourceLocation?) throws(ResourceError) {
        guard let text = metadata.annotations?[annotation] else { return }
        struct Embedded: Decodable {
            var labels: Labels?
            var annotations: [String: String]?
            var uid: String?
            var creationTimestamp: String?
            var generation: Int64?
            var name: String?
            var namespace: String?
            var resourceVersion: String?
            var ownerReferences: ManifestNode?
            var finalizers: [String]?
        }
        let embedded: Embedded
        do {
            guard let node = try ManifestParser.parse(text).first?.root else { return }
            embedded = try ManifestDecoder.decode(Embedded.self, from: node, path: "metadata.annotations")
        } catch {
            throw ResourceError(
                location: location, field: "metadata.annotations.\(annotation)",
                reason: "must hold the resource's v3 metadata as JSON: \(error)")
        }
        metadata.annotations?[annotation] = nil
        if let labels = embedded.labels { metadata.labels = (metadata.labels ?? [:]).merging(labels) { $1 } }
        if let annotations = embedded.annotations {
            metadata.annotations = (metadata.annotations ?? [:]).merging(annotations) { $1 }
        }
        if metadata.annotations?.isEmpty == true { metadata.annotations = nil }
        if metadata.creationTimestamp == nil { metadata.creationTimestamp = embedded.creationTimestamp }
    }
}

extension ManifestNode {
    /// The location of the node at a field path like `spec.ingress[0].action`, or of the deepest node on the
    /// way there that exists.
    public func location(at path: String) -> SourceLocation? {
        var node = self
        var best = location
        var rest = Substring(path)
        while !rest.isEmpty {
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"),
                    let index = Int(rest[rest.index(after: rest.startIndex)..<close]),
                    case .sequence(let items) = node.value, items.indices.contains(index)
                else { break }
                node = items[index]
                rest = rest[rest.index(after: close)...]
            } else {
                if rest.hasPrefix(".") { rest = rest.dropFirst() }
                guard case .mapping(let entries) = node.value else { break }
                // Keys may contain dots (label keys): take the longest key that prefixes the rest.
                let match = entries.filter { entry in
                    rest.hasPrefix(entry.key)
                        && (rest.count == entry.key.count
                            || [".", "["].contains(rest[rest.index(rest.startIndex, offsetBy: entry.key.count)]))
                }.max { $0.key.count < $1.key.count }
                guard let match else { break }
                node = match.value
                rest = rest.dropFirst(match.key.count)
            }
            best = node.location ?? best
        }
        return best
    }
}
