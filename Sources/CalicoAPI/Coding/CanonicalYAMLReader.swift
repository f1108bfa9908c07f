/// Reads the block YAML that `YAMLEmitter` writes (the file datastore's files, `tabbyctl get -o yaml`) straight
/// into manifest nodes, without Yams: the same tree, scalars, quoting and locations that Yams gives for that
/// text, for a fraction of the cost (Docs/performance.md, the snapshot phases).
///
/// It accepts only a strict subset, and gives up (nil) on anything else, so that `ManifestParser` parses it with
/// Yams and every other input (comments, flow style, anchors, tags, multi-line or single-quoted scalars,
/// indented lists, several documents, tabs, CRLF, non-ASCII text, duplicate keys, syntax errors) keeps Yams'
/// result and Yams' error messages. The subset is one document whose root is a non-empty block mapping, with:
///
/// - keys that are plain (`[A-Za-z0-9_][A-Za-z0-9_./-]*`) or double-quoted, each followed by `:` and then a
///   space and a value or the end of the line and a nested mapping (two spaces deeper) or a list (`- ` items at
///   the key's own indentation);
/// - values that are `{}`, `[]`, a double-quoted string with only the emitter's escapes (`\"`, `\\`, `\n`,
///   `\t`, `\r`, `\xHH`), or a plain scalar of printable ASCII that no YAML reader takes for anything but itself
///   (no leading indicator, no `: ` or ` #`, no trailing `:` or space);
/// - list items that hold one of those values, a mapping (its first key after the dash) or a nested list.
struct CanonicalYAMLReader {
    /// The text leaves the subset: parse it with Yams.
    private struct Unsupported: Error {}

    /// Longer keys are left to Yams, which limits how far a key may be from its `:`.
    private static let maximumKeyLength = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var line = 1
    private var lineStart = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The root of `text`'s only document, or nil when the text is not in the subset.
    static func read(_ text: String) -> ManifestNode? {
        var text = text
        return text.withUTF8 { buffer in
            var reader = CanonicalYAMLReader(bytes: buffer)
            return try? reader.document()
        }
    }

    private mutating func document() throws(Unsupported) -> ManifestNode {
        guard !bytes.isEmpty else { throw Unsupported() }
        let root = try mapping(indent: 0)
        guard position == bytes.count else { throw Unsupported() }
        return root
    }

    // MARK: Structure

    private var here: SourceLocation { SourceLocation(line: line, column: position - lineStart + 1) }
    private var atEnd: Bool { position >= bytes.count }

    private func byte(at offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    /// The number of spaces at the current position (a line start).
    private func indentation() -> Int {
        var offset = 0
        while byte(at: offset) == .space { offset += 1 }
        return offset
    }

    private func isSequenceItem(at offset: Int) -> Bool {
        byte(at: offset) == .dash && byte(at: offset + 1) == .space
    }

    /// A block mapping whose first key starts at the current position, `indent` columns into its line.
    private mutating func mapping(indent: Int) throws(Unsupported) -> ManifestNode {
        guard position - lineStart == indent else { throw Unsupported() }
        let location = here
        var entries: [ManifestNode.Entry] = []
        while true {
            let keyLocation = here
            let key = try key()
            let value: ManifestNode
            if atEnd || bytes[position] == .newline {
                try endOfLine()
                guard !atEnd else { throw Unsupported() }
                let next = indentation()
                if next == indent + 2, let first = byte(at: next), Self.isKeyStart(first) {
                    position += next
                    value = try mapping(indent: indent + 2)
                } else if next == indent, isSequenceItem(at: next) {
                    position += next
                    value = try sequence(indent: indent)
                } else {
                    throw Unsupported()
                }
            } else {
                guard bytes[position] == .space else { throw Unsupported() }
                position += 1
                value = try inlineValue()
            }
            // Yams reports duplicate keys as an error: leave that to it.
            if entries.contains(where: { $0.key == key }) { throw Unsupported() }
            entries.append(ManifestNode.Entry(key: key, keyLocation: keyLocation, value: value))
            if atEnd { break }
            let next = indentation()
            if next < indent { break }
            guard next == indent, let first = byte(at: next), Self.isKeyStart(first) else { throw Unsupported() }
            position += next
        }
        return ManifestNode(.mapping(entries), location: location)
    }

    /// A block list whose first `- ` is at the current position, `indent` columns into its line.
    private mutating func sequence(indent: Int) throws(Unsupported) -> ManifestNode {
        guard position - lineStart == indent else { throw Unsupported() }
        let location = here
        var items: [ManifestNode] = []
        while true {
            guard isSequenceItem(at: 0) else { throw Unsupported() }
            position += 2
            if isSequenceItem(at: 0) {
                items.append(try sequence(indent: indent + 2))
            } else if startsMapping() {
                items.append(try mapping(indent: indent + 2))
            } else {
                items.append(try inlineValue())
            }
            if atEnd { break }
            let next = indentation()
            if next < indent { break }
            guard next == indent else { throw Unsupported() }
            // At the same indentation without a dash: the next key of the mapping that holds this list.
            guard isSequenceItem(at: next) else { break }
            position += next
        }
        return ManifestNode(.sequence(items), location: location)
    }

    /// Whether a list item's content is a mapping: a key, `:`, then a space or the end of the line.
    private func startsMapping() -> Bool {
        var probe = self
        guard (try? probe.key()) != nil else { return false }
        return probe.atEnd || probe.bytes[probe.position] == .space || probe.bytes[probe.position] == .newline
    }

    /// A key and its `:`.
    private mutating func key() throws(Unsupported) -> String {
        guard let first = byte(at: 0) else { throw Unsupported() }
        let start = position
        let key: String
        if first == .quote {
            key = try quoted()
        } else {
            guard Self.isKeyStart(first) else { throw Unsupported() }
            position += 1
            while let next = byte(at: 0), Self.isKeyByte(next) { position += 1 }
            key = Self.string(bytes, start..<position)
        }
        guard position - start <= Self.maximumKeyLength, byte(at: 0) == .colon else { throw Unsupported() }
        position += 1
        return key
    }

    /// `{}`, `[]`, a quoted or a plain scalar, and the end of its line.
    private mutating func inlineValue() throws(Unsupported) -> ManifestNode {
        guard let first = byte(at: 0) else { throw Unsupported() }
        let location = here
        let value: ManifestNode.Value
        switch first {
        case .openBrace:
            guard byte(at: 1) == .closeBrace else { throw Unsupported() }
            position += 2
            value = .mapping([])
        case .openBracket:
            guard byte(at: 1) == .closeBracket else { throw Unsupported() }
            position += 2
            value = .sequence([])
        case .quote:
            value = .scalar(try quoted(), quoted: true)
        default:
            value = .scalar(try plain(), quoted: false)
        }
        try endOfLine()
        return ManifestNode(value, location: location)
    }

    /// Consumes the end of a line (or of the text).
    private mutating func endOfLine() throws(Unsupported) {
        if atEnd { return }
        guard bytes[position] == .newline else { throw Unsupported() }
        position += 1
        line += 1
        lineStart = position
    }

    // MARK: Scalars

    /// A plain scalar up to the end of its line, if it reads as exactly its text in any YAML reader.
    private mutating func plain() throws(Unsupported) -> String {
        let start = position
        while let next = byte(at: 0), next != .newline {
            // Printable ASCII only: tabs, control characters and anything non-ASCII go to Yams.
            guard next >= 0x20 && next < 0x7f else { throw Unsupported() }
            if next == .colon && (byte(at: 1) == .space || byte(at: 1) == .newline || byte(at: 1) == nil) {
                throw Unsupported()
            }
            if next == .hash && position > start && bytes[position - 1] == .space { throw Unsupported() }
            position += 1
        }
        guard position > start, bytes[position - 1] != .space else { throw Unsupported() }
        let first = bytes[start]
        // A space after the one that follows `:` or `- ` is indentation to YAML, not text.
        if first == .space { throw Unsupported() }
        if Self.indicators.contains(first) {
            // `-1`, `-foo`: a dash that starts a word is text; `- `, `--` and the other indicators are not.
            guard first == .dash, position - start > 1, Self.isAlphanumeric(bytes[start + 1]) else {
                throw Unsupported()
            }
        }
        return Self.string(bytes, start..<position)
    }

    /// A double-quoted scalar on one line, with the escapes `YAMLEmitter.quoted` writes.
    private mutating func quoted() throws(Unsupported) -> String {
        position += 1
        let start = position
        // Most quoted strings have no escape: take their bytes as they are.
        while let next = byte(at: 0), next != .quote, next != .backslash {
            guard next >= 0x20 && next < 0x7f else { throw Unsupported() }
            position += 1
        }
        var text = Self.string(bytes, start..<position)
        while true {
            guard let next = byte(at: 0) else { throw Unsupported() }
            position += 1
            switch next {
            case .quote:
                return text
            case .backslash:
                guard let escape = byte(at: 0) else { throw Unsupported() }
                position += 1
                switch escape {
                case .quote: text.append("\"")
                case .backslash: text.append("\\")
                case UInt8(ascii: "n"): text.append("\n")
                case UInt8(ascii: "t"): text.append("\t")
                case UInt8(ascii: "r"): text.append("\r")
                case UInt8(ascii: "x"):
                    guard let high = byte(at: 0).flatMap(Self.hexValue), let low = byte(at: 1).flatMap(Self.hexValue)
                    else { throw Unsupported() }
                    position += 2
                    text.unicodeScalars.append(Unicode.Scalar(high << 4 | low))
                default:
                    throw Unsupported()
                }
            default:
                guard next >= 0x20 && next < 0x7f else { throw Unsupported() }
                text.unicodeScalars.append(Unicode.Scalar(next))
            }
        }
    }

    // MARK: Bytes

    /// The bytes that may not start a plain scalar (YAML's indicators).
    private static let indicators: Set<UInt8> = Set("-?:,[]{}#&*!|>'\"%@`".utf8)

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isKeyStart(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == .underscore || byte == .quote
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == .underscore || byte == .dot || byte == .slash || byte == .dash
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// ASCII bytes (checked by the caller) as a string.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

extension UInt8 {
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let dash = UInt8(ascii: "-")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let hash = UInt8(ascii: "#")
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let backslash = UInt8(ascii: "\\")
    fileprivate static let underscore = UInt8(ascii: "_")
    fileprivate static let dot = UInt8(ascii: ".")
    fileprivate static let slash = UInt8(ascii: "/")
    fileprivate static let openBrace = UInt8(ascii: "{")
    fileprivate static let closeBrace = UInt8(ascii: "}")
    fileprivate static let openBracket = UInt8(ascii: "[")
    fileprivate static let closeBracket = UInt8(ascii: "]")
}
