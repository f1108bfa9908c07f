/// A recursive-descent parser for Calico's selector grammar (calico-reference.md section 2):
///
///     expr    := and ( "||" and )*
///     and     := unary ( "&&" unary )*
///     unary   := "!"* primary                 (an even number of "!" cancels out)
///     primary := all() | global() | has(LABEL) | "(" expr ")" | LABEL op STRING | LABEL [not] in { STRINGS }
///
/// Like Calico, a parenthesised group becomes the operand itself (no extra node), `&&`/`||` chains become
/// one n-ary node, and set values are sorted and de-duplicated.
struct SelectorParser {
    /// Parentheses nested deeper than this are rejected so that hostile input cannot exhaust the stack.
    static let maxNesting = 200

    private let bytes: [UInt8]
    private let text: String
    private let tokens: [SelectorToken]
    private var index = 0

    static func parse(_ text: String) throws(SelectorParseError) -> SelectorExpression {
        var parser = SelectorParser(text: text)
        return try parser.parseSelector()
    }

    private init(text: String) {
        self.text = text
        bytes = Array(text.utf8)
        tokens = SelectorTokenizer.tokenize(bytes)
    }

    private var current: SelectorToken { tokens[index] }

    private mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    private mutating func parseSelector() throws(SelectorParseError) -> SelectorExpression {
        if current.kind == .end { return .all }
        let expression = try parseOr(depth: 0)
        guard current.kind == .end else {
            throw error(expected: "\"&&\", \"||\" or the end of the selector")
        }
        return expression
    }

    private mutating func parseOr(depth: Int) throws(SelectorParseError) -> SelectorExpression {
        var operands = [try parseAnd(depth: depth)]
        while current.kind == .or {
            advance()
            operands.append(try parseAnd(depth: depth))
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    private mutating func parseAnd(depth: Int) throws(SelectorParseError) -> SelectorExpression {
        var operands = [try parseUnary(depth: depth)]
        while current.kind == .and {
            advance()
            operands.append(try parseUnary(depth: depth))
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    private mutating func parseUnary(depth: Int) throws(SelectorParseError) -> SelectorExpression {
        var negated = false
        while current.kind == .not {
            negated.toggle()
            advance()
        }
        let operand = try parsePrimary(depth: depth)
        return negated ? .not(operand) : operand
    }

    private mutating func parsePrimary(depth: Int) throws(SelectorParseError) -> SelectorExpression {
        switch current.kind {
        case .all:
            advance()
            return .all
        case .global:
            advance()
            return .global
        case .has(let key):
            advance()
            return .has(key: key)
        case .leftParen:
            let open = current.offset
            guard depth < Self.maxNesting else {
                throw error(at: open, "parentheses are nested more than \(Self.maxNesting) deep")
            }
            advance()
            let inner = try parseOr(depth: depth + 1)
            guard current.kind == .rightParen else {
                throw error(expected: "\")\" to close the \"(\" at column \(column(of: open))")
            }
            advance()
            return inner
        case .label(let key):
            advance()
            return try parseComparison(key: key)
        default:
            throw error(expected: "a label, has(...), all(), global(), \"!\" or \"(\"")
        }
    }

    /// After a label: an operator and its operand.
    private mutating func parseComparison(key: String) throws(SelectorParseError) -> SelectorExpression {
        let operation = current.kind
        switch operation {
        case .equal, .notEqual, .contains, .startsWith, .endsWith:
            advance()
            guard case .string(let value) = current.kind else {
                throw error(expected: "a quoted string after \(Self.describe(operation))")
            }
            advance()
            switch operation {
            case .equal: return .equal(key: key, value: value)
            case .notEqual: return .notEqual(key: key, value: value)
            case .contains: return .contains(key: key, value: value)
            case .startsWith: return .startsWith(key: key, value: value)
            default: return .endsWith(key: key, value: value)
            }
        case .in, .notIn:
            advance()
            guard current.kind == .leftBrace else {
                throw error(expected: "\"{\" after \(Self.describe(operation))")
            }
            advance()
            let values = try parseSetValues()
            let set = SelectorExpression.canonicalSet(values)
            return operation == .in ? .in(key: key, values: set) : .notIn(key: key, values: set)
        default:
            throw error(expected: SelectorTokenizer.expectedOperator(after: key))
        }
    }

    /// After `{`: strings separated by commas (a trailing comma is allowed, as in Calico), then `}`.
    private mutating func parseSetValues() throws(SelectorParseError) -> [String] {
        var values: [String] = []
        while case .string(let value) = current.kind {
            values.append(value)
            advance()
            guard current.kind == .comma else {
                guard current.kind == .rightBrace else { throw error(expected: "\",\" or \"}\"") }
                break
            }
            advance()
        }
        guard current.kind == .rightBrace else { throw error(expected: "a quoted string or \"}\"") }
        advance()
        return values
    }

    /// "expected X but found <current token>", or the tokenizer's own error when that is what stopped us.
    private func error(expected: String) -> SelectorParseError {
        if case .invalid(let reason) = current.kind {
            return error(at: current.offset, reason)
        }
        return error(at: current.offset, "expected \(expected) but found \(Self.describe(current.kind))")
    }

    private func error(at offset: Int, _ reason: String) -> SelectorParseError {
        SelectorParseError(selector: text, column: column(of: offset), reason: reason)
    }

    /// 1-based column, in Unicode scalars, of a byte offset.
    private func column(of offset: Int) -> Int {
        String(decoding: bytes[..<min(offset, bytes.count)], as: UTF8.self).unicodeScalars.count + 1
    }

    static func describe(_ kind: SelectorToken.Kind) -> String {
        switch kind {
        case .label(let label): "label \"\(label)\""
        case .string(let value): "string " + SelectorExpression.quoted(value)
        case .has(let key): "has(\(key))"
        case .all: "all()"
        case .global: "global()"
        case .equal: "\"==\""
        case .notEqual: "\"!=\""
        case .in: "\"in\""
        case .notIn: "\"not in\""
        case .contains: "\"contains\""
        case .startsWith: "\"starts with\""
        case .endsWith: "\"ends with\""
        case .not: "\"!\""
        case .and: "\"&&\""
        case .or: "\"||\""
        case .leftParen: "\"(\""
        case .rightParen: "\")\""
        case .leftBrace: "\"{\""
        case .rightBrace: "\"}\""
        case .comma: "\",\""
        case .end: "end of input"
        case .invalid(let reason): reason
        }
    }
}
