/// Standard object metadata, as Kubernetes and Calico's v3 API write it.
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var labels: Labels?
    public var annotations: [String: String]?
    /// Set by the datastore on every write; an update that names a stale one fails with a conflict.
    public var resourceVersion: String?
    public var uid: String?
    public var creationTimestamp: String?
    public var generation: Int64?
    public var deletionTimestamp: String?
    public var finalizers: [String]?

    public init(name: String, namespace: String? = nil, labels: Labels? = nil, annotations: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}
