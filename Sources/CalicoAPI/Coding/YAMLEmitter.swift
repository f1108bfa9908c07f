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
    static func needsQuotes(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last else { return true }
        if first == " " || last == " " { return true }
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
            // A leading '-' is fine when it starts a word ("-foo" is not a list) but not alone or before a space.
            if !(first == "-" && text.count > 1 && !text.hasPrefix("- ") && !looksNumeric(text)) { return true }
        }
        if text.contains(": ") || text.contains(" #") || text.hasSuffix(":") { return true }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return true }
        let lower = text.lowercased()
        let reserved: Set<String> = [
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan",
        ]
        if reserved.contains(lower) { return true }
        return looksNumeric(text) || looksLikeDate(text)
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
