/// The `spec` of one kind of resource: its fields, Calico's defaults and its validation rules.
public protocol ResourceSpec: Codable, Sendable, Equatable {
    static var kind: ResourceKind { get }
    /// An empty spec, as a manifest without a `spec:` decodes.
    init()
    /// Fills in Calico's defaults for fields left out (IPPool `blockSize: 26`, policy `types`, ...).
    mutating func applyDefaults(metadata: ObjectMeta)
    /// Adds every problem with the spec to `validator`, with field paths relative to the spec.
    func validate(metadata: ObjectMeta, into validator: Validator)
    /// Adds problems with the metadata that only this kind has, with paths relative to `metadata`.
    static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator)
}

extension ResourceSpec {
    public mutating func applyDefaults(metadata: ObjectMeta) {}
    public static func validateMetadata(_ metadata: ObjectMeta, into validator: Validator) {}
}

/// A resource: metadata and spec. Every kind is one of these (`IPPool` is `Resource<IPPoolSpec>`).
public struct Resource<Spec: ResourceSpec>: CalicoResource {
    public var metadata: ObjectMeta
    public var spec: Spec

    public init(metadata: ObjectMeta, spec: Spec = Spec()) {
        self.metadata = metadata
        self.spec = spec
    }

    public init(name: String, namespace: String? = nil, spec: Spec = Spec()) {
        self.init(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec)
    }

    public static var kind: ResourceKind { Spec.kind }

    public mutating func applyDefaults() {
        spec.applyDefaults(metadata: metadata)
    }

    public func validate() -> [FieldError] { validationReport().errors }

    public func validationReport() -> ValidationReport {
        let validator = Validator()
        validator.within("metadata") {
            MetadataRules.validate(metadata, kind: Spec.kind, into: validator)
            Spec.validateMetadata(metadata, into: validator)
        }
        validator.within("spec") { spec.validate(metadata: metadata, into: validator) }
        return validator.report
    }

    private enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Spec.kind.apiVersion, forKey: .apiVersion)
        try container.encode(Spec.kind.rawValue, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(spec, forKey: .spec)
    }
}

/// What every resource offers, whatever its kind; lets mixed lists of resources be handled together.
public protocol CalicoResource: Encodable, Sendable, Equatable {
    static var kind: ResourceKind { get }
    var metadata: ObjectMeta { get set }
    mutating func applyDefaults()
    /// Every problem with the resource, with field paths from the document root (`spec.blockSize`).
    func validate() -> [FieldError]
    /// The problems and the warnings (accepted, but worth saying), with paths from the document root.
    func validationReport() -> ValidationReport
}

extension CalicoResource {
    public func validationReport() -> ValidationReport { ValidationReport(errors: validate()) }

    public var key: ResourceKey {
        ResourceKey(kind: Self.kind, namespace: metadata.namespace, name: metadata.name)
    }
}

/// A resource of any kind.
public struct AnyResource: Sendable, Equatable, Encodable, CustomStringConvertible {
    public private(set) var base: any CalicoResource

    public init(_ resource: some CalicoResource) {
        self.base = resource
    }

    public var kind: ResourceKind { type(of: base).kind }

    public var metadata: ObjectMeta {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    public var key: ResourceKey { base.key }

    public var description: String { key.description }

    /// The resource as its own type, when it is of that kind.
    public func `as`<R: CalicoResource>(_ type: R.Type) -> R? { base as? R }

    public mutating func applyDefaults() { base.applyDefaults() }

    public func validate() -> [FieldError] { base.validate() }

    public func validationReport() -> ValidationReport { base.validationReport() }

    public func encode(to encoder: any Encoder) throws { try base.encode(to: encoder) }

    public static func == (lhs: AnyResource, rhs: AnyResource) -> Bool {
        func equal<R: CalicoResource>(_ left: R, _ right: any CalicoResource) -> Bool {
            guard let right = right as? R else { return false }
            return left == right
        }
        return equal(lhs.base, rhs.base)
    }
}
