/// Decodes `Decodable` values from manifest nodes, strictly: a field the type does not read is an error that
/// names it (like `kubectl --validate=strict`), scalars must have the type the field asks for, and every
/// error carries the field path and the line.
public enum ManifestDecoder {
    /// Decodes `type` from `node`. `path` is the field path of `node` in its document (e.g. `spec`).
    public static func decode<T: Decodable>(_ type: T.Type, from node: ManifestNode, path: String = "")
        throws(FieldError) -> T
    {
        let state = DecodingState(rootPath: path, root: node)
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

/// What one decode has seen: every mapping it opened and which of its keys were read.
///
/// Paths are built only for mappings and errors, never per node: a node's location for an error is found by
/// walking the coding path from the root.
private final class DecodingState {
    let rootPath: String
    let root: ManifestNode
    var mappings: [String: MappingRecord] = [:]
    var order: [MappingRecord] = []

    init(rootPath: String, root: ManifestNode) {
        self.rootPath = rootPath
        self.root = root
    }

    func path(_ codingPath: [any CodingKey]) -> String {
        var result = rootPath
        for key in codingPath { Self.append(key, to: &result) }
        return result
    }

    /// `path(codingPath + [key])` without building the array.
    func path(_ codingPath: [any CodingKey], _ key: any CodingKey) -> String {
        var result = path(codingPath)
        Self.append(key, to: &result)
        return result
    }

    private static func append(_ key: any CodingKey, to result: inout String) {
        if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
            result += "[\(index)]"
        } else {
            result += result.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }

    /// The record of the mapping at `path`, made the first time it is opened (a type may open one mapping
    /// more than once; what any of them reads counts).
    func track(_ path: String, entries: [ManifestNode.Entry]) -> MappingRecord {
        if let record = mappings[path] { return record }
        let record = MappingRecord(entries: entries, path: path)
        mappings[path] = record
        order.append(record)
        return record
    }

    func unknownFields() -> [FieldError] {
        var errors: [FieldError] = []
        for record in order {
            for (index, entry) in record.entries.enumerated() where !record.read[index] {
                // A repeated key (only in hand-built trees; parsers refuse them) counts as read when any of
                // its entries was.
                if record.entries.indices.contains(where: { record.read[$0] && record.entries[$0].key == entry.key }) {
                    continue
                }
                let field = record.path.isEmpty ? entry.key : "\(record.path).\(entry.key)"
                errors.append(FieldError(field, "unknown field \"\(entry.key)\"", location: entry.keyLocation))
            }
        }
        return errors
    }

    /// The node a coding path leads to from the root, if there is one.
    func node(at codingPath: [any CodingKey]) -> ManifestNode? {
        var node = root
        for key in codingPath {
            switch node.value {
            case .mapping(let entries):
                guard let entry = entries.last(where: { $0.key == key.stringValue }) else { return nil }
                node = entry.value
            case .sequence(let items):
                guard let index = key.intValue, items.indices.contains(index) else { return nil }
                node = items[index]
            case .scalar:
                return nil
            }
        }
        return node
    }

    func fieldError(from error: DecodingError) -> FieldError {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            return FieldError(
                path(context.codingPath), context.debugDescription, location: node(at: context.codingPath)?.location)
        case .keyNotFound(let key, let context):
            return FieldError(
                path(context.codingPath, key), "required field is missing",
                location: node(at: context.codingPath)?.location)
        @unknown default:
            return FieldError(rootPath, "\(error)")
        }
    }
}

/// One mapping being decoded: its entries, which were read, and an index by key when it is large.
private final class MappingRecord {
    /// Below this many entries a linear search beats hashing the key.
    static let indexThreshold = 12

    let entries: [ManifestNode.Entry]
    let path: String
    var read: [Bool]
    private let index: [String: Int]?

    init(entries: [ManifestNode.Entry], path: String) {
        self.entries = entries
        self.path = path
        read = Array(repeating: false, count: entries.count)
        if entries.count > Self.indexThreshold {
            var index: [String: Int] = [:]
            index.reserveCapacity(entries.count)
            // The last of duplicate keys wins, as it did in a dictionary built from the entries.
            for (position, entry) in entries.enumerated() { index[entry.key] = position }
            self.index = index
        } else {
            index = nil
        }
    }

    /// The position of `key`'s entry (the last one, if a key repeats).
    func position(of key: String) -> Int? {
        if let index { return index[key] }
        return entries.lastIndex { $0.key == key }
    }

    /// The node under `key`, marked as read.
    func read(_ key: String) -> ManifestNode? {
        guard let position = position(of: key) else { return nil }
        read[position] = true
        return entries[position].value
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
    }

    func failure(_ reason: String) -> FieldError {
        FieldError(state.path(codingPath), reason, location: node.location)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let entries) = node.value else {
            throw failure("expected a mapping, got \(node.shapeName)")
        }
        let record = state.track(state.path(codingPath), entries: entries)
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, record: record))
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

    /// Decodes the child `node` under `key`: scalars directly (no child decoder, whose coding path costs an
    /// allocation), everything else through a child decoder.
    func decodeChild<T: Decodable>(_ type: T.Type, _ node: ManifestNode, key: any CodingKey) throws -> T {
        do {
            if let value = try Scalars.decode(type, node) { return value }
        } catch {
            throw FieldError(state.path(codingPath, key), error.reason, location: node.location)
        }
        return try T(from: child(node, key: key))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let record: MappingRecord
    var codingPath: [any CodingKey] { decoder.codingPath }

    init(decoder: NodeDecoder, record: MappingRecord) {
        self.decoder = decoder
        self.record = record
    }

    var allKeys: [Key] { record.entries.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { record.read(key.stringValue) != nil }

    private func node(_ key: Key) throws -> ManifestNode {
        guard let node = record.read(key.stringValue) else {
            throw FieldError(
                record.path.isEmpty ? key.stringValue : "\(record.path).\(key.stringValue)",
                "required field is missing",
                location: decoder.node.location)
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool { record.read(key.stringValue)?.isNull ?? true }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decodeChild(type, try node(key), key: key)
    }

    /// One lookup instead of the default's three (contains, decodeNil, decode).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = record.read(key.stringValue), !node.isNull else { return nil }
        return try decoder.decodeChild(type, node, key: key)
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try decodeIfPresent(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decodeIfPresent(type, key) }

    /// The generic `decodeIfPresent`, for the concrete overloads above to forward to.
    private func decodeIfPresent<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        guard let node = record.read(key.stringValue), !node.isNull else { return nil }
        return try decoder.decodeChild(type, node, key: key)
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

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !isAtEnd else { throw decoder.failure("the list has too few items") }
        defer { currentIndex += 1 }
        return try decoder.decodeChild(type, items[currentIndex], key: IndexKey(currentIndex))
    }

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
        do {
            if let value = try Scalars.decode(type, node) { return value }
        } catch {
            throw failure(error.reason)
        }
        return try T(from: self)
    }
}

/// The types a manifest scalar decodes into directly, and how: strictly, by the type the field asks for.
private enum Scalars {
    /// Why a node is not the scalar asked for; the caller places it at its field path.
    struct Mismatch: Error {
        var reason: String
    }

    /// The node as `type`; nil when `type` is not one of the scalar types (nor `ManifestNode`).
    static func decode<T>(_ type: T.Type, _ node: ManifestNode) throws(Mismatch) -> T? {
        switch type {
        case is String.Type: return try string(node) as? T
        case is Bool.Type: return try bool(node) as? T
        case is Int.Type: return try integer(Int.self, node) as? T
        case is Int32.Type: return try integer(Int32.self, node) as? T
        case is Int64.Type: return try integer(Int64.self, node) as? T
        case is UInt8.Type: return try integer(UInt8.self, node) as? T
        case is UInt16.Type: return try integer(UInt16.self, node) as? T
        case is UInt32.Type: return try integer(UInt32.self, node) as? T
        case is UInt64.Type: return try integer(UInt64.self, node) as? T
        case is Double.Type: return try number(node) as? T
        case is ManifestNode.Type: return node as? T
        default: return nil
        }
    }

    private static func scalar(_ expected: String, _ node: ManifestNode) throws(Mismatch) -> (String, Bool) {
        guard case .scalar(let text, let quoted) = node.value, !node.isNull else {
            throw Mismatch(reason: "expected \(expected), got \(node.shapeName)")
        }
        return (text, quoted)
    }

    static func string(_ node: ManifestNode) throws(Mismatch) -> String { try scalar("a string", node).0 }

    static func bool(_ node: ManifestNode) throws(Mismatch) -> Bool {
        let (text, quoted) = try scalar("true or false", node)
        if !quoted {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        throw Mismatch(reason: "expected true or false, got \(node.shapeName)")
    }

    static func integer<I: FixedWidthInteger>(_ type: I.Type, _ node: ManifestNode) throws(Mismatch) -> I {
        let (text, quoted) = try scalar("an integer", node)
        guard !quoted, let value = I(text) ?? (text.hasPrefix("+") ? I(text.dropFirst()) : nil) else {
            if !quoted, let wide = Double(text), wide.rounded() == wide {
                throw Mismatch(reason: "\(text) is out of range (\(I.min) to \(I.max))")
            }
            throw Mismatch(reason: "expected an integer, got \(node.shapeName)")
        }
        return value
    }

    static func number(_ node: ManifestNode) throws(Mismatch) -> Double {
        let (text, quoted) = try scalar("a number", node)
        guard !quoted, let value = Double(text), value.isFinite else {
            throw Mismatch(reason: "expected a number, got \(node.shapeName)")
        }
        return value
    }
}
