/// Reads one JSON document (what calicoctl and Tabby store as etcd values) straight into manifest nodes,
/// without Yams: the tree, scalars and quoting Yams gives for the same text (strings quoted; numbers, `true`,
/// `false` and `null` plain), for a fraction of the cost of a cold start from etcd.
///
/// Strict JSON only: anything else (trailing commas, comments, duplicate keys, invalid escapes, text after the
/// document) gives nil, so that `ManifestParser` parses it with Yams and keeps Yams' result and error messages.
struct JSONManifestReader {
    private struct Unsupported: Error {}

    /// Deeper documents are left to Yams (and its limits).
    private static let maximumDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var line = 1
    private var lineStart = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The root of `text` when it is one JSON object; nil otherwise.
    static func read(_ text: String) -> ManifestNode? {
        var text = text
        return text.withUTF8 { buffer in
            var reader = JSONManifestReader(bytes: buffer)
            return try? reader.document()
        }
    }

    private mutating func document() throws(Unsupported) -> ManifestNode {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else { throw Unsupported() }
        let root = try value(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw Unsupported() }
        return root
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private var location: SourceLocation { SourceLocation(line: line, column: position - lineStart + 1) }

    private mutating func skipWhitespace() {
        while let byte = peek {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "\n"):
                position += 1
                line += 1
                lineStart = position
            default:
                return
            }
        }
    }

    private mutating func value(depth: Int) throws(Unsupported) -> ManifestNode {
        guard depth < Self.maximumDepth else { throw Unsupported() }
        skipWhitespace()
        let start = location
        guard let byte = peek else { throw Unsupported() }
        switch byte {
        case UInt8(ascii: "{"):
            position += 1
            var entries: [ManifestNode.Entry] = []
            var keys: Set<String> = []
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                position += 1
                return ManifestNode(.mapping([]), location: start)
            }
            while true {
                skipWhitespace()
                let keyLocation = location
                guard peek == UInt8(ascii: "\"") else { throw Unsupported() }
                let key = try string()
                guard keys.insert(key).inserted else { throw Unsupported() }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { throw Unsupported() }
                position += 1
                let item = try value(depth: depth + 1)
                entries.append(ManifestNode.Entry(key: key, keyLocation: keyLocation, value: item))
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    position += 1
                } else if peek == UInt8(ascii: "}") {
                    position += 1
                    return ManifestNode(.mapping(entries), location: start)
                } else {
                    throw Unsupported()
                }
            }
        case UInt8(ascii: "["):
            position += 1
            var items: [ManifestNode] = []
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                position += 1
                return ManifestNode(.sequence([]), location: start)
            }
            while true {
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                if peek == UInt8(ascii: ",") {
                    position += 1
                } else if peek == UInt8(ascii: "]") {
                    position += 1
                    return ManifestNode(.sequence(items), location: start)
                } else {
                    throw Unsupported()
                }
            }
        case UInt8(ascii: "\""):
            return ManifestNode(.scalar(try string(), quoted: true), location: start)
        default:
            return ManifestNode(.scalar(try plain(), quoted: false), location: start)
        }
    }

    /// `true`, `false`, `null` or a number, as written.
    private mutating func plain() throws(Unsupported) -> String {
        let start = position
        while let byte = peek, byte.isJSONPlain { position += 1 }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard text == "true" || text == "false" || text == "null" || Self.isNumber(text.utf8) else {
            throw Unsupported()
        }
        return text
    }

    /// JSON's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private static func isNumber(_ text: String.UTF8View) -> Bool {
        var bytes = text[...]
        func digits() -> Int {
            var count = 0
            while let first = bytes.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") {
                bytes = bytes.dropFirst()
                count += 1
            }
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            if digits() == 0 { return false }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            if digits() == 0 { return false }
        }
        return bytes.isEmpty
    }

    /// A double-quoted string, unescaped.
    private mutating func string() throws(Unsupported) -> String {
        position += 1
        var start = position
        var text = ""
        func flush(_ end: Int) {
            text += String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        while let byte = peek {
            switch byte {
            case UInt8(ascii: "\""):
                flush(position)
                position += 1
                return text
            case UInt8(ascii: "\\"):
                flush(position)
                position += 1
                guard let escaped = peek else { throw Unsupported() }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""): text += "\""
                case UInt8(ascii: "\\"): text += "\\"
                case UInt8(ascii: "/"): text += "/"
                case UInt8(ascii: "b"): text += "\u{8}"
                case UInt8(ascii: "f"): text += "\u{c}"
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xd800..<0xdc00).contains(code) {
                        // A surrogate pair: the second half must follow.
                        guard peek == UInt8(ascii: "\\"), position + 1 < bytes.count,
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw Unsupported() }
                        position += 2
                        let low = try hex4()
                        guard (0xdc00..<0xe000).contains(low) else { throw Unsupported() }
                        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw Unsupported() }
                    text.unicodeScalars.append(scalar)
                default:
                    throw Unsupported()
                }
                start = position
            default:
                // Control characters must be escaped in JSON.
                guard byte >= 0x20 else { throw Unsupported() }
                position += 1
            }
        }
        throw Unsupported()
    }

    private mutating func hex4() throws(Unsupported) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Unsupported() }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw Unsupported()
            }
            code = code << 4 | digit
            position += 1
        }
        return code
    }
}

extension UInt8 {
    /// A byte of a JSON number or literal.
    fileprivate var isJSONPlain: Bool {
        (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9"))
            || self == UInt8(ascii: "-") || self == UInt8(ascii: "+") || self == UInt8(ascii: ".")
            || self == UInt8(ascii: "E")
    }
}
