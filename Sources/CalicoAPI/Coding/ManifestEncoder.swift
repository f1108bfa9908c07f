import Foundation

/// Encodes a value straight into a manifest node tree: the tree `ResourceCodec.json` would print and the parser
/// read back (keys in JSONEncoder's `sortedKeys` order, strings quoted, numbers and booleans plain, nil as
/// `null`), without the JSON text in between. Writing a resource to the file datastore encodes it this way, so
/// every write (one per IPAM step, one per CNI ADD) is spared a JSON encode and a YAML parse.
///
/// Types JSONEncoder treats specially (`Date`, `Data`, `URL`, `Decimal`) and non-finite numbers are not
/// handled: `encode` throws ``Unsupported``, and the caller takes the JSON path.
enum ManifestEncoder {
    struct Unsupported: Error {}

    static func encode(_ value: some Encodable) throws -> ManifestNode {
        let root = EncodingBox()
        try value.encode(to: NodeEncoder(box: root, codingPath: []))
        return root.node
    }

    /// JSONEncoder's `sortedKeys` order: Swift's string order ("10" < "2" < "B" < "a").
    static func ordered(_ left: String, _ right: String) -> Bool { left < right }
}

/// One node while it is being encoded; containers fill it in place.
private final class EncodingBox {
    enum Content {
        case empty
        case scalar(String, quoted: Bool)
        case mapping([String: EncodingBox])
        case sequence([EncodingBox])
    }

    var content = Content.empty

    var node: ManifestNode {
        switch content {
        case .empty: return ManifestNode(.mapping([]))
        case .scalar(let text, let quoted): return ManifestNode(.scalar(text, quoted: quoted))
        case .sequence(let items): return ManifestNode(.sequence(items.map(\.node)))
        case .mapping(let entries):
            return ManifestNode(
                .mapping(
                    entries.sorted { ManifestEncoder.ordered($0.key, $1.key) }.map {
                        ManifestNode.Entry(key: $0.key, keyLocation: nil, value: $0.value.node)
                    }))
        }
    }

    func child(forKey key: String) -> EncodingBox {
        var entries: [String: EncodingBox] = [:]
        if case .mapping(let existing) = content { entries = existing }
        let box = EncodingBox()
        entries[key] = box
        content = .mapping(entries)
        return box
    }

    func appendChild() -> EncodingBox {
        var items: [EncodingBox] = []
        if case .sequence(let existing) = content { items = existing }
        let box = EncodingBox()
        items.append(box)
        content = .sequence(items)
        return box
    }

    var count: Int {
        if case .sequence(let items) = content { return items.count }
        return 0
    }

    func becomeMapping() {
        if case .mapping = content { return }
        content = .mapping([:])
    }

    func becomeSequence() {
        if case .sequence = content { return }
        content = .sequence([])
    }

    func setNull() { content = .scalar("null", quoted: false) }
    func set(_ text: String, quoted: Bool = false) { content = .scalar(text, quoted: quoted) }

    /// Encodes `value` into this box.
    func encode<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        switch value {
        case let string as String: set(string, quoted: true)
        case let bool as Bool: set(bool ? "true" : "false")
        case let number as Double: set(try Self.text(number))
        case let number as Float: set(try Self.text(Double(number)))
        case is Date, is Data, is URL, is Decimal: throw ManifestEncoder.Unsupported()
        default: try value.encode(to: NodeEncoder(box: self, codingPath: codingPath))
        }
    }

    /// A number as JSONEncoder writes it: integral values without `.0`.
    static func text(_ number: Double) throws -> String {
        guard number.isFinite else { throw ManifestEncoder.Unsupported() }
        var text = number.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

private struct NodeEncoder: Encoder {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.becomeMapping()
        return KeyedEncodingContainer(KeyedBoxContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        box.becomeSequence()
        return UnkeyedBoxContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleBoxContainer(box: box, codingPath: codingPath)
    }
}

private struct KeyedBoxContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodingBox
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { box.child(forKey: key.stringValue).setNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set(value ? "true" : "false")
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set(value, quoted: true)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set(try EncodingBox.text(value))
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set(try EncodingBox.text(Double(value)))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { box.child(forKey: key.stringValue).set("\(value)") }
    mutating func encode(_ value: Int8, forKey key: Key) throws { box.child(forKey: key.stringValue).set("\(value)") }
    mutating func encode(_ value: Int16, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set("\(value)")
    }
    mutating func encode(_ value: Int32, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set("\(value)")
    }
    mutating func encode(_ value: Int64, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set("\(value)")
    }
    mutating func encode(_ value: UInt, forKey key: Key) throws { box.child(forKey: key.stringValue).set("\(value)") }
    mutating func encode(_ value: UInt8, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set("\(value)")
    }
    mutating func encode(_ value: UInt16, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set("\(value)")
    }
    mutating func encode(_ value: UInt32, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set("\(value)")
    }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        box.child(forKey: key.stringValue).set("\(value)")
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try box.child(forKey: key.stringValue).encode(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = box.child(forKey: key.stringValue)
        child.becomeMapping()
        return KeyedEncodingContainer(KeyedBoxContainer<NestedKey>(box: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = box.child(forKey: key.stringValue)
        child.becomeSequence()
        return UnkeyedBoxContainer(box: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(box: box.child(forKey: "super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(box: box.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
}

private struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.init(intValue) }
}

private struct UnkeyedBoxContainer: UnkeyedEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]
    var count: Int { box.count }

    mutating func encodeNil() throws { box.appendChild().setNull() }
    mutating func encode(_ value: String) throws { box.appendChild().set(value, quoted: true) }
    mutating func encode(_ value: Bool) throws { box.appendChild().set(value ? "true" : "false") }
    mutating func encode(_ value: Int) throws { box.appendChild().set("\(value)") }
    mutating func encode(_ value: UInt64) throws { box.appendChild().set("\(value)") }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = box.count
        try box.appendChild().encode(value, codingPath: codingPath + [IndexKey(index)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let index = box.count
        let child = box.appendChild()
        child.becomeMapping()
        return KeyedEncodingContainer(
            KeyedBoxContainer<NestedKey>(box: child, codingPath: codingPath + [IndexKey(index)]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = box.count
        let child = box.appendChild()
        child.becomeSequence()
        return UnkeyedBoxContainer(box: child, codingPath: codingPath + [IndexKey(index)])
    }

    mutating func superEncoder() -> any Encoder {
        let index = box.count
        return NodeEncoder(box: box.appendChild(), codingPath: codingPath + [IndexKey(index)])
    }
}

private struct SingleBoxContainer: SingleValueEncodingContainer {
    let box: EncodingBox
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { box.setNull() }
    mutating func encode(_ value: Bool) throws { box.set(value ? "true" : "false") }
    mutating func encode(_ value: String) throws { box.set(value, quoted: true) }
    mutating func encode(_ value: Double) throws { box.set(try EncodingBox.text(value)) }
    mutating func encode(_ value: Float) throws { box.set(try EncodingBox.text(Double(value))) }
    mutating func encode(_ value: Int) throws { box.set("\(value)") }
    mutating func encode(_ value: Int8) throws { box.set("\(value)") }
    mutating func encode(_ value: Int16) throws { box.set("\(value)") }
    mutating func encode(_ value: Int32) throws { box.set("\(value)") }
    mutating func encode(_ value: Int64) throws { box.set("\(value)") }
    mutating func encode(_ value: UInt) throws { box.set("\(value)") }
    mutating func encode(_ value: UInt8) throws { box.set("\(value)") }
    mutating func encode(_ value: UInt16) throws { box.set("\(value)") }
    mutating func encode(_ value: UInt32) throws { box.set("\(value)") }
    mutating func encode(_ value: UInt64) throws { box.set("\(value)") }
    mutating func encode<T: Encodable>(_ value: T) throws { try box.encode(value, codingPath: codingPath) }
}
