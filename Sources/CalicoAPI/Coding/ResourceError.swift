/// A problem with one resource, named the way an operator can act on it: the file, the document, the kind and
/// name, the field path and the reason.
///
/// `pools.yaml: document 2 (line 14): IPPool "pool-a": spec.blockSize: must be between 20 and 32 (got 19)`
public struct ResourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the resource came from, `-` for standard input, nil when it did not come from a file.
    public var source: String?
    /// 1-based index of the document in a multi-document stream (or of the item in a `List`).
    public var document: Int?
    public var location: SourceLocation?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    /// The field path, like `spec.ingress[0].destination.ports[1]`; nil for problems of the whole document.
    public var field: String?
    public var reason: String

    public init(
        source: String? = nil, document: Int? = nil, location: SourceLocation? = nil, kind: String? = nil,
        namespace: String? = nil, name: String? = nil, field: String? = nil, reason: String
    ) {
        self.source = source
        self.document = document
        self.location = location
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var parts: [String] = []
        var place = ""
        if let source { place = source }
        if let document {
            place += place.isEmpty ? "document \(document)" : ": document \(document)"
        }
        if let location {
            place += place.isEmpty ? "\(location)" : " (\(location))"
        }
        if !place.isEmpty { parts.append(place) }
        if let kind {
            var object = kind
            if let name {
                object += " \"" + (namespace.map { "\($0)/" } ?? "") + name + "\""
            }
            parts.append(object)
        }
        if let field, !field.isEmpty { parts.append(field) }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }

    /// The same error placed in a document of a file.
    func placed(source: String?, document: Int?) -> ResourceError {
        var copy = self
        if copy.source == nil { copy.source = source }
        if copy.document == nil { copy.document = document }
        return copy
    }
}

/// A problem with one field, before it is placed in a document; validation produces these.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var location: SourceLocation?

    public init(_ path: String, _ reason: String, location: SourceLocation? = nil) {
        self.path = path
        self.reason = reason
        self.location = location
    }

    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}
