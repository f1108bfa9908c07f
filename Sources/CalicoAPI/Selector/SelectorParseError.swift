/// Why a selector does not parse, and where.
public struct SelectorParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The selector as given.
    public var selector: String
    /// The 1-based column, in Unicode scalars, of the offending character; one past the last character when
    /// the selector ended too early.
    public var column: Int
    /// What is wrong, phrased for the person who wrote the selector.
    public var reason: String

    public init(selector: String, column: Int, reason: String) {
        self.selector = selector
        self.column = column
        self.reason = reason
    }

    /// One line: `selector "a == 'x' &&": column 12: expected a label, ... but found end of input`.
    public var description: String {
        "selector \"\(selector)\": column \(column): \(reason)"
    }

    /// The selector and a caret under the offending column, for terminals and logs that keep line breaks:
    ///
    ///     a == 'x' &&
    ///                ^
    public var caretDiagram: String {
        // Tabs are kept so that the caret line lines up the same way the selector line does.
        let prefix = selector.unicodeScalars.prefix(column - 1).map { $0 == "\t" ? "\t" : " " }.joined()
        return selector + "\n" + prefix + "^"
    }
}
