/// One token of a selector, with the byte offset where it starts.
struct SelectorToken: Equatable {
    enum Kind: Equatable {
        case label(String)
        case string(String)
        case has(String)
        case all, global
        case equal, notEqual, `in`, notIn, contains, startsWith, endsWith
        case not, and, or
        case leftParen, rightParen, leftBrace, rightBrace, comma
        case end
        /// The tokenizer stopped here; the parser reports `reason` if it gets this far without an error of its
        /// own, so the error always names the first offending position.
        case invalid(reason: String)
    }

    var kind: Kind
    var offset: Int
}

/// Splits a selector into tokens the way Calico's tokenizer does: only space and tab separate tokens, an
/// operator word (`in`, `not in`/`notin`, `contains`, `starts with`, `ends with`) is recognised only right
/// after a label and must end at a word boundary, `has(`, `all(` and `global(` are recognised only where a
/// label could start, and strings have no escapes.
struct SelectorTokenizer {
    static let maxLabelLength = 512

    private let bytes: [UInt8]
    private var position = 0
    private var tokens: [SelectorToken] = []

    static func tokenize(_ bytes: [UInt8]) -> [SelectorToken] {
        var tokenizer = SelectorTokenizer(bytes: bytes)
        tokenizer.run()
        return tokenizer.tokens
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
        tokens.reserveCapacity(bytes.count / 3 + 2)
    }

    private mutating func run() {
        while true {
            skipWhitespace()
            let start = position
            guard position < bytes.count else {
                tokens.append(SelectorToken(kind: .end, offset: start))
                return
            }
            let kind = nextKind()
            tokens.append(SelectorToken(kind: kind.kind, offset: kind.offset ?? start))
            if case .invalid = kind.kind { return }
        }
    }

    /// Reads one token at `position` (not whitespace, not the end); `offset` overrides the token's start for
    /// errors found inside it.
    private mutating func nextKind() -> (kind: SelectorToken.Kind, offset: Int?) {
        let byte = bytes[position]
        switch byte {
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "{"): return single(.leftBrace)
        case UInt8(ascii: "}"): return single(.rightBrace)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            guard let close = bytes[(position + 1)...].firstIndex(of: byte) else {
                let quote = Character(Unicode.Scalar(byte))
                return (
                    .invalid(reason: "unterminated string: no closing \(quote) before the end of the selector"), nil
                )
            }
            let value = String(decoding: bytes[(position + 1)..<close], as: UTF8.self)
            position = close + 1
            return (.string(value), nil)
        case UInt8(ascii: "="):
            return pair(UInt8(ascii: "="), .equal, otherwise: "expected \"==\" but found a single \"=\"")
        case UInt8(ascii: "&"):
            return pair(UInt8(ascii: "&"), .and, otherwise: "expected \"&&\" but found a single \"&\"")
        case UInt8(ascii: "|"):
            return pair(UInt8(ascii: "|"), .or, otherwise: "expected \"||\" but found a single \"|\"")
        case UInt8(ascii: "!"):
            if position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "=") {
                position += 2
                return (.notEqual, nil)
            }
            return single(.not)
        default:
            if case .label(let label) = tokens.last?.kind {
                return operatorAfterLabel(label)
            }
            if cut("has(") { return hasCall() }
            if cut("all(") { return emptyCall("all", .all) }
            if cut("global(") { return emptyCall("global", .global) }
            switch cutLabel() {
            case .success(let label): return (.label(label), nil)
            case .failure(let error): return (.invalid(reason: error.reason), error.offset)
            }
        }
    }

    private mutating func single(_ kind: SelectorToken.Kind) -> (kind: SelectorToken.Kind, offset: Int?) {
        position += 1
        return (kind, nil)
    }

    private mutating func pair(
        _ second: UInt8, _ kind: SelectorToken.Kind, otherwise reason: String
    ) -> (kind: SelectorToken.Kind, offset: Int?) {
        guard position + 1 < bytes.count, bytes[position + 1] == second else { return (.invalid(reason: reason), nil) }
        position += 2
        return (kind, nil)
    }

    private mutating func operatorAfterLabel(_ label: String) -> (kind: SelectorToken.Kind, offset: Int?) {
        if cutWords(["contains"]) { return (.contains, nil) }
        if cutWords(["starts", "with"]) { return (.startsWith, nil) }
        if cutWords(["ends", "with"]) { return (.endsWith, nil) }
        if cutWords(["not", "in"]) { return (.notIn, nil) }
        if cutWords(["in"]) { return (.in, nil) }
        let expected = SelectorTokenizer.expectedOperator(after: label)
        return (.invalid(reason: "expected \(expected) but found \(describeInput(at: position))"), nil)
    }

    /// `has(` has been read: a label between optional whitespace, then `)`.
    private mutating func hasCall() -> (kind: SelectorToken.Kind, offset: Int?) {
        skipWhitespace()
        guard position < bytes.count, bytes[position].isSelectorLabelByte else {
            return (
                .invalid(reason: "expected a label after \"has(\" but found \(describeInput(at: position))"), position
            )
        }
        let label: String
        switch cutLabel() {
        case .success(let value): label = value
        case .failure(let error): return (.invalid(reason: error.reason), error.offset)
        }
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else {
            return (
                .invalid(reason: "expected \")\" to close \"has(\" but found \(describeInput(at: position))"), position
            )
        }
        position += 1
        return (.has(label), nil)
    }

    /// `all(` or `global(` has been read: optional whitespace, then `)`.
    private mutating func emptyCall(_ name: String, _ kind: SelectorToken.Kind) -> (
        kind: SelectorToken.Kind, offset: Int?
    ) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ")") else {
            return (
                .invalid(reason: "expected \")\" after \"\(name)(\" but found \(describeInput(at: position))"), position
            )
        }
        position += 1
        return (kind, nil)
    }

    /// What may follow a label, for error messages from both the tokenizer and the parser.
    static func expectedOperator(after label: String) -> String {
        "an operator (==, !=, in, not in, contains, starts with, ends with) after label \"\(label)\""
    }

    private struct LabelError: Error {
        var reason: String
        var offset: Int
    }

    private mutating func cutLabel() -> Result<String, LabelError> {
        let start = position
        while position < bytes.count, bytes[position].isSelectorLabelByte { position += 1 }
        let length = position - start
        if length == 0 {
            return .failure(LabelError(reason: "unexpected character \(describeCharacter(at: start))", offset: start))
        }
        if length > Self.maxLabelLength {
            return .failure(
                LabelError(
                    reason: "label is \(length) characters long; the limit is \(Self.maxLabelLength)", offset: start))
        }
        return .success(String(decoding: bytes[start..<position], as: UTF8.self))
    }

    /// Consumes the words, with optional whitespace between them (`not in` and `notin` are both accepted),
    /// when the last one ends at a word boundary.
    private mutating func cutWords(_ words: [StaticString]) -> Bool {
        var index = position
        for (number, word) in words.enumerated() {
            if number > 0 {
                while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            }
            let length = word.utf8CodeUnitCount
            guard index + length <= bytes.count else { return false }
            let matches = word.withUTF8Buffer { wordBytes in
                wordBytes.elementsEqual(bytes[index..<(index + length)])
            }
            guard matches else { return false }
            index += length
        }
        if index < bytes.count, bytes[index].isSelectorLabelByte { return false }
        position = index
        return true
    }

    /// Consumes `prefix` when the input continues with it.
    private mutating func cut(_ prefix: StaticString) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard position + length <= bytes.count else { return false }
        let matches = prefix.withUTF8Buffer { prefixBytes in
            prefixBytes.elementsEqual(bytes[position..<(position + length)])
        }
        if matches { position += length }
        return matches
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
    }

    /// What the input holds at `offset`, for "but found ..." in an error: a word of label characters, a single
    /// character, or the end.
    private func describeInput(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        if bytes[offset].isSelectorLabelByte {
            var end = offset
            while end < bytes.count, bytes[end].isSelectorLabelByte, end - offset < 40 { end += 1 }
            return "\"\(String(decoding: bytes[offset..<end], as: UTF8.self))\""
        }
        return describeCharacter(at: offset)
    }

    private func describeCharacter(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let byte = bytes[offset]
        if byte < 0x80 {
            let note =
                byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                ? " (only spaces and tabs may separate tokens)" : ""
            return Self.quoted(byte) + note
        }
        // A multi-byte character: show the whole scalar.
        var end = offset + 1
        while end < bytes.count, bytes[end] & 0xc0 == 0x80 { end += 1 }
        return "\"\(String(decoding: bytes[offset..<end], as: UTF8.self))\""
    }

    private static let escapes: [UInt8: String] = [
        UInt8(ascii: "\n"): "\\n", UInt8(ascii: "\r"): "\\r", UInt8(ascii: "\t"): "\\t",
    ]

    /// One ASCII byte of the input for a message: printable as itself, a few escaped, the rest by number.
    private static func quoted(_ byte: UInt8) -> String {
        if (0x20...0x7e).contains(byte) { return "\"\(Character(Unicode.Scalar(byte)))\"" }
        if let escape = escapes[byte] { return "\"\(escape)\"" }
        return "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }
}

extension UInt8 {
    /// `[A-Za-z0-9_./-]`, the characters of a selector label.
    var isSelectorLabelByte: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"),
            UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
