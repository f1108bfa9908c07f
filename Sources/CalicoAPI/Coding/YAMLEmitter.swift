/// Writes manifest nodes as block-style YAML, quoting every string that another YAML reader could take for
/// something else (a number, a bool, a date, `80:90`).
enum YAMLEmitter {
    static func emit(_ node: ManifestNode) -> String {
        var out = ""
        switch node.value {
        case .mapping(let entries) where !entries.isEmpty:
            mapping(entries, indent: 0, into: &out)
        case .sequence(let items) where !items.isEmpty:
            sequence(items, indent: 0, into: &out)
        default:
            out = scalarText(node) + "\n"
        }
        return out
    }

    private static func mapping(_ entries: [ManifestNode.Entry], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for entry in entries {
            out += pad + key(entry.key) + ":"
            value(entry.value, indent: indent, into: &out)
        }
    }

    /// Writes what follows `key:` (or `- `) for a value at the given indentation of its parent.
    private static func value(_ node: ManifestNode, indent: Int, into out: inout String) {
        switch node.value {
        case .mapping(let entries):
            if entries.isEmpty {
                out += " {}\n"
            } else {
                out += "\n"
                mapping(entries, indent: indent + 2, into: &out)
            }
        case .sequence(let items):
            if items.isEmpty {
                out += " []\n"
            } else {
                out += "\n"
                sequence(items, indent: indent, into: &out)
            }
        case .scalar:
            out += " " + scalarText(node) + "\n"
        }
    }

    private static func sequence(_ items: [ManifestNode], indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item.value {
            case .mapping(let entries) where !entries.isEmpty:
                var nested = ""
                mapping(entries, indent: indent + 2, into: &nested)
                // The first line of the item's mapping goes after the dash.
                out += pad + "- " + nested.dropFirst(indent + 2)
            case .sequence(let inner) where !inner.isEmpty:
                var nested = ""
                sequence(inner, indent: indent + 2, into: &nested)
                out += pad + "- " + nested.dropFirst(indent + 2)
            case .mapping:
                out += pad + "- {}\n"
            case .sequence:
                out += pad + "- []\n"
            case .scalar:
                out += pad + "- " + scalarText(item) + "\n"
            }
        }
    }

    private static func key(_ text: String) -> String {
        needsQuotes(text) ? quoted(text) : text
    }

    private static func scalarText(_ node: ManifestNode) -> String {
        guard case .scalar(let text, let wasQuoted) = node.value else { return "" }
        if !wasQuoted { return node.isNull ? "null" : text }
        return needsQuotes(text) ? quoted(text) : text
    }

    /// Whether a string must be quoted to read back as the same string in any YAML 1.1 or 1.2 reader.
    ///
    /// Every key and string of every file the datastore writes goes through here, so it works on the UTF-8
    /// bytes (Foundation's `contains` and a `lowercased()` copy per call were most of its cost).
    static func needsQuotes(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, let last = bytes.last else { return true }
        if first == space || last == space { return true }
        if indicators.contains(first) {
            // A leading '-' is fine when it starts a word ("-foo" is not a list) but not alone or before a space.
            let second = bytes.dropFirst().first
            if !(first == UInt8(ascii: "-") && second != nil && second != space && !looksNumeric(text)) { return true }
        }
        if last == colon { return true }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7f { return true }
            if (previous == colon && byte == space) || (previous == space && byte == hash) { return true }
            previous = byte
        }
        if bytes.count <= 6, reserved.contains(String(decoding: bytes.map(lowercasedASCII), as: UTF8.self)) {
            return true
        }
        return looksNumeric(text) || looksLikeDate(text)
    }

    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")
    private static let hash = UInt8(ascii: "#")
    private static let indicators = Set("-?:,[]{}#&*!|>'\"%@`".utf8)
    /// Plain scalars YAML 1.1 reads as booleans, null or special floats (compared in lower case).
    private static let reserved: Set<String> = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan",
    ]

    private static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    private static func looksNumeric(_ text: String) -> Bool {
        if Double(text) != nil { return true }
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        guard let first = body.first else { return false }
        if first == "." { return body.dropFirst().first?.isNumber ?? false }
        guard first.isNumber else { return false }
        // Digits with '_', ':' (sexagesimal, like 80:90), 'x'/'o'/'b' prefixes, '.' and exponents.
        let numeric = Set("0123456789_:.eE+-xXoObBabcdefABCDEF")
        return body.allSatisfy { numeric.contains($0) }
            && (body.contains(":") || body.hasPrefix("0x") || body.hasPrefix("0o") || body.hasPrefix("0b")
                || body.allSatisfy { $0.isNumber || $0 == "_" || $0 == "." })
    }

    private static func looksLikeDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(10))
        guard bytes.count >= 8 else { return false }
        let digit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        return bytes[0..<4].allSatisfy(digit) && bytes[4] == UInt8(ascii: "-")
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
