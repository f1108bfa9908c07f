import CalicoAPI
import Testing

/// Property-style tests over seeded random selectors and label maps.
@Suite("Selector properties")
struct SelectorPropertyTests {
    private static let keys = ["a", "b", "app", "projectcalico.org/namespace", "x.y/z-1", "in", "has"]
    private static let values = ["", "a", "b", "ab", "web", "web-1", "x y", "'", "\"", "é", "e\u{301}", "日本"]

    /// A random tree in the parser's own shape (what `normalized` returns), so that parsing its text must
    /// give it back exactly.
    private static func randomTree(_ generator: inout SeededTestRandom, depth: Int) -> SelectorExpression {
        func key() -> String { keys[Int(generator.next() % UInt64(keys.count))] }
        func value() -> String { values[Int(generator.next() % UInt64(values.count))] }
        let leafOnly = depth == 0
        switch generator.next() % (leafOnly ? 10 : 14) {
        case 0: return .all
        case 1: return .global
        case 2: return .has(key: key())
        case 3: return .equal(key: key(), value: value())
        case 4: return .notEqual(key: key(), value: value())
        case 5, 6:
            let members = (0..<(generator.next() % 4)).map { _ in value() }
            return generator.next() % 2 == 0 ? .in(key: key(), values: members) : .notIn(key: key(), values: members)
        case 7: return .contains(key: key(), value: value())
        case 8: return .startsWith(key: key(), value: value())
        case 9: return .endsWith(key: key(), value: value())
        case 10, 11:
            let count = 2 + Int(generator.next() % 3)
            let operands = (0..<count).map { _ in randomTree(&generator, depth: depth - 1) }
            return generator.next() % 2 == 0 ? .and(operands) : .or(operands)
        default:
            return .not(randomTree(&generator, depth: depth - 1))
        }
    }

    private static func randomLabels(_ generator: inout SeededTestRandom) -> [String: String] {
        var labels: [String: String] = [:]
        for key in keys where generator.next() % 2 == 0 {
            labels[key] = values[Int(generator.next() % UInt64(values.count))]
        }
        return labels
    }

    @Test func canonicalFormRoundTripsAndIsAFixedPoint() throws {
        var generator = SeededTestRandom(seed: 2024)
        for _ in 0..<5_000 {
            let tree = Self.randomTree(&generator, depth: 4).normalized
            let selector = Selector(tree)
            let reparsed = try Selector(parsing: selector.canonical)
            #expect(reparsed.expression == tree, "\(selector.canonical)")
            #expect(reparsed.canonical == selector.canonical)
            #expect(reparsed == selector)
            #expect(try Selector(parsing: reparsed.canonical).canonical == reparsed.canonical)
        }
    }

    /// The compiled program against a direct recursive reading of the semantics.
    @Test func compiledEvaluationAgreesWithTheDefinition() throws {
        var generator = SeededTestRandom(seed: 99)
        for _ in 0..<3_000 {
            // Unnormalized trees too: the compiler must cope with double negation, empty and one-operand groups.
            let tree = Self.randomTree(&generator, depth: 5)
            let selector = Selector(tree)
            for _ in 0..<8 {
                let labels = Self.randomLabels(&generator)
                #expect(selector.matches(labels) == reference(tree, labels), "\(tree.text) on \(labels)")
            }
        }
        for tree: SelectorExpression in [.and([]), .or([]), .not(.and([])), .not(.or([])), .and([.or([])])] {
            #expect(Selector(tree).matches([:]) == reference(tree, [:]))
        }
    }

    /// Random text built from the language's pieces: whatever parses must round-trip, and nothing may crash.
    @Test func randomTextNeverCrashesAndParsedTextRoundTrips() throws {
        let pieces = [
            "a", "b.c/d", " ", "\t", "==", "!=", "=", "!", "&&", "||", "&", "(", ")", "{", "}", ",", "'x'", "\"y\"",
            "'", "\"", "in", "not", "not in", "notin", "contains", "starts with", "ends", "with", "has(", "has(a)",
            "all()", "global()", "all(", "%", "\n", "é",
        ]
        var generator = SeededTestRandom(seed: 7)
        var parsed = 0
        for _ in 0..<20_000 {
            let count = 1 + Int(generator.next() % 8)
            let text = (0..<count).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            do {
                let selector = try Selector(parsing: text)
                parsed += 1
                let reparsed = try Selector(parsing: selector.canonical)
                #expect(reparsed.expression == selector.expression, "\(text)")
                #expect(reparsed.canonical == selector.canonical)
            } catch {
                #expect((1...(text.unicodeScalars.count + 1)).contains(error.column), "\(text): \(error)")
                #expect(!error.reason.isEmpty)
            }
        }
        #expect(parsed > 100)
    }
}

/// The selector semantics read directly off calico-reference.md section 2, comparing values as UTF-8 bytes.
private func reference(_ tree: SelectorExpression, _ labels: [String: String]) -> Bool {
    func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
    func value(_ key: String) -> [UInt8]? { labels[key].map(bytes) }
    switch tree {
    case .all, .global:
        return true
    case .has(let key):
        return labels[key] != nil
    case .equal(let key, let expected):
        return value(key) == bytes(expected)
    case .notEqual(let key, let expected):
        return value(key) != bytes(expected)
    case .in(let key, let members):
        guard let actual = value(key) else { return false }
        return members.contains { bytes($0) == actual }
    case .notIn(let key, let members):
        guard let actual = value(key) else { return true }
        return !members.contains { bytes($0) == actual }
    case .contains(let key, let needle):
        guard let actual = value(key) else { return false }
        let needle = bytes(needle)
        if needle.isEmpty { return true }
        guard needle.count <= actual.count else { return false }
        return (0...(actual.count - needle.count)).contains { Array(actual[$0..<($0 + needle.count)]) == needle }
    case .startsWith(let key, let prefix):
        guard let actual = value(key) else { return false }
        return actual.starts(with: bytes(prefix))
    case .endsWith(let key, let suffix):
        guard let actual = value(key) else { return false }
        return actual.reversed().starts(with: bytes(suffix).reversed())
    case .not(let operand):
        return !reference(operand, labels)
    case .and(let operands):
        return operands.allSatisfy { reference($0, labels) }
    case .or(let operands):
        return operands.contains { reference($0, labels) }
    }
}
