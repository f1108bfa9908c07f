import CalicoAPI
import Foundation
import Testing

/// One bad selector, the column it is blamed on, and the exact reason.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    var selector: String
    var column: Int
    var reason: String

    init(_ selector: String, _ column: Int, _ reason: String) {
        self.selector = selector
        self.column = column
        self.reason = reason
    }

    var testDescription: String { "\(selector.debugDescription) -> column \(column)" }
}

private let operand = #"expected a label, has(...), all(), global(), "!" or "(""#
private let anOperator = "expected an operator (==, !=, in, not in, contains, starts with, ends with) after label"

@Suite("Selector parse errors")
struct SelectorErrorTests {
    static let cases: [ErrorCase] = [
        ErrorCase(#"a == 'x' &&"#, 12, "\(operand) but found end of input"),
        ErrorCase(#"b == b"#, 6, #"expected a quoted string after "==" but found label "b""#),
        ErrorCase(#"b contains b"#, 12, #"expected a quoted string after "contains" but found label "b""#),
        ErrorCase(#"b starts with b"#, 15, #"expected a quoted string after "starts with" but found label "b""#),
        ErrorCase(#"b ends with b"#, 13, #"expected a quoted string after "ends with" but found label "b""#),
        ErrorCase(#"'b1' == b"#, 1, #"\#(operand) but found string "b1""#),
        ErrorCase(#"b"#, 2, #"\#(anOperator) "b" but found end of input"#),
        ErrorCase(#"a b"#, 3, #"\#(anOperator) "a" but found "b""#),
        ErrorCase(#"!"#, 2, "\(operand) but found end of input"),
        ErrorCase(#"foo == "bar" &"#, 14, #"expected "&&" but found a single "&""#),
        ErrorCase(#"foo == "bar" |"#, 14, #"expected "||" but found a single "|""#),
        ErrorCase(#"foo != ||"#, 8, #"expected a quoted string after "!=" but found "||""#),
        ErrorCase(#"foo in {"", ||"#, 13, #"expected a quoted string or "}" but found "||""#),
        ErrorCase(#"foo in """#, 8, #"expected "{" after "in" but found string """#),
        ErrorCase(#""FOO"#, 1, #"unterminated string: no closing " before the end of the selector"#),
        ErrorCase(#""FOO'"#, 1, #"unterminated string: no closing " before the end of the selector"#),
        ErrorCase(#"'FOO"#, 1, #"unterminated string: no closing ' before the end of the selector"#),
        ErrorCase(#"a == 'it"s"#, 6, #"unterminated string: no closing ' before the end of the selector"#),
        ErrorCase(#"("#, 2, "\(operand) but found end of input"),
        ErrorCase(#"(a == "foo""#, 12, #"expected ")" to close the "(" at column 1 but found end of input"#),
        ErrorCase(#")"#, 1, #"\#(operand) but found ")""#),
        ErrorCase(#"()"#, 2, #"\#(operand) but found ")""#),
        ErrorCase(#"%"#, 1, #"unexpected character "%""#),
        ErrorCase(#"a == "b" && %"#, 13, #"unexpected character "%""#),
        ErrorCase(#"a == "b" || %"#, 13, #"unexpected character "%""#),
        ErrorCase(#"a "#, 3, #"\#(anOperator) "a" but found end of input"#),
        ErrorCase(#"has(foo) &&"#, 12, "\(operand) but found end of input"),
        ErrorCase(#"a = "b""#, 3, #"expected "==" but found a single "=""#),
        ErrorCase(#"has()"#, 5, #"expected a label after "has(" but found ")""#),
        ErrorCase(#"has(a b)"#, 7, #"expected ")" to close "has(" but found "b""#),
        ErrorCase(#"has(a"#, 6, #"expected ")" to close "has(" but found end of input"#),
        ErrorCase(#"has(a.b/c"#, 10, #"expected ")" to close "has(" but found end of input"#),
        ErrorCase(#"has(@)"#, 5, #"expected a label after "has(" but found "@""#),
        ErrorCase(#"has (a)"#, 5, #"\#(anOperator) "has" but found "(""#),
        ErrorCase(#"all("#, 5, #"expected ")" after "all(" but found end of input"#),
        ErrorCase(#"all (a)"#, 5, #"\#(anOperator) "all" but found "(""#),
        ErrorCase(#"all"#, 4, #"\#(anOperator) "all" but found end of input"#),
        ErrorCase(#"global(x)"#, 8, #"expected ")" after "global(" but found "x""#),
        ErrorCase(#"a in {"b" "c"}"#, 11, #"expected "," or "}" but found string "c""#),
        ErrorCase(#"a in {"b",,}"#, 11, #"expected a quoted string or "}" but found ",""#),
        ErrorCase(#"a in {,}"#, 7, #"expected a quoted string or "}" but found ",""#),
        ErrorCase(#"a in {"b""#, 10, #"expected "," or "}" but found end of input"#),
        ErrorCase(#"a in {"b" && has(c)"#, 11, #"expected "," or "}" but found "&&""#),
        ErrorCase(#"a in"#, 5, #"expected "{" after "in" but found end of input"#),
        ErrorCase(#"a in ("b")"#, 6, #"expected "{" after "in" but found "(""#),
        ErrorCase(#"a not in "x""#, 10, #"expected "{" after "not in" but found string "x""#),
        ErrorCase(#"a not"#, 3, #"\#(anOperator) "a" but found "not""#),
        ErrorCase(#"a not "x""#, 3, #"\#(anOperator) "a" but found "not""#),
        ErrorCase(#"a notx in {}"#, 3, #"\#(anOperator) "a" but found "notx""#),
        ErrorCase(#"a inx {}"#, 3, #"\#(anOperator) "a" but found "inx""#),
        ErrorCase(#"a containsx "b""#, 3, #"\#(anOperator) "a" but found "containsx""#),
        ErrorCase(#"a starts "x""#, 3, #"\#(anOperator) "a" but found "starts""#),
        ErrorCase(#"a startswithx "x""#, 3, #"\#(anOperator) "a" but found "startswithx""#),
        ErrorCase(#"a ends"#, 3, #"\#(anOperator) "a" but found "ends""#),
        ErrorCase(#"a == "b" c == "d""#, 10, #"expected "&&", "||" or the end of the selector but found label "c""#),
        ErrorCase(#"has(a) has(b)"#, 8, #"expected "&&", "||" or the end of the selector but found has(b)"#),
        ErrorCase(#"a == "b")"#, 9, #"expected "&&", "||" or the end of the selector but found ")""#),
        ErrorCase(#"a == "b","#, 9, #"expected "&&", "||" or the end of the selector but found ",""#),
        ErrorCase(
            "a == \"x\"\n&& b == \"y\"", 9, #"unexpected character "\n" (only spaces and tabs may separate tokens)"#),
        ErrorCase("a\t==\t\"b\" \r", 10, #"unexpected character "\r" (only spaces and tabs may separate tokens)"#),
        ErrorCase(#"a == "日本" && @"#, 14, #"unexpected character "@""#),
        ErrorCase(#"é == "x""#, 1, #"unexpected character "é""#),
        ErrorCase(#"ab€ == "x""#, 3, #"\#(anOperator) "ab" but found "€""#),
        ErrorCase(
            String(repeating: "k", count: 513) + #" == "v""#, 1, "label is 513 characters long; the limit is 512"),
        ErrorCase(
            "has(" + String(repeating: "k", count: 600) + ")", 5, "label is 600 characters long; the limit is 512"),
        ErrorCase(#"a == "x" &&& b == "y""#, 12, #"expected "&&" but found a single "&""#),
        ErrorCase(#"a == "x" ||| b"#, 12, #"expected "||" but found a single "|""#),
        ErrorCase(#"!="#, 1, #"\#(operand) but found "!=""#),
        ErrorCase(#"a ==== "b""#, 5, #"expected a quoted string after "==" but found "==""#),
        ErrorCase(#"a != = "b""#, 6, #"expected "==" but found a single "=""#),
        ErrorCase(
            #"a == "x" && (b == "y" || c == "z""#, 34,
            #"expected ")" to close the "(" at column 13 but found end of input"#),
        ErrorCase(#"{"#, 1, #"\#(operand) but found "{""#),
        ErrorCase(#"a == "b" && || c == "d""#, 13, #"\#(operand) but found "||""#),
        ErrorCase(#"&& a == "b""#, 1, #"\#(operand) but found "&&""#),
        ErrorCase(#"a == "b" && !"#, 14, "\(operand) but found end of input"),
        ErrorCase(#"!!(a == "b""#, 12, #"expected ")" to close the "(" at column 3 but found end of input"#),
        ErrorCase(#"a in {"b"} in {"c"}"#, 12, #"expected "&&", "||" or the end of the selector but found label "in""#),
        ErrorCase(#"a == "b" == "c""#, 10, #"expected "&&", "||" or the end of the selector but found "==""#),
        ErrorCase(
            String(repeating: "(", count: 201) + "has(a)" + String(repeating: ")", count: 201), 201,
            "parentheses are nested more than 200 deep"),
        // Where the tokenizer and the parser both object, the earlier position wins.
        ErrorCase(#"a == && b = "x""#, 6, #"expected a quoted string after "==" but found "&&""#),
        ErrorCase(#"( % "#, 3, #"unexpected character "%""#),
    ]

    @Test("reports the column and the reason", arguments: cases)
    func reportsColumnAndReason(_ row: ErrorCase) {
        do {
            let selector = try Selector(parsing: row.selector)
            Issue.record("\(row.selector) parsed as \(selector)")
        } catch {
            #expect(error.selector == row.selector)
            #expect(error.column == row.column, "\(error.reason)")
            #expect(error.reason == row.reason)
            #expect(error.description == "selector \"\(row.selector)\": column \(row.column): \(row.reason)")
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let text = String(repeating: "(", count: 200) + "has(a)" + String(repeating: ")", count: 200)
        #expect(try Selector(parsing: text).canonical == "has(a)")
        let negations = String(repeating: "!", count: 10_001) + "has(a)"
        #expect(try Selector(parsing: negations).canonical == "!has(a)")
    }

    @Test func caretDiagramPointsAtTheColumn() {
        let error = SelectorParseError(selector: "a == 'x' &&", column: 12, reason: "r")
        #expect(error.caretDiagram == "a == 'x' &&\n           ^")
        let tabbed = SelectorParseError(selector: "\ta ==", column: 6, reason: "r")
        #expect(tabbed.caretDiagram == "\ta ==\n\t    ^")
    }

    @Test func decodingABadSelectorNamesColumnAndReason() throws {
        struct Policy: Decodable { var selector: Selector }
        let error = #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Policy.self, from: Data(#"{"selector": "app == 'web' &&"}"#.utf8))
        }
        guard case .dataCorrupted(let context) = try #require(error) else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(
            context.debugDescription == #"selector "app == 'web' &&": column 16: \#(operand) but found end of input"#)
        #expect(context.codingPath.map(\.stringValue) == ["selector"])
    }
}
