/// Decodes `Decodable` values from manifest nodes, strictly: a field the type does not read is an error that
/// names it (like `kubectl --validate=strict`), scalars must have the type the field asks for, and every
/// error carries the field path and the line.
public enum ManifestDecoder {
    /// Decodes `type` from `node`. `path` is the field path of `node` in its document (e.g. `spec`).
    public static func decode<T: Decodable>(_ type: T.Type, from node: ManifestNode, path: String = "")
        throws(FieldError) -> T
    {
        let state = DecodingState(rootPath: path)
        do {
            let value = try T(from: NodeDecoder(node: node, codingPath: [], state: state))
            if let unknown = state.unknownFields().first { throw unknown }
            return value
        } catch let error as FieldError {
            throw error
        } catch let error as DecodingError {
            throw state.fieldError(from: error)
        } catch {
            throw FieldError(path, "\(error)", location: node.location)
        }
    }
}

/// What one decode has seen: every mapping it opened and which keys were read from it.
private final class DecodingState {
    struct Mapping {
        var keys: [(String, SourceLocation?)]
        var read: Set<String>
    }

    let rootPath: String
    var mappings: [String: Mapping] = [:]
    var order: [String] = []
    var locations: [String: SourceLocation] = [:]

    init(rootPath: String) { self.rootPath = rootPath }

    func path(_ codingPath: [any CodingKey]) -> String {
        var result = rootPath
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                result += "[\(index)]"
            } else {
                result += result.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return result
    }

    func track(_ path: String, entries: [ManifestNode.Entry]) {
        if mappings[path] == nil {
            mappings[path] = Mapping(keys: entries.map { ($0.key, $0.keyLocation) }, read: [])
            order.append(path)
        }
    }

    func markRead(_ path: String, _ key: String) {
        mappings[path]?.read.insert(key)
    }

    func unknownFields() -> [FieldError] {
        var errors: [FieldError] = []
        for path in order {
            guard let mapping = mappings[path] else { continue }
            for (key, location) in mapping.keys where !mapping.read.contains(key) {
                let field = path.isEmpty ? key : "\(path).\(key)"
                errors.append(FieldError(field, "unknown field \"\(key)\"", location: location))
            }
        }
        return errors
    }

    func fieldError(from error: DecodingError) -> FieldError {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = path(context.codingPath)
            return FieldError(path, context.debugDescription, location: locations[path])
        case .keyNotFound(let key, let context):
            let path = path(context.codingPath + [key])
            return FieldError(path, "required field is missing", location: locations[self.path(context.codingPath)])
        @unknown default:
            return FieldError(rootPath, "\(error)")
        }
    }
}

private struct IndexKey: CodingKey {
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
    let index: Int
    init(_ index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }
}

private struct NodeDecoder: Decoder {
    let node: ManifestNode
    let codingPath: [any CodingKey]
    let state: DecodingState
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: ManifestNode, codingPath: [any CodingKey], state: DecodingState) {
        self.node = node
        self.codingPath = codingPath
        self.state = state
        if let location = node.location { state.locations[state.path(codingPath)] = location }
    }

    func failure(_ reason: String) -> FieldError {
        FieldError(state.path(codingPath), reason, location: node.location)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let entries) = node.value else {
            throw failure("expected a mapping, got \(node.shapeName)")
        }
        let path = state.path(codingPath)
        state.track(path, entries: entries)
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, path: path, entries: entries))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if node.isNull { return UnkeyedContainer(decoder: self, items: []) }
        guard case .sequence(let items) = node.value else {
            throw failure("expected a list, got \(node.shapeName)")
        }
        return UnkeyedContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(decoder: self) }

    func child(_ node: ManifestNode, key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key], state: state)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let path: String
    let values: [String: ManifestNode]
    let keys: [String]
    var codingPath: [any CodingKey] { decoder.codingPath }

    init(decoder: NodeDecoder, path: String, entries: [ManifestNode.Entry]) {
        self.decoder = decoder
        self.path = path
        var values: [String: ManifestNode] = [:]
        for entry in entries { values[entry.key] = entry.value }
        self.values = values
        self.keys = entries.map(\.key)
    }

    var allKeys: [Key] { keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        decoder.state.markRead(path, key.stringValue)
        return values[key.stringValue] != nil
    }

    private func node(_ key: Key) throws -> ManifestNode {
        decoder.state.markRead(path, key.stringValue)
        guard let node = values[key.stringValue] else {
            throw FieldError(
                path.isEmpty ? key.stringValue : "\(path).\(key.stringValue)", "required field is missing",
                location: decoder.node.location)
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        decoder.state.markRead(path, key.stringValue)
        return values[key.stringValue]?.isNull ?? true
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let child = decoder.child(try node(key), key: key)
        return try child.decodeValue(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try decoder.child(try node(key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(try node(key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder { decoder.child(try node(key), key: key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [ManifestNode]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(decoder: NodeDecoder, items: [ManifestNode]) {
        self.decoder = decoder
        self.items = items
    }

    private mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else { throw decoder.failure("the list has too few items") }
        defer { currentIndex += 1 }
        return decoder.child(items[currentIndex], key: IndexKey(currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct SingleValue: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node.isNull }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
}

extension NodeDecoder {
    /// Decodes scalars by the type asked for; everything else through the type's own `init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try string() as! T
        case is Bool.Type: return try bool() as! T
        case is Int.Type: return try integer(Int.self) as! T
        case is Int32.Type: return try integer(Int32.self) as! T
        case is Int64.Type: return try integer(Int64.self) as! T
        case is UInt8.Type: return try integer(UInt8.self) as! T
        case is UInt16.Type: return try integer(UInt16.self) as! T
        case is UInt32.Type: return try integer(UInt32.self) as! T
        case is UInt64.Type: return try integer(UInt64.self) as! T
        case is Double.Type: return try number() as! T
        case is ManifestNode.Type: return node as! T
        default: return try T(from: self)
        }
    }

    private func scalar(_ expected: String) throws -> (String, Bool) {
        guard case .scalar(let text, let quoted) = node.value, !node.isNull else {
            throw failure("expected \(expected), got \(node.shapeName)")
        }
        return (text, quoted)
    }

    func string() throws -> String { try scalar("a string").0 }

    func bool() throws -> Bool {
        let (text, quoted) = try scalar("true or false")
        if !quoted {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        throw failure("expected true or false, got \(node.shapeName)")
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let (text, quoted) = try scalar("an integer")
        guard !quoted, let value = I(text) ?? (text.hasPrefix("+") ? I(text.dropFirst()) : nil) else {
            if !quoted, let wide = Double(text), wide.rounded() == wide {
                throw failure("\(text) is out of range (\(I.min) to \(I.max))")
            }
            throw failure("expected an integer, got \(node.shapeName)")
        }
        return value
    }

    func number() throws -> Double {
        let (text, quoted) = try scalar("a number")
        guard !quoted, let value = Double(text), value.isFinite else {
            throw failure("expected a number, got \(node.shapeName)")
        }
        return value
    }
}
