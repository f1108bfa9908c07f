import CalicoAPI
import Foundation
import Testing

@Suite("Selector canonical form")
struct SelectorCanonicalTests {
    static let canonicalForms: [(String, String)] = [
        ("", "all()"),
        ("  \t ", "all()"),
        (" all() ", "all()"),
        (" (all() )", "all()"),
        ("global()", "global()"),
        ("has(a)", "has(a)"),
        ("has( a )", "has(a)"),
        ("! has(a)", "!has(a)"),
        (#"! (has( b)||! has(a ))"#, #"!(has(b) || !has(a))"#),
        (#"! (a == "b"&&! c != "d")"#, #"!(a == "b" && !c != "d")"#),
        (#"a == "'""#, #"a == "'""#),
        (#"a == '"'"#, #"a == '"'"#),
        (#"a == 'b'"#, #"a == "b""#),
        (#"a contains '"'"#, #"a contains '"'"#),
        (#"a contains "'""#, #"a contains "'""#),
        (#"a startswith '"'"#, #"a starts with '"'"#),
        (#"a endswith "'""#, #"a ends with "'""#),
        (#"a  starts  with 'x'"#, #"a starts with "x""#),
        (#"a!='"'"#, #"a != '"'"#),
        (#"a in {"d"}"#, #"a in {"d"}"#),
        (#"a in {"a", "b"}"#, #"a in {"a", "b"}"#),
        (#"a in {"d", "a", "b"}"#, #"a in {"a", "b", "d"}"#),
        (#"a in {"z", "x", "y", "a"}"#, #"a in {"a", "x", "y", "z"}"#),
        (#"a in {"z", "z", "x", "y", "x", "a"}"#, #"a in {"a", "x", "y", "z"}"#),
        (#"a in {'"', "'", "c"}"#, #"a in {'"', "'", "c"}"#),  // sorted by bytes: " (0x22) < ' (0x27) < c
        (#"a in {"b", "B", "10", "9", ""}"#, #"a in {"", "10", "9", "B", "b"}"#),
        (#"a in {"b",}"#, #"a in {"b"}"#),
        (#"a in {}"#, #"a in {}"#),
        (#"a notin {"x"}"#, #"a not in {"x"}"#),
        (#"a not   in {'y', 'x'}"#, #"a not in {"x", "y"}"#),
        (#"k == 'v' && x == 'y'"#, #"(k == "v" && x == "y")"#),
        (#"k == 'v' || has(x)"#, #"(k == "v" || has(x))"#),
        (#"!(k == 'v')"#, #"!k == "v""#),
        (#"!!has(a)"#, "has(a)"),
        (#"!!!has(a)"#, "!has(a)"),
        (#"!(!has(a))"#, "has(a)"),  // Calico prints "!!has(a)" here, which is not a fixed point
        (#"!(!(!has(a)))"#, "!has(a)"),
        (#"has(a) && has(b) && has(c)"#, "(has(a) && has(b) && has(c))"),
        (#"(has(a) && has(b)) && has(c)"#, "((has(a) && has(b)) && has(c))"),
        (#"has(a) && (has(b) && has(c))"#, "(has(a) && (has(b) && has(c)))"),
        (#"has(a) || has(b) && has(c)"#, "(has(a) || (has(b) && has(c)))"),
        (#"has(a) && has(b) || has(c)"#, "((has(a) && has(b)) || has(c))"),
        (#"(has(a) || has(b)) && has(c)"#, "((has(a) || has(b)) && has(c))"),
        (#"!(has(a) || has(b))"#, "!(has(a) || has(b))"),
        (
            #"!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))"#,
            #"!(!((k == "v" && has(t)) || all()) && a in {"b", "c"})"#
        ),
        (
            #"projectcalico.org/namespace == 'default' && app.kubernetes.io/name starts with "web""#,
            #"(projectcalico.org/namespace == "default" && app.kubernetes.io/name starts with "web")"#
        ),
        (#"a == "日本""#, #"a == "日本""#),
        (#"a == "b\""#, #"a == "b\""#),
    ]

    @Test("renders the canonical form", arguments: canonicalForms)
    func rendersCanonical(input: String, canonical: String) throws {
        let selector = try Selector(parsing: input)
        #expect(selector.canonical == canonical)
        #expect(selector.description == canonical)
        #expect(selector.source == input)
        // Round trip: the canonical form parses to an equal selector, and rendering it again changes nothing.
        let reparsed = try Selector(parsing: canonical)
        #expect(reparsed == selector)
        #expect(reparsed.expression == selector.expression)
        #expect(reparsed.canonical == canonical)
        #expect(Selector(selector.expression).canonical == canonical)
    }

    static let trees: [(String, SelectorExpression)] = [
        ("", .all),
        ("all()", .all),
        ("global()", .global),
        ("has(a)", .has(key: "a")),
        ("!has(a)", .not(.has(key: "a"))),
        (#"a == "b""#, .equal(key: "a", value: "b")),
        (#"a != 'b'"#, .notEqual(key: "a", value: "b")),
        (#"a in {"c", "b", "c"}"#, .in(key: "a", values: ["b", "c"])),
        (#"a notin {}"#, .notIn(key: "a", values: [])),
        (#"a contains "b""#, .contains(key: "a", value: "b")),
        (#"a starts with "b""#, .startsWith(key: "a", value: "b")),
        (#"a ends with "b""#, .endsWith(key: "a", value: "b")),
        ("has(a) && has(b)", .and([.has(key: "a"), .has(key: "b")])),
        ("has(a) || has(b) || has(c)", .or([.has(key: "a"), .has(key: "b"), .has(key: "c")])),
        ("has(a) || has(b) && has(c)", .or([.has(key: "a"), .and([.has(key: "b"), .has(key: "c")])])),
        ("(has(a) || has(b)) && has(c)", .and([.or([.has(key: "a"), .has(key: "b")]), .has(key: "c")])),
        ("(has(a) && has(b)) && has(c)", .and([.and([.has(key: "a"), .has(key: "b")]), .has(key: "c")])),
        ("!(has(a) && has(b))", .not(.and([.has(key: "a"), .has(key: "b")]))),
        ("!!has(a)", .has(key: "a")),
        ("((((has(a)))))", .has(key: "a")),
    ]

    @Test("parses to the syntax tree", arguments: trees)
    func parsesTree(input: String, tree: SelectorExpression) throws {
        #expect(try Selector(parsing: input).expression == tree)
    }

    @Test func uniqueIDsMatchCalico() throws {
        // IDs from Calico's own canonicalisation tests, so Tabby's IP set names can match Felix's.
        #expect(try Selector(parsing: "").uniqueID == "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug")
        #expect(try Selector(parsing: " all() ").uniqueID == "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug")
        #expect(
            try Selector(parsing: #"! (has( b)||! has(a ))"#).uniqueID == "s:Iss0uCleLYv1GSv_pNm7hAO58kE9jAx1NKyG3Q")
        #expect(
            try Selector(parsing: #"! (a == "b"&&! c != "d")"#).uniqueID
                == "s:lh3haoY1ikTRkd4UZu0nWSaIBknYLPJLX16d-w")
    }

    @Test func equalityAndHashingFollowTheCanonicalForm() throws {
        let single = try Selector(parsing: "app == 'web'")
        let double = try Selector(parsing: #"app=="web""#)
        #expect(single == double)
        #expect(single.hashValue == double.hashValue)
        #expect(single.source != double.source)
        #expect(Set([single, double]).count == 1)
        #expect(try Selector(parsing: "") == Selector.all)
        #expect(try Selector(parsing: "all()") == Selector.all)
        #expect(try Selector(parsing: "global()") != Selector.all)
        #expect(try Selector(parsing: "has(a) && has(b)") != Selector(parsing: "has(b) && has(a)"))
    }

    @Test func codingKeepsTheSourceText() throws {
        let selectors = try ["app == 'web'", "", "has(a)&&has(b)"].map { try Selector(parsing: $0) }
        let data = try JSONEncoder().encode(selectors)
        #expect(String(decoding: data, as: UTF8.self) == #"["app == 'web'","","has(a)&&has(b)"]"#)
        let decoded = try JSONDecoder().decode([Selector].self, from: data)
        #expect(decoded == selectors)
        #expect(decoded.map(\.source) == selectors.map(\.source))
    }
}

@Suite("Selector syntax trees")
struct SelectorExpressionTests {
    @Test func selectorsBuiltFromTreesAreNormalized() {
        #expect(Selector(.not(.not(.has(key: "a")))).canonical == "has(a)")
        #expect(Selector(.and([])).canonical == "all()")
        #expect(Selector(.or([])).canonical == "!all()")
        #expect(!Selector(.or([])).matches([:]))
        #expect(Selector(.and([.has(key: "a")])).canonical == "has(a)")
        #expect(Selector(.or([.and([.has(key: "a")])])).canonical == "has(a)")
        #expect(Selector(.in(key: "a", values: ["y", "x", "y"])).canonical == #"a in {"x", "y"}"#)
        #expect(Selector(.in(key: "a", values: ["y", "x", "y"])).expression == .in(key: "a", values: ["x", "y"]))
        #expect(Selector(.not(.and([.has(key: "a"), .not(.not(.has(key: "b")))]))).canonical == "!(has(a) && has(b))")
        #expect(Selector(.all).source == "all()")
    }

    @Test func referencedLabelKeys() throws {
        #expect(try Selector(parsing: "").referencedLabelKeys.isEmpty)
        #expect(try Selector(parsing: "all() || global()").referencedLabelKeys.isEmpty)
        let selector = try Selector(
            parsing: #"has(a) && b == "1" && !(c != "2" || d in {"3"}) || e not in {} || f contains "x" || "#
                + #"g starts with "y" && h ends with "z" && a == "again""#)
        #expect(selector.referencedLabelKeys == ["a", "b", "c", "d", "e", "f", "g", "h"])
        #expect(
            try Selector(parsing: "projectcalico.org/namespace == 'x'").referencedLabelKeys == [
                "projectcalico.org/namespace"
            ])
    }

    @Test func mappingLabelKeysPrefixesEveryKey() throws {
        // Calico prefixes namespace selectors with "pcns." before matching them against endpoint labels.
        let selector = try Selector(parsing: #"!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))"#)
        let prefixed = Selector(selector.expression.mappingLabelKeys { "visited/" + $0 })
        #expect(
            prefixed.canonical == #"!(!((visited/k == "v" && has(visited/t)) || all()) && visited/a in {"b", "c"})"#)
        for (input, output) in [
            ("k == 'v'", #"pcns.k == "v""#), ("k != 'v'", #"pcns.k != "v""#),
            ("k contains 'v'", #"pcns.k contains "v""#), ("k starts with 'v'", #"pcns.k starts with "v""#),
            ("k ends with 'v'", #"pcns.k ends with "v""#), ("k in {'v'}", #"pcns.k in {"v"}"#),
            ("k not in {'v'}", #"pcns.k not in {"v"}"#), ("has(k)", "has(pcns.k)"), ("global()", "global()"),
        ] {
            #expect(
                Selector(try Selector(parsing: input).expression.mappingLabelKeys { "pcns." + $0 }).canonical == output)
        }
    }

    @Test func rewritingNodes() throws {
        // Calico's rule namespaceSelector: all() means any namespace, global() means no namespace.
        let selector = try Selector(parsing: "all() || global() && has(x)")
        let rewritten = selector.expression.rewritten { node in
            switch node {
            case .all: .has(key: "projectcalico.org/namespace")
            case .global: .not(.has(key: "projectcalico.org/namespace"))
            case .has(let key): .has(key: "pcns." + key)
            default: nil
            }
        }
        #expect(
            Selector(rewritten).canonical
                == "(has(projectcalico.org/namespace) || (!has(projectcalico.org/namespace) && has(pcns.x)))")
    }

    @Test func settingTheExpressionRecompiles() throws {
        var selector = try Selector(parsing: "app == 'web'")
        #expect(selector.matches(["app": "web"]))
        selector.expression = .and([selector.expression, .equal(key: "projectcalico.org/namespace", value: "prod")])
        #expect(selector.canonical == #"(app == "web" && projectcalico.org/namespace == "prod")"#)
        #expect(selector.source == selector.canonical)
        #expect(!selector.matches(["app": "web"]))
        #expect(selector.matches(["app": "web", "projectcalico.org/namespace": "prod"]))
    }

    @Test func treeTextRendersUnnormalizedTreesAsCalicoWould() {
        #expect(SelectorExpression.not(.not(.has(key: "a"))).text == "!!has(a)")
        #expect(SelectorExpression.in(key: "a", values: ["b", "a"]).text == #"a in {"b", "a"}"#)
        #expect(SelectorExpression.equal(key: "a", value: #"x"y'z"#).text == #"a == 'x"y'z'"#)
    }
}
