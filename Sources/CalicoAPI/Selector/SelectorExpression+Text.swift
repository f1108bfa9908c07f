extension SelectorExpression {
    /// Calico's string form of this tree: `&&` and `||` groups in parentheses, values in double quotes (single
    /// quotes when the value contains `"`), `!` written directly before its operand, set values in the order
    /// stored. For a `normalized` expression this is the canonical form, which parses back to the same tree.
    ///
    /// The selector language has no escapes, so a value holding both quote characters, or a label key outside
    /// `[A-Za-z0-9_./-]`, can be built in a tree but has no text that parses back.
    public var text: String {
        var output = ""
        append(to: &output)
        return output
    }

    private func append(to output: inout String) {
        switch self {
        case .all:
            output += "all()"
        case .global:
            output += "global()"
        case .has(let key):
            output += "has("
            output += key
            output += ")"
        case .equal(let key, let value):
            appendComparison(key, " == ", value, to: &output)
        case .notEqual(let key, let value):
            appendComparison(key, " != ", value, to: &output)
        case .contains(let key, let value):
            appendComparison(key, " contains ", value, to: &output)
        case .startsWith(let key, let value):
            appendComparison(key, " starts with ", value, to: &output)
        case .endsWith(let key, let value):
            appendComparison(key, " ends with ", value, to: &output)
        case .in(let key, let values):
            appendSet(key, " in {", values, to: &output)
        case .notIn(let key, let values):
            appendSet(key, " not in {", values, to: &output)
        case .not(let operand):
            output += "!"
            operand.append(to: &output)
        case .and(let operands):
            appendGroup(operands, separator: " && ", to: &output)
        case .or(let operands):
            appendGroup(operands, separator: " || ", to: &output)
        }
    }

    private func appendComparison(_ key: String, _ op: String, _ value: String, to output: inout String) {
        output += key
        output += op
        appendQuoted(value, to: &output)
    }

    private func appendSet(_ key: String, _ opening: String, _ values: [String], to output: inout String) {
        output += key
        output += opening
        for (index, value) in values.enumerated() {
            if index > 0 { output += ", " }
            appendQuoted(value, to: &output)
        }
        output += "}"
    }

    private func appendGroup(_ operands: [SelectorExpression], separator: String, to output: inout String) {
        output += "("
        for (index, operand) in operands.enumerated() {
            if index > 0 { output += separator }
            operand.append(to: &output)
        }
        output += ")"
    }

    private func appendQuoted(_ value: String, to output: inout String) {
        output += Self.quoted(value)
    }

    /// A value in double quotes, or in single quotes when it contains a double quote.
    static func quoted(_ value: String) -> String {
        let quote = value.utf8.contains(UInt8(ascii: "\"")) ? "'" : "\""
        return quote + value + quote
    }
}
