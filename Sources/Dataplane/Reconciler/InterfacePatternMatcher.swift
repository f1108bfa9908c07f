/// Whether interface names match Felix's `mtuIfacePattern`, with the regex compiled once per pattern and each
/// name's answer kept: every apply asks for every link, and a Swift `Regex` match costs microseconds.
struct InterfacePatternMatcher {
    private var pattern: String?
    private var regex: Regex<AnyRegexOutput>?
    private var answers: [String: Bool] = [:]

    /// Whether `name` matches `pattern`; false for every name when the pattern does not compile.
    mutating func matches(_ name: String, pattern: String) -> Bool {
        if pattern != self.pattern {
            self.pattern = pattern
            regex = try? Regex(pattern)
            answers = [:]
        }
        if let answer = answers[name] { return answer }
        let answer = regex.map { (try? $0.firstMatch(in: name)) != nil } ?? false
        // Names come and go with workloads; a bounded memory keeps the answers of the ones seen lately.
        if answers.count >= 65_536 { answers = [:] }
        answers[name] = answer
        return answer
    }
}
