import CalicoAPI
import Testing

/// One row of an evaluation table.
struct SelectorMatchCase: Sendable, CustomTestStringConvertible {
    var selector: String
    var labels: [String: String]
    var expected: Bool

    init(_ selector: String, _ labels: [String: String], _ expected: Bool) {
        self.selector = selector
        self.labels = labels
        self.expected = expected
    }

    var testDescription: String { "\(selector) on \(labels.sorted { $0.key < $1.key }) -> \(expected)" }
}

/// Expands a selector and lists of matching and non-matching label maps into rows.
private func rows(_ selector: String, match: [[String: String]], noMatch: [[String: String]]) -> [SelectorMatchCase] {
    match.map { SelectorMatchCase(selector, $0, true) } + noMatch.map { SelectorMatchCase(selector, $0, false) }
}

@Suite("Selector evaluation")
struct SelectorEvaluationTests {
    static let comparisons: [SelectorMatchCase] =
        rows(
            #"a == "b""#, match: [["a": "b"], ["a": "b", "c": "d"]],
            noMatch: [[:], ["a": "c"], ["c": "d"], ["a": ""], ["a": "bb"], ["A": "b"], ["a": "B"]])
        + rows(#"a == """#, match: [["a": ""]], noMatch: [[:], ["a": "x"]])
        + rows(
            #"a != "b""#, match: [[:], ["a": "c"], ["c": "b"], ["a": ""], ["a": "bb"]],
            noMatch: [["a": "b"], ["a": "b", "c": "d"]])
        + rows(#"a != """#, match: [[:], ["a": "x"]], noMatch: [["a": ""]])
        + rows(
            #"a in {"x", "y"}"#, match: [["a": "x"], ["a": "y"], ["a": "y", "b": "z"]],
            noMatch: [[:], ["a": "z"], ["a": ""], ["b": "x"], ["a": "xy"]])
        + rows(#"a in {}"#, match: [], noMatch: [[:], ["a": ""], ["a": "x"]])
        + rows(#"a not in {}"#, match: [[:], ["a": ""], ["a": "x"]], noMatch: [])
        + rows(#"a in {""}"#, match: [["a": ""]], noMatch: [[:], ["a": " "]])
        + rows(
            #"a not in {"x", "y"}"#, match: [[:], ["a": "z"], ["a": ""], ["b": "x"]], noMatch: [["a": "x"], ["a": "y"]])
        + rows(#"a notin {"x"}"#, match: [[:], ["a": "z"]], noMatch: [["a": "x"]])
        + rows(#"a in {"'", '"', "c"}"#, match: [["a": "c"], ["a": "\""], ["a": "'"]], noMatch: [[:], ["a": "e"]])
        + rows(#"a not in {"'", '"', "c"}"#, match: [[:], ["a": "e"]], noMatch: [["a": "c"], ["a": "\""], ["a": "'"]])
        + rows(
            #"a in {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "b", "c", "d"}"#,
            match: [["a": "a1"], ["a": "a5"], ["a": "a9"], ["a": "d"], ["a": "b"]],
            noMatch: [["a": "a"], ["a": "a0"], ["a": "a10"], ["a": "e"], ["a": ""], [:]])
        + rows(
            #"a contains "a""#, match: [["a": "a"], ["a": "bab"], ["a": "aaa", "b": "c"], ["a": "xyza"]],
            noMatch: [[:], ["a": "b"], ["b": "aaa"], ["a": ""], ["a": "A"]])
        + rows(
            #"a contains "bc""#, match: [["a": "abcd"], ["a": "bc"], ["a": "bbc"]],
            noMatch: [["a": "b c"], ["a": "cb"], ["a": "b"]])
        + rows(#"a contains """#, match: [["a": ""], ["a": "x"]], noMatch: [[:]])
        + rows(
            #"a starts with "a""#, match: [["a": "a"], ["a": "abb"], ["a": "aaa", "b": "c"]],
            noMatch: [[:], ["a": "b"], ["a": "baa"], ["b": "aaa"], ["a": ""]])
        + rows(
            #"a starts with "web-""#, match: [["a": "web-1"], ["a": "web-"]], noMatch: [["a": "web"], ["a": "xweb-1"]])
        + rows(#"a starts with """#, match: [["a": ""], ["a": "x"]], noMatch: [[:]])
        + rows(
            #"a ends with "a""#, match: [["a": "a"], ["a": "bba"], ["a": "aaa", "b": "c"]],
            noMatch: [[:], ["a": "b"], ["a": "aab"], ["b": "aaa"], ["a": ""]])
        + rows(
            #"a ends with "-prod""#, match: [["a": "db-prod"], ["a": "-prod"]],
            noMatch: [["a": "prod"], ["a": "db-prod-1"]])
        + rows(#"a ends with """#, match: [["a": ""], ["a": "x"]], noMatch: [[:]])
        + rows(
            #"has(a)"#, match: [["a": "b"], ["a": ""], ["a": "x", "b": "y"]], noMatch: [[:], ["b": "a"], ["A": "x"]])
        + rows(#"!has(a)"#, match: [[:], ["b": "b"]], noMatch: [["a": "b"], ["a": ""]])
        + rows(#"all()"#, match: [[:], ["a": "b"]], noMatch: [])
        + rows(#"global()"#, match: [[:], ["a": "b"]], noMatch: [])
        + rows(#"!all()"#, match: [], noMatch: [[:], ["a": "b"]])
        + rows(#"!global()"#, match: [], noMatch: [[:], ["a": "b"]])
        + rows(#""#, match: [[:], ["a": "b"]], noMatch: [])
        + rows(" ", match: [[:]], noMatch: [])
        + rows("\t \t", match: [[:]], noMatch: [])

    static let absentLabels: [SelectorMatchCase] = [
        // Only != and not in hold for an absent label; negating the others makes them hold too.
        SelectorMatchCase(#"x == "v""#, [:], false),
        SelectorMatchCase(#"x != "v""#, [:], true),
        SelectorMatchCase(#"x in {"v"}"#, [:], false),
        SelectorMatchCase(#"x not in {"v"}"#, [:], true),
        SelectorMatchCase(#"x contains "v""#, [:], false),
        SelectorMatchCase(#"x starts with "v""#, [:], false),
        SelectorMatchCase(#"x ends with "v""#, [:], false),
        SelectorMatchCase(#"has(x)"#, [:], false),
        SelectorMatchCase(#"!x == "v""#, [:], true),
        SelectorMatchCase(#"!x != "v""#, [:], false),
        SelectorMatchCase(#"!x in {"v"}"#, [:], true),
        SelectorMatchCase(#"!x not in {"v"}"#, [:], false),
        SelectorMatchCase(#"!x contains "v""#, [:], true),
        SelectorMatchCase(#"!x starts with "v""#, [:], true),
        SelectorMatchCase(#"!x ends with "v""#, [:], true),
        SelectorMatchCase(#"x != "v" && !has(x)"#, ["y": "v"], true),
        SelectorMatchCase(#"x == "" "#, ["x": ""], true),
        SelectorMatchCase(#"x == "" "#, [:], false),
        SelectorMatchCase(#"x != "" "#, [:], true),
        SelectorMatchCase(#"x != "" "#, ["x": ""], false),
    ]

    static let booleans: [SelectorMatchCase] =
        rows(
            #"a == "b" && c == "d""#, match: [["a": "b", "c": "d"]],
            noMatch: [[:], ["a": "b", "c": "e"], ["a": "c", "c": "d"], ["c": "d"], ["a": "b"]])
        + rows(
            #"a == "b" || c == "d""#, match: [["a": "b", "c": "d"], ["a": "b"], ["c": "d"]],
            noMatch: [[:], ["a": "e", "c": "e"], ["c": "e"], ["a": "e"]])
        + [
            SelectorMatchCase(#"a == 'a1' && b == 'b1'"#, ["a": "a1", "b": "b1"], true),
            SelectorMatchCase(#"a == 'a1' && b != 'b1'"#, ["a": "a1", "b": "b1"], false),
            SelectorMatchCase(#"a != 'a1' && b == 'b1'"#, ["a": "a1", "b": "b1"], false),
            SelectorMatchCase(#"a != 'a1' && b != 'b1'"#, ["a": "a1", "b": "b1"], false),
            SelectorMatchCase(#"a != 'a1' && !b == 'b1'"#, ["a": "a1", "b": "b1"], false),
            SelectorMatchCase(#"!a == 'a1' && b == 'b1'"#, ["a": "a1", "b": "b1"], false),
            SelectorMatchCase(#"has(a) && !has(b)"#, ["a": "a"], true),
            SelectorMatchCase(#"!has(b) && has(a)"#, ["a": "a"], true),
            SelectorMatchCase(#"!(!has(a) || has(b))"#, ["a": "a"], true),
            SelectorMatchCase(#"!(has(b) || !has(a))"#, ["a": "a"], true),
            SelectorMatchCase(#"!(has(b) || !has(a))"#, ["a": "a", "b": "b"], false),
            SelectorMatchCase(#"a == 'a1' || b == 'b1'"#, ["a": "a1", "b": "b1"], true),
            SelectorMatchCase(#"a == 'a1' || b != 'b1'"#, ["a": "a1", "b": "b1"], true),
            SelectorMatchCase(#"a != 'a1' || b == 'b1'"#, ["a": "a1", "b": "b1"], true),
            SelectorMatchCase(#"a != 'a1' || b != 'b1'"#, ["a": "a1", "b": "b1"], false),
            SelectorMatchCase(#"! a == 'a1' || ! b == 'b1'"#, ["a": "a1", "b": "b1"], false),
            SelectorMatchCase(#"has(a) && has(b) && has(c)"#, ["a": "", "b": "", "c": ""], true),
            SelectorMatchCase(#"has(a) && has(b) && has(c)"#, ["a": "", "b": ""], false),
            SelectorMatchCase(#"has(a) && has(b) && has(c)"#, ["b": "", "c": ""], false),
            SelectorMatchCase(#"has(a) || has(b) || has(c)"#, ["c": ""], true),
            SelectorMatchCase(#"has(a) || has(b) || has(c)"#, ["d": ""], false),
            SelectorMatchCase(#"!(has(a) && has(b))"#, ["a": ""], true),
            SelectorMatchCase(#"!(has(a) && has(b))"#, ["a": "", "b": ""], false),
            SelectorMatchCase(#"!(has(a) || has(b))"#, [:], true),
            SelectorMatchCase(#"!(has(a) || has(b))"#, ["b": ""], false),
            SelectorMatchCase(#"all() && !all()"#, [:], false),
            SelectorMatchCase(#"all() || !all()"#, [:], true),
            SelectorMatchCase(#"!all() || has(a)"#, ["a": ""], true),
            SelectorMatchCase(#"global() && has(a)"#, ["a": ""], true),
            SelectorMatchCase(#"global() && has(a)"#, [:], false),
        ]

    /// `||` binds loosest, then `&&`, then `!`.
    static let precedence: [SelectorMatchCase] = [
        // a || b && c is a || (b && c).
        SelectorMatchCase(#"has(a) || has(b) && has(c)"#, ["a": ""], true),
        SelectorMatchCase(#"has(a) || has(b) && has(c)"#, ["b": ""], false),
        SelectorMatchCase(#"has(a) || has(b) && has(c)"#, ["b": "", "c": ""], true),
        SelectorMatchCase(#"has(a) || has(b) && has(c)"#, ["c": ""], false),
        SelectorMatchCase(#"(has(a) || has(b)) && has(c)"#, ["a": ""], false),
        SelectorMatchCase(#"(has(a) || has(b)) && has(c)"#, ["a": "", "c": ""], true),
        // a && b || c is (a && b) || c.
        SelectorMatchCase(#"has(a) && has(b) || has(c)"#, ["c": ""], true),
        SelectorMatchCase(#"has(a) && has(b) || has(c)"#, ["a": ""], false),
        SelectorMatchCase(#"has(a) && (has(b) || has(c))"#, ["c": ""], false),
        SelectorMatchCase(#"has(a) && (has(b) || has(c))"#, ["a": "", "c": ""], true),
        // ! applies to the primary only.
        SelectorMatchCase(#"!has(a) && has(b)"#, ["b": ""], true),
        SelectorMatchCase(#"!has(a) && has(b)"#, [:], false),
        SelectorMatchCase(#"!(has(a) && has(b))"#, [:], true),
        SelectorMatchCase(#"!has(a) || has(b)"#, ["a": ""], false),
        SelectorMatchCase(#"!(has(a) || has(b))"#, ["a": ""], false),
        SelectorMatchCase(#"!a == "x" && b == "y""#, ["a": "z", "b": "y"], true),
        SelectorMatchCase(#"!a == "x" && b == "y""#, ["a": "x", "b": "y"], false),
        SelectorMatchCase(#"has(a) || has(b) && has(c) || has(d)"#, ["d": ""], true),
        SelectorMatchCase(#"has(a) || has(b) && has(c) || has(d)"#, ["b": ""], false),
        SelectorMatchCase(#"has(a) && has(b) || has(c) && has(d)"#, ["a": "", "d": ""], false),
        SelectorMatchCase(#"has(a) && has(b) || has(c) && has(d)"#, ["c": "", "d": ""], true),
        SelectorMatchCase(#"((has(a)))"#, ["a": ""], true),
        SelectorMatchCase(#"(((has(a) || has(b)) && has(c)) || has(d))"#, ["b": "", "c": ""], true),
        SelectorMatchCase(#"(((has(a) || has(b)) && has(c)) || has(d))"#, ["b": ""], false),
    ]

    /// Repeated `!` collapse: an even number cancels out.
    static let negation: [SelectorMatchCase] = [
        SelectorMatchCase(#"!!has(b)"#, ["a": "b"], false),
        SelectorMatchCase(#"!!has(a)"#, ["a": "b"], true),
        SelectorMatchCase(#"! has(a)"#, ["a": "b"], false),
        SelectorMatchCase(#"!!! has(a)"#, ["a": "b"], false),
        SelectorMatchCase(#"!!!has(a)"#, ["a": "b"], false),
        SelectorMatchCase(#"!! ! has(a)"#, ["a": "b"], false),
        SelectorMatchCase(#"! !!has(a)"#, ["a": "b"], false),
        SelectorMatchCase(#"!!!!has(a)"#, ["a": "b"], true),
        SelectorMatchCase(#"!(!has(a))"#, ["a": "b"], true),
        SelectorMatchCase(#"!(!(!has(a)))"#, ["a": "b"], false),
        SelectorMatchCase(#"!!a == "b""#, ["a": "b"], true),
        SelectorMatchCase(#"!!a != "b""#, [:], true),
        SelectorMatchCase(#"!(a in {"b"})"#, [:], true),
        SelectorMatchCase(#"!!(a in {"b"})"#, [:], false),
        SelectorMatchCase(#"!!all()"#, [:], true),
        SelectorMatchCase(#"!!!all()"#, [:], false),
        SelectorMatchCase(#"!(!has(a) && !has(b))"#, ["b": ""], true),
        SelectorMatchCase(#"!(!has(a) && !has(b))"#, [:], false),
    ]

    /// Only space and tab separate tokens, and they are optional around punctuation.
    static let whitespace: [SelectorMatchCase] = [
        SelectorMatchCase(#"a=="b""#, ["a": "b"], true),
        SelectorMatchCase(#"a!="b""#, ["a": "b"], false),
        SelectorMatchCase("a\t==\t\"b\"", ["a": "b"], true),
        SelectorMatchCase("  a  ==  \"b\"  ", ["a": "b"], true),
        SelectorMatchCase(#"has(a)&&has(b)"#, ["a": "", "b": ""], true),
        SelectorMatchCase(#"has(a)||has(b)"#, ["b": ""], true),
        SelectorMatchCase(#"has( a )"#, ["a": ""], true),
        SelectorMatchCase("has(\ta\t)", ["a": ""], true),
        SelectorMatchCase(#"all( )"#, [:], true),
        SelectorMatchCase(#"global(  )"#, [:], true),
        SelectorMatchCase(#"a in{"b","c"}"#, ["a": "c"], true),
        SelectorMatchCase(#"a in {"b" , "c" ,}"#, ["a": "c"], true),  // a trailing comma is allowed
        SelectorMatchCase(#"a not    in {"b"}"#, ["a": "c"], true),
        SelectorMatchCase("a not\tin {\"b\"}", ["a": "b"], false),
        SelectorMatchCase(#"a starts   with "x""#, ["a": "xy"], true),
        SelectorMatchCase(#"a startswith "x""#, ["a": "xy"], true),
        SelectorMatchCase(#"a endswith "y""#, ["a": "xy"], true),
        SelectorMatchCase(#"a ends  with"y""#, ["a": "xy"], true),
        SelectorMatchCase(#"a contains"y""#, ["a": "xy"], true),
        SelectorMatchCase(#"(has(a))&&(has(b))"#, ["a": "", "b": ""], true),
        SelectorMatchCase(#"!has(a)"#, [:], true),
        SelectorMatchCase(#"!  has(a)"#, [:], true),
        SelectorMatchCase(#"a ==  " b ""#, ["a": " b "], true),
        SelectorMatchCase(#"a == " b ""#, ["a": "b"], false),
    ]

    /// Either quote character delimits a string; there are no escapes, so the other quote is literal inside.
    static let quotes: [SelectorMatchCase] = [
        SelectorMatchCase(#"a == 'b'"#, ["a": "b"], true),
        SelectorMatchCase(#"a == "b""#, ["a": "b"], true),
        SelectorMatchCase(#"a == '"'"#, ["a": "\""], true),
        SelectorMatchCase(#"a == "'""#, ["a": "'"], true),
        SelectorMatchCase(#"a == 'say "hi"'"#, ["a": "say \"hi\""], true),
        SelectorMatchCase(#"a == "it's""#, ["a": "it's"], true),
        SelectorMatchCase(#"a == "b\""#, ["a": "b\\"], true),  // a backslash is an ordinary character
        SelectorMatchCase(#"a == 'x && y'"#, ["a": "x && y"], true),
        SelectorMatchCase(#"a == "has(b)""#, ["a": "has(b)"], true),
        SelectorMatchCase(#"a == "日本""#, ["a": "日本"], true),
        SelectorMatchCase(#"a contains 'ü'"#, ["a": "grüß"], true),
        SelectorMatchCase(#"a in {'x', "y"}"#, ["a": "x"], true),
        SelectorMatchCase(#"a in {'x', "y"}"#, ["a": "y"], true),
        SelectorMatchCase(#"a == ''"#, ["a": ""], true),
        SelectorMatchCase(#"a == ' '"#, ["a": ""], false),
    ]

    /// Labels use [A-Za-z0-9_./-]; words such as "in" or "contains" are labels where a label is expected.
    static let labelsAndKeywords: [SelectorMatchCase] = [
        SelectorMatchCase(
            #"projectcalico.org/namespace == "default""#, ["projectcalico.org/namespace": "default"], true),
        SelectorMatchCase(
            #"pcns.kubernetes.io/metadata.name == "kube-system""#, ["pcns.kubernetes.io/metadata.name": "kube-system"],
            true),
        SelectorMatchCase(#"app.kubernetes.io/name in {"web", "api"}"#, ["app.kubernetes.io/name": "api"], true),
        SelectorMatchCase(#"A_b-C.d/e == "x""#, ["A_b-C.d/e": "x"], true),
        SelectorMatchCase(#"123 == "x""#, ["123": "x"], true),
        SelectorMatchCase(#"in == "x""#, ["in": "x"], true),
        SelectorMatchCase(#"contains contains "x""#, ["contains": "axb"], true),
        SelectorMatchCase(#"not == "x""#, ["not": "x"], true),
        SelectorMatchCase(#"has == "x""#, ["has": "x"], true),
        SelectorMatchCase(#"all == "x""#, ["all": "x"], true),
        SelectorMatchCase(#"global == "x""#, ["global": "x"], true),
        SelectorMatchCase(#"hasx == "y""#, ["hasx": "y"], true),
        SelectorMatchCase(#"allx == "y""#, ["allx": "y"], true),
        SelectorMatchCase(#"index in {"1"}"#, ["index": "1"], true),
        SelectorMatchCase(#"has(has)"#, ["has": ""], true),
        SelectorMatchCase(#"has(in) && in in {"x"}"#, ["in": "x"], true),
        SelectorMatchCase(#"has(a) && starts starts with "s""#, ["a": "", "starts": "sss"], true),
        SelectorMatchCase(#"has(a) && ends ends with "s""#, ["a": "", "ends": "xs"], true),
        SelectorMatchCase(#"a == "x" && b == "y""#, ["a": "x", "b": "y", "a == \"x\"": "z"], true),
        SelectorMatchCase(
            String(repeating: "k", count: 512) + #" == "v""#, [String(repeating: "k", count: 512): "v"], true),
    ]

    /// Values compare as bytes, as in Calico: canonically equivalent Unicode is still different.
    static let bytes: [SelectorMatchCase] = [
        SelectorMatchCase("a == \"\u{E9}\"", ["a": "e\u{301}"], false),
        SelectorMatchCase("a == \"e\u{301}\"", ["a": "e\u{301}"], true),
        SelectorMatchCase("a == \"\u{212A}\"", ["a": "K"], false),  // KELVIN SIGN is canonically equivalent to K
        SelectorMatchCase("a != \"\u{212A}\"", ["a": "K"], true),
        SelectorMatchCase("a in {\"\u{212A}\"}", ["a": "K"], false),
        SelectorMatchCase("a starts with \"\u{E9}\"", ["a": "e\u{301}t\u{E9}"], false),
        SelectorMatchCase("a ends with \"\u{E9}\"", ["a": "e\u{301}t\u{E9}"], true),
        SelectorMatchCase("a contains \"t\"", ["a": "e\u{301}t\u{E9}"], true),
        // ASCII selector values against non-ASCII spellings that Swift's == would call equal.
        SelectorMatchCase("a == \"K\"", ["a": "\u{212A}"], false),
        SelectorMatchCase("a != \"K\"", ["a": "\u{212A}"], true),
        SelectorMatchCase("a in {\"J\", \"K\"}", ["a": "\u{212A}"], false),
        SelectorMatchCase("a not in {\"J\", \"K\"}", ["a": "\u{212A}"], true),
        SelectorMatchCase("a == \";\"", ["a": "\u{037E}"], false),  // GREEK QUESTION MARK
        SelectorMatchCase("a == \"K\"", ["a": "K"], true),
        // Large and non-ASCII sets take the binary search.
        SelectorMatchCase(#"a in {"\#(largeSet)"}"#, ["a": "v17"], true),
        SelectorMatchCase(#"a in {"\#(largeSet)"}"#, ["a": "v0"], true),
        SelectorMatchCase(#"a in {"\#(largeSet)"}"#, ["a": "v9"], true),
        SelectorMatchCase(#"a in {"\#(largeSet)"}"#, ["a": "v"], false),
        SelectorMatchCase(#"a in {"\#(largeSet)"}"#, ["a": "v100"], false),
        SelectorMatchCase(#"a not in {"\#(largeSet)"}"#, ["a": "v5"], false),
        SelectorMatchCase(#"a not in {"\#(largeSet)"}"#, ["a": "w"], true),
        SelectorMatchCase("a in {\"\u{E9}\", \"b\"}", ["a": "\u{E9}"], true),
        SelectorMatchCase("a in {\"\u{E9}\", \"b\"}", ["a": "e\u{301}"], false),
        SelectorMatchCase("a in {\"\u{E9}\", \"b\"}", ["a": "b"], true),
        SelectorMatchCase("a in {\"\u{212A}\", \"b\"}", ["a": "K"], false),
    ]

    static let largeSet = (0..<40).map { "v\($0)" }.joined(separator: #"", ""#)

    @Test("comparisons", arguments: comparisons)
    func comparison(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("absent labels", arguments: absentLabels)
    func absent(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("boolean operators", arguments: booleans)
    func boolean(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("operator precedence", arguments: precedence)
    func precedenceRules(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("negation", arguments: negation)
    func negations(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("whitespace", arguments: whitespace)
    func whitespaceRules(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("quotes", arguments: quotes)
    func quoting(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("labels and keywords", arguments: labelsAndKeywords)
    func labels(_ row: SelectorMatchCase) throws { try check(row) }

    @Test("values compare as bytes", arguments: bytes)
    func byteComparison(_ row: SelectorMatchCase) throws { try check(row) }

    @Test func allTablesTogetherHaveHundredsOfRows() {
        let tables = [
            Self.comparisons, Self.absentLabels, Self.booleans, Self.precedence, Self.negation, Self.whitespace,
            Self.quotes, Self.labelsAndKeywords, Self.bytes,
        ]
        let total = tables.map(\.count).reduce(0, +)
        #expect(total >= 200)
    }

    /// Evaluates the row, its canonical form re-parsed, and the row through a `LabelLookup` view.
    private func check(_ row: SelectorMatchCase) throws {
        let selector = try Selector(parsing: row.selector)
        #expect(selector.matches(row.labels) == row.expected, "\(row.selector) -> \(selector.canonical)")
        let reparsed = try Selector(parsing: selector.canonical)
        #expect(reparsed.matches(row.labels) == row.expected, "canonical \(selector.canonical)")
        #expect(selector.matches(LayeredLabels(top: row.labels, bottom: [:])) == row.expected)
    }
}

/// A `LabelLookup` that is not a dictionary: labels of `top` override those of `bottom`, as an endpoint's
/// labels override its profiles'.
private struct LayeredLabels: LabelLookup {
    var top: [String: String]
    var bottom: [String: String]

    func labelValue(forKey key: String) -> String? { top[key] ?? bottom[key] }
}

@Suite("Selector label lookups")
struct SelectorLabelLookupTests {
    @Test func layeredLabelsOverride() throws {
        let selector = try Selector(parsing: #"role == "db" && has(pcns.team)"#)
        #expect(selector.matches(LayeredLabels(top: ["role": "db"], bottom: ["pcns.team": "x"])))
        #expect(!selector.matches(LayeredLabels(top: ["role": "web"], bottom: ["role": "db", "pcns.team": "x"])))
        #expect(selector.matches(LayeredLabels(top: [:], bottom: ["role": "db", "pcns.team": "x"])))
    }
}
