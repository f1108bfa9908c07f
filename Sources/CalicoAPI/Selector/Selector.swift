/// A parsed and compiled Calico label selector, such as `app == "web" && !has(canary)`.
///
/// Parse once, evaluate many times: `matches(_:)` runs a compiled program (see `SelectorProgram`) and does
/// not allocate. Two selectors are equal, and hash alike, when their canonical forms are equal, so
/// `app == 'web'` equals `app == "web"`. Coding uses the text as written (`source`), so a resource written
/// back keeps the user's spelling; decoding a bad selector throws `DecodingError.dataCorrupted` whose
/// description carries the column and the reason.
public struct Selector: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The selector text as written; for a selector built from an expression, its canonical form.
    public let source: String
    private let compiled: Compiled

    /// Parses a selector. Empty or whitespace-only text selects everything, like `all()`.
    public init(parsing text: String) throws(SelectorParseError) {
        // The parser keeps `!(!x)` as two negations; normalizing drops them so the canonical form is a fixed
        // point (Calico would print `!!x` here, which then parses as `x`).
        self.init(source: text, expression: try SelectorParser.parse(text).normalized)
    }

    /// A selector from a syntax tree, which is stored `normalized`.
    public init(_ expression: SelectorExpression) {
        let normalized = expression.normalized
        self.init(source: normalized.text, expression: normalized)
    }

    private init(source: String, expression: SelectorExpression) {
        self.source = source
        compiled = Compiled(expression)
    }

    /// `all()`: matches every label map.
    public static let all = Selector(.all)

    /// The syntax tree (normalized). Setting it re-renders the canonical form and recompiles; `source` becomes
    /// the new canonical form.
    public var expression: SelectorExpression {
        get { compiled.expression }
        set { self = Selector(newValue) }
    }

    /// Calico's canonical form: `&&`/`||` groups in parentheses, double quotes unless the value contains `"`,
    /// set values sorted. Calico hashes this string for selector IDs.
    public var canonical: String { compiled.canonical }

    /// The canonical form.
    public var description: String { compiled.canonical }

    /// Calico's ID for this selector, `"s:" + base64url(SHA-224("s:" + canonical))`, which names its IP sets.
    public var uniqueID: String { "s:" + base64URLEncoded(SHA256.sha224(("s:" + canonical).utf8)) }

    /// Evaluates the selector against a label map.
    public func matches(_ labels: Labels) -> Bool {
        compiled.program.evaluate(labels)
    }

    /// Evaluates the selector against any label source (for example an endpoint's labels layered over its
    /// profiles' labels).
    public func matches(_ labels: some LabelLookup) -> Bool {
        compiled.program.evaluate(labels)
    }

    /// Every label key the selector reads, for indexes from label keys to the selectors that read them.
    public var referencedLabelKeys: Set<String> { compiled.expression.labelKeys }

    public static func == (lhs: Selector, rhs: Selector) -> Bool {
        lhs.compiled === rhs.compiled || lhs.compiled.canonical == rhs.compiled.canonical
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(compiled.canonical)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(source)
    }

    /// Everything derived from the expression, shared between copies so that a copy costs one reference.
    private final class Compiled: Sendable {
        let expression: SelectorExpression
        let canonical: String
        let program: SelectorProgram

        init(_ expression: SelectorExpression) {
            self.expression = expression
            canonical = expression.text
            program = SelectorProgram(expression)
        }
    }
}
