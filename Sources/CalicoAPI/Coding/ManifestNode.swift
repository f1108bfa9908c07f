/// A place in a manifest: 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "line \(line)" }
}

/// One node of a parsed YAML or JSON manifest, with where it was written.
///
/// Scalars keep their text and whether they were quoted: the decoder interprets them by the type the field
/// asks for (a quoted `"26"` is a string and never an integer), as Kubernetes' strict decoding does.
public struct ManifestNode: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case scalar(String, quoted: Bool)
        case sequence([ManifestNode])
        case mapping([Entry])
    }

    public struct Entry: Sendable, Equatable {
        public var key: String
        public var keyLocation: SourceLocation?
        public var value: ManifestNode
    }

    public var value: Value
    public var location: SourceLocation?

    public init(_ value: Value, location: SourceLocation? = nil) {
        self.value = value
        self.location = location
    }

    /// True for a plain `null`, `~` or empty scalar.
    public var isNull: Bool {
        if case .scalar(let text, quoted: false) = value {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    /// The value under `key` when this node is a mapping.
    public subscript(key: String) -> ManifestNode? {
        guard case .mapping(let entries) = value else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The scalar's text, when this node is a non-null scalar.
    public var scalarText: String? {
        if case .scalar(let text, _) = value, !isNull { return text }
        return nil
    }

    /// A short name of the node's shape for error messages.
    var shapeName: String {
        switch value {
        case .scalar(let text, let quoted):
            if isNull { return "null" }
            return quoted ? "the string \"\(text)\"" : "the value \(text)"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

extension ManifestNode: Decodable {
    /// Only ``ManifestDecoder`` can hand out a raw node (it keeps a field's content as written).
    public init(from decoder: any Decoder) throws {
        throw DecodingError.dataCorrupted(
            .init(codingPath: decoder.codingPath, debugDescription: "a raw manifest node needs the ManifestDecoder"))
    }
}
