import CalicoAPI
import Foundation
import Testing

/// One bad selector, the column it is blamed on, and the exact reason.
struct SelectorErrorCase: Sendable, CustomTestStringConvertible {
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
    static let cases: [SelectorErrorCase] = [
        SelectorErrorCase(#"a == 'x' &&"#, 12, "\(operand) but found end of input"),
        SelectorErrorCase(#"b == b"#, 6, #"expected a quoted string after "==" but found label "b""#),
        SelectorErrorCase(#"b contains b"#, 12, #"expected a quoted string after "contains" but found label "b""#),
        SelectorErrorCase(
            #"b starts with b"#, 15, #"expected a quoted string after "starts with" but found label "b""#),
        SelectorErrorCase(#"b ends with b"#, 13, #"expected a quoted string after "ends with" but found label "b""#),
        SelectorErrorCase(#"'b1' == b"#, 1, #"\#(operand) but found string "b1""#),
        SelectorErrorCase(#"b"#, 2, #"\#(anOperator) "b" but found end of input"#),
        SelectorErrorCase(#"a b"#, 3, #"\#(anOperator) "a" but found "b""#),
        SelectorErrorCase(#"!"#, 2, "\(operand) but found end of input"),
        SelectorErrorCase(#"foo == "bar" &"#, 14, #"expected "&&" but found a single "&""#),
        SelectorErrorCase(#"foo == "bar" |"#, 14, #"expected "||" but found a single "|""#),
        SelectorErrorCase(#"foo != ||"#, 8, #"expected a quoted string after "!=" but found "||""#),
        SelectorErrorCase(#"foo in {"", ||"#, 13, #"expected a quoted string or "}" but found "||""#),
        SelectorErrorCase(#"foo in """#, 8, #"expected "{" after "in" but found string """#),
        SelectorErrorCase(#""FOO"#, 1, #"unterminated string: no closing " before the end of the selector"#),
        SelectorErrorCase(#""FOO'"#, 1, #"unterminated string: no closing " before the end of the selector"#),
        SelectorErrorCase(#"'FOO"#, 1, #"unterminated string: no closing ' before the end of the selector"#),
        SelectorErrorCase(#"a == 'it"s"#, 6, #"unterminated string: no closing ' before the end of the selector"#),
        SelectorErrorCase(#"("#, 2, "\(operand) but found end of input"),
        SelectorErrorCase(#"(a == "foo""#, 12, #"expected ")" to close the "(" at column 1 but found end of input"#),
        SelectorErrorCase(#")"#, 1, #"\#(operand) but found ")""#),
        SelectorErrorCase(#"()"#, 2, #"\#(operand) but found ")""#),
        SelectorErrorCase(#"%"#, 1, #"unexpected character "%""#),
        SelectorErrorCase(#"a == "b" && %"#, 13, #"unexpected character "%""#),
        SelectorErrorCase(#"a == "b" || %"#, 13, #"unexpected character "%""#),
        SelectorErrorCase(#"a "#, 3, #"\#(anOperator) "a" but found end of input"#),
        SelectorErrorCase(#"has(foo) &&"#, 12, "\(operand) but found end of input"),
        SelectorErrorCase(#"a = "b""#, 3, #"expected "==" but found a single "=""#),
        SelectorErrorCase(#"has()"#, 5, #"expected a label after "has(" but found ")""#),
        SelectorErrorCase(#"has(a b)"#, 7, #"expected ")" to close "has(" but found "b""#),
        SelectorErrorCase(#"has(a"#, 6, #"expected ")" to close "has(" but found end of input"#),
        SelectorErrorCase(#"has(a.b/c"#, 10, #"expected ")" to close "has(" but found end of input"#),
        SelectorErrorCase(#"has(@)"#, 5, #"expected a label after "has(" but found "@""#),
        SelectorErrorCase(#"has (a)"#, 5, #"\#(anOperator) "has" but found "(""#),
        SelectorErrorCase(#"all("#, 5, #"expected ")" after "all(" but found end of input"#),
        SelectorErrorCase(#"all (a)"#, 5, #"\#(anOperator) "all" but found "(""#),
        SelectorErrorCase(#"all"#, 4, #"\#(anOperator) "all" but found end of input"#),
        SelectorErrorCase(#"global(x)"#, 8, #"expected ")" after "global(" but found "x""#),
        SelectorErrorCase(#"a in {"b" "c"}"#, 11, #"expected "," or "}" but found string "c""#),
        SelectorErrorCase(#"a in {"b",,}"#, 11, #"expected a quoted string or "}" but found ",""#),
        SelectorErrorCase(#"a in {,}"#, 7, #"expected a quoted string or "}" but found ",""#),
        SelectorErrorCase(#"a in {"b""#, 10, #"expected "," or "}" but found end of input"#),
        SelectorErrorCase(#"a in {"b" && has(c)"#, 11, #"expected "," or "}" but found "&&""#),
        SelectorErrorCase(#"a in"#, 5, #"expected "{" after "in" but found end of input"#),
        SelectorErrorCase(#"a in ("b")"#, 6, #"expected "{" after "in" but found "(""#),
        SelectorErrorCase(#"a not in "x""#, 10, #"expected "{" after "not in" but found string "x""#),
        SelectorErrorCase(#"a not"#, 3, #"\#(anOperator) "a" but found "not""#),
        SelectorErrorCase(#"a not "x""#, 3, #"\#(anOperator) "a" but found "not""#),
        SelectorErrorCase(#"a notx in {}"#, 3, #"\#(anOperator) "a" but found "notx""#),
        SelectorErrorCase(#"a inx {}"#, 3, #"\#(anOperator) "a" but found "inx""#),
        SelectorErrorCase(#"a containsx "b""#, 3, #"\#(anOperator) "a" but found "containsx""#),
        SelectorErrorCase(#"a starts "x""#, 3, #"\#(anOperator) "a" but found "starts""#),
        SelectorErrorCase(#"a startswithx "x""#, 3, #"\#(anOperator) "a" but found "startswithx""#),
        SelectorErrorCase(#"a ends"#, 3, #"\#(anOperator) "a" but found "ends""#),
        SelectorErrorCase(
            #"a == "b" c == "d""#, 10, #"expected "&&", "||" or the end of the selector but found label "c""#),
        SelectorErrorCase(#"has(a) has(b)"#, 8, #"expected "&&", "||" or the end of the selector but found has(b)"#),
        SelectorErrorCase(#"a == "b")"#, 9, #"expected "&&", "||" or the end of the selector but found ")""#),
        SelectorErrorCase(#"a == "b","#, 9, #"expected "&&", "||" or the end of the selector but found ",""#),
        SelectorErrorCase(
            "a == \"x\"\n&& b == \"y\"", 9, #"unexpected character "\n" (only spaces and tabs may separate tokens)"#),
        SelectorErrorCase(
            "a\t==\t\"b\" \r", 10, #"unexpected character "\r" (only spaces and tabs may separate tokens)"#),
        SelectorErrorCase(#"a == "日本" && @"#, 14, #"unexpected character "@""#),
        SelectorErrorCase(#"é == "x""#, 1, #"unexpected character "é""#),
        SelectorErrorCase(#"ab€ == "x""#, 3, #"\#(anOperator) "ab" but found "€""#),
        SelectorErrorCase(
            String(repeating: "k", count: 513) + #" == "v""#, 1, "label is 513 characters long; the limit is 512"),
        SelectorErrorCase(
            "has(" + String(repeating: "k", count: 600) + ")", 5, "label is 600 characters long; the limit is 512"),
        SelectorErrorCase(#"a == "x" &&& b == "y""#, 12, #"expected "&&" but found a single "&""#),
        SelectorErrorCase(#"a == "x" ||| b"#, 12, #"expected "||" but found a single "|""#),
        SelectorErrorCase(#"!="#, 1, #"\#(operand) but found "!=""#),
        SelectorErrorCase(#"a ==== "b""#, 5, #"expected a quoted string after "==" but found "==""#),
        SelectorErrorCase(#"a != = "b""#, 6, #"expected "==" but found a single "=""#),
        SelectorErrorCase(
            #"a == "x" && (b == "y" || c == "z""#, 34,
            #"expected ")" to close the "(" at column 13 but found end of input"#),
        SelectorErrorCase(#"{"#, 1, #"\#(operand) but found "{""#),
        SelectorErrorCase(#"a == "b" && || c == "d""#, 13, #"\#(operand) but found "||""#),
        SelectorErrorCase(#"&& a == "b""#, 1, #"\#(operand) but found "&&""#),
        SelectorErrorCase(#"a == "b" && !"#, 14, "\(operand) but found end of input"),
        SelectorErrorCase(#"!!(a == "b""#, 12, #"expected ")" to close the "(" at column 3 but found end of input"#),
        SelectorErrorCase(
            #"a in {"b"} in {"c"}"#, 12, #"expected "&&", "||" or the end of the selector but found label "in""#),
        SelectorErrorCase(#"a == "b" == "c""#, 10, #"expected "&&", "||" or the end of the selector but found "==""#),
        SelectorErrorCase(
            String(repeating: "(", count: 201) + "has(a)" + String(repeating: ")", count: 201), 201,
            "parentheses are nested more than 200 deep"),
        // Where the tokenizer and the parser both object, the earlier position wins.
        SelectorErrorCase(#"a == && b = "x""#, 6, #"expected a quoted string after "==" but found "&&""#),
        SelectorErrorCase(#"( % "#, 3, #"unexpected character "%""#),
    ]

    @Test("reports the column and the reason", arguments: cases)
    func reportsColumnAndReason(_ row: SelectorErrorCase) {
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
