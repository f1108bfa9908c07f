import Yams

/// One document of a manifest stream, before it is decoded into a resource.
public struct ManifestDocument: Sendable {
    /// 1-based position in the stream.
    public var index: Int
    public var root: ManifestNode
}

/// Parses YAML (and JSON, which YAML reads too) into manifest nodes that remember their lines.
public enum ManifestParser {
    /// All documents of a stream, in order. Empty documents (a stray `---`) are skipped.
    ///
    /// Throws a ``ResourceError`` naming the line of a syntax error; no document is returned from a stream
    /// that does not parse to its end, so a typo in the last document never silently drops it.
    public static func parse(_ text: String, source: String? = nil) throws(ResourceError) -> [ManifestDocument] {
        // What Tabby writes itself reads without Yams; anything else (and every error) is Yams'.
        if let root = CanonicalYAMLReader.read(text) { return [ManifestDocument(index: 1, root: root)] }
        // One JSON object (etcd values, calicoctl's JSON) reads without Yams too.
        if text.utf8.first == UInt8(ascii: "{"), let root = JSONManifestReader.read(text) {
            return [ManifestDocument(index: 1, root: root)]
        }
        return try parseWithYams(text, source: source)
    }

    /// `parse` without the fast path for Tabby's own output (the tests compare the two).
    static func parseWithYams(_ text: String, source: String? = nil) throws(ResourceError) -> [ManifestDocument] {
        var documents: [ManifestDocument] = []
        do {
            // An explicit encoding: Yams' `.default` reads the whole process environment on every parse
            // (for YAMS_DEFAULT_ENCODING), which cost about as much as parsing a small file.
            let parser = try Parser(yaml: text, resolver: .basic, encoding: .utf8)
            var index = 0
            while let root = try parser.nextRoot() {
                index += 1
                let node = try convert(root)
                if node.isNull { continue }
                documents.append(ManifestDocument(index: index, root: node))
            }
        } catch let error as ResourceError {
            throw error.placed(source: source, document: nil)
        } catch {
            throw syntaxError(error, source: source)
        }
        return documents
    }

    private static func convert(_ node: Yams.Node) throws(ResourceError) -> ManifestNode {
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                || scalar.style == .literal || scalar.style == .folded
            return ManifestNode(.scalar(scalar.string, quoted: quoted), location: location(scalar.mark))
        case .sequence(let sequence):
            var items: [ManifestNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence { items.append(try convert(item)) }
            return ManifestNode(.sequence(items), location: location(sequence.mark))
        case .mapping(let mapping):
            var entries: [ManifestNode.Entry] = []
            entries.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw ResourceError(
                        location: location(mapping.mark), reason: "mapping keys must be plain strings")
                }
                entries.append(
                    ManifestNode.Entry(
                        key: keyScalar.string, keyLocation: location(keyScalar.mark), value: try convert(value)))
            }
            return ManifestNode(.mapping(entries), location: location(mapping.mark))
        case .alias(let alias):
            throw ResourceError(location: location(alias.mark), reason: "unresolved YAML alias")
        }
    }

    private static func location(_ mark: Mark?) -> SourceLocation? {
        mark.map { SourceLocation(line: $0.line, column: $0.column) }
    }

    private static func syntaxError(_ error: any Error, source: String?) -> ResourceError {
        guard let yamlError = error as? YamlError else {
            return ResourceError(source: source, reason: "cannot parse: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var reason = "YAML syntax error: \(problem)"
            if let context { reason += " (\(context.text))" }
            return ResourceError(
                source: source, location: SourceLocation(line: mark.line, column: mark.column), reason: reason)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ResourceError(
                source: source,
                location: SourceLocation(line: context.mark.line, column: context.mark.column),
                reason: "duplicate keys in a mapping: \(duplicates.joined(separator: ", "))")
        case .reader(let problem, _, _, _):
            return ResourceError(source: source, reason: "cannot read the input: \(problem)")
        default:
            return ResourceError(source: source, reason: "cannot parse: \(yamlError)")
        }
    }
}
