import Foundation
import Testing

@testable import CalicoAPI

/// The emitter's byte-level quoting decision agrees with the plain, character-level statement of the rule on
/// the interesting strings and on many random ones made of YAML's special characters.
@Suite struct YAMLQuotingTests {
    /// The rule as first written (per call: a lower-cased copy, Foundation's substring search).
    static func reference(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last else { return true }
        if first == " " || last == " " { return true }
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
            if !(first == "-" && text.count > 1 && !text.hasPrefix("- ") && !numeric(text)) { return true }
        }
        if text.contains(": ") || text.contains(" #") || text.hasSuffix(":") { return true }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return true }
        let reserved: Set<String> = [
            "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf", ".nan",
        ]
        if reserved.contains(text.lowercased()) { return true }
        return numeric(text) || date(text)
    }

    static func numeric(_ text: String) -> Bool {
        if Double(text) != nil { return true }
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        guard let first = body.first else { return false }
        if first == "." { return body.dropFirst().first?.isNumber ?? false }
        guard first.isNumber else { return false }
        let numeric = Set("0123456789_:.eE+-xXoObBabcdefABCDEF")
        return body.allSatisfy { numeric.contains($0) }
            && (body.contains(":") || body.hasPrefix("0x") || body.hasPrefix("0o") || body.hasPrefix("0b")
                || body.allSatisfy { $0.isNumber || $0 == "_" || $0 == "." })
    }

    static func date(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(10))
        guard bytes.count >= 8 else { return false }
        let digit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        return bytes[0..<4].allSatisfy(digit) && bytes[4] == UInt8(ascii: "-")
    }

    static let samples = [
        "", " a", "a ", "-", "-a", "- a", "-1", "-.5", "?x", ":x", "a: b", "a:b", "a #b", "a#b", "key:", "TRUE", "No",
        "y", "Y", "~", ".Inf", "-.inf", ".NaN", "nan", "inf", "Infinity", "1e3", "0x1F", "0o17", "80:90", "1_000",
        "12.5", "2026-12-03", "2026-12-03T10:00:00Z", "192.0.2.1", "2001:db8::1", "203.0.113.0/24", "cali1234567890a",
        "projectcalico.org/namespace", "has(app)", "a\tb", "a\u{7f}", "é", "naïve: x", "host:node-1", "@at", "%p",
        "ok", "false ", "yes!", "on", "off", "null", "Null", "k8s-pod-network.1234", "kns.default",
    ]

    @Test func interestingStrings() {
        for text in Self.samples {
            #expect(YAMLEmitter.needsQuotes(text) == Self.reference(text), "\(text.debugDescription)")
        }
    }

    @Test func randomStrings() {
        var random = SeededTestRandom(seed: 13)
        let alphabet = Array("aZy0189-.:# _/~eEx+'\"{}[],@%!&*|>?`\tnN\u{e9}")
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...6, using: &random)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
            #expect(YAMLEmitter.needsQuotes(text) == Self.reference(text), "\(text.debugDescription)")
        }
    }
}
