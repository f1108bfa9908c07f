import NetworkAddress

/// Lines of a BIRD configuration, indented by block.
struct BIRDText {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ content: String) {
        text += String(repeating: "    ", count: depth) + content + "\n"
    }

    mutating func blank() { text += "\n" }

    /// `header {` ... `}` with the body indented; `terminator` follows the closing brace (`;` for channels).
    mutating func block(_ header: String, terminator: String = "", _ body: (inout BIRDText) -> Void) {
        line(header + " {")
        depth += 1
        body(&self)
        depth -= 1
        line("}" + terminator)
    }
}

enum BIRDSyntax {
    /// A BIRD string literal in double quotes. BIRD's strings have no escapes: a `"` inside becomes `'` and a line
    /// break a space (passwords, which must stay exact, are checked with `representable` first).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for character in text {
            switch character {
            case "\"": result += "'"
            case "\n", "\r", "\r\n": result += " "
            default: result.append(character)
            }
        }
        return result + "\""
    }

    /// Whether `text` fits in a BIRD string literal unchanged.
    static func representable(_ text: String) -> Bool {
        !text.contains { $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    }

    /// An address as a protocol-name part: `192.0.2.1` -> `192_0_2_1`, `2001:db8::1` -> `2001_db8__1`.
    static func namePart(_ address: IPAddress) -> String {
        String(address.description.map { $0 == "." || $0 == ":" ? "_" : $0 })
    }

    /// A prefix set matching each CIDR and, with `orLonger`, everything inside it: `[ 203.0.113.0/24+ ]`.
    static func prefixSet(_ cidrs: [CIDR], orLonger: Bool) -> String {
        "[ " + cidrs.map { $0.masked.description + (orLonger ? "+" : "") }.joined(separator: ", ") + " ]"
    }

    /// `net ~ [ ... ]`, or `false` for no CIDRs (BIRD has no empty prefix set).
    static func netIn(_ cidrs: [CIDR], orLonger: Bool = true) -> String {
        cidrs.isEmpty ? "false" : "net ~ " + prefixSet(cidrs, orLonger: orLonger)
    }
}
