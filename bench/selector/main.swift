// selector-bench: how fast Tabby parses and evaluates Calico selectors.
//
// There is no external tool to compare against (Calico's Go evaluator is not on this machine), so the figures
// are absolute; for scale the bench also times a plain recursive walk of the syntax tree (what a first
// implementation would do) and a single dictionary lookup (the floor for any selector that reads one label).
// Run in release: swift run -c release selector-bench
import CalicoAPI

/// A small seeded generator so every run evaluates the same label maps.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Label maps shaped like a cluster's endpoints: Kubernetes labels plus the ones Calico adds.
func makeEndpoints(count: Int) -> [[String: String]] {
    var generator = SplitMix64(state: 42)
    func pick(_ values: [String]) -> String { values[Int(generator.next() % UInt64(values.count))] }
    let apps = ["web", "api", "db", "cache", "queue", "worker", "frontend", "kube-dns", "metrics", "auth"]
    return (0..<count).map { index in
        var labels: [String: String] = [
            "app": pick(apps),
            "projectcalico.org/namespace": pick(["prod", "staging", "dev", "kube-system", "monitoring"]),
            "projectcalico.org/orchestrator": "k8s",
            "projectcalico.org/serviceaccount": pick(["default", "web-sa", "api-sa"]),
            "pod-template-hash": String(generator.next() % 1_000_000_000, radix: 16),
            "version": "v\(generator.next() % 5).\(generator.next() % 20)",
        ]
        if generator.next() % 2 == 0 { labels["role"] = pick(["db", "cache", "queue", "frontend", "backend"]) }
        if generator.next() % 3 == 0 { labels["tier"] = pick(["frontend", "front-edge", "backend", "data"]) }
        if generator.next() % 4 == 0 { labels["pcns.team"] = pick(["payments", "search", "legacy", "platform"]) }
        if generator.next() % 10 == 0 { labels["canary"] = "true" }
        if generator.next() % 20 == 0 { labels["quarantine"] = "true" }
        labels["env"] = index % 3 == 0 ? "prod" : pick(["staging", "dev", "prod"])
        return labels
    }
}

let selectorTexts = [
    #"app == "web""#,
    #"app == "web" && projectcalico.org/namespace == "prod""#,
    #"role in {"db", "cache", "queue"} && !has(canary)"#,
    #"has(pcns.team) && pcns.team != "legacy" && tier starts with "front""#,
    #"(app == "web" || app == "api") && env in {"prod", "staging"} && !has(quarantine) || app == "kube-dns""#,
    #"app not in {"web", "api", "db", "cache", "queue", "worker", "frontend", "metrics"}"#,
    "all()",
]

/// A straightforward recursive evaluator over the tree, with Swift string comparison, for scale.
func treeWalk(_ expression: SelectorExpression, _ labels: [String: String]) -> Bool {
    switch expression {
    case .all, .global: return true
    case .has(let key): return labels[key] != nil
    case .equal(let key, let value): return labels[key] == value
    case .notEqual(let key, let value): return labels[key] != value
    case .in(let key, let values): return labels[key].map(values.contains) ?? false
    case .notIn(let key, let values): return labels[key].map { !values.contains($0) } ?? true
    case .contains(let key, let value): return labels[key].map { $0.contains(value) } ?? false
    case .startsWith(let key, let value): return labels[key].map { $0.hasPrefix(value) } ?? false
    case .endsWith(let key, let value): return labels[key].map { $0.hasSuffix(value) } ?? false
    case .not(let operand): return !treeWalk(operand, labels)
    case .and(let operands): return operands.allSatisfy { treeWalk($0, labels) }
    case .or(let operands): return operands.contains { treeWalk($0, labels) }
    }
}

/// Runs `body` `runs` times and returns the median duration in nanoseconds.
func medianNanoseconds(runs: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<runs {
        let elapsed = clock.measure(body)
        samples.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
    }
    return samples.sorted()[runs / 2]
}

func format(_ value: Double, _ decimals: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return String(rounded)
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func leftPad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

// `selector-bench evaluate` or `selector-bench parse` runs one half, e.g. under `perf record`.
let mode = CommandLine.arguments.dropFirst().first ?? "all"
let endpoints = makeEndpoints(count: 4096)
let rounds = 50
let runs = 7
let evaluations = Double(endpoints.count * rounds)
print(
    "selector-bench: \(endpoints.count) label maps (6-11 labels each), \(rounds) passes per run, median of \(runs) runs"
)
print("No external evaluator to compare against; figures are absolute. 'tree walk' is a recursive evaluator")
print("over the same syntax tree with Swift string comparison, for scale.")
print("")
print(
    pad("selector", 62) + leftPad("match%", 7) + leftPad("ns/eval", 9) + leftPad("Meval/s", 9)
        + leftPad("tree walk", 11)
        + leftPad("ratio", 7))

var sink = 0
var compiledTotal = 0.0
var walkTotal = 0.0
for text in selectorTexts where mode != "parse" {
    let selector = try Selector(parsing: text)
    var matches = 0
    let compiled = medianNanoseconds(runs: runs) {
        for _ in 0..<rounds {
            for labels in endpoints where selector.matches(labels) { matches += 1 }
        }
    }
    let expression = selector.expression
    var walkMatches = 0
    let walked = medianNanoseconds(runs: runs) {
        for _ in 0..<rounds {
            for labels in endpoints where treeWalk(expression, labels) { walkMatches += 1 }
        }
    }
    precondition(matches == walkMatches, "the tree walk and the compiled program disagree on \(text)")
    sink &+= matches
    let perEvaluation = compiled / evaluations
    let perWalk = walked / evaluations
    compiledTotal += perEvaluation
    walkTotal += perWalk
    let shown = text.count > 60 ? String(text.prefix(57)) + "..." : text
    let matchPercent = Double(matches) / Double(runs) / evaluations * 100
    print(
        pad(shown, 62) + leftPad(format(matchPercent), 7) + leftPad(format(perEvaluation), 9)
            + leftPad(format(1e3 / perEvaluation, 2), 9) + leftPad(format(perWalk), 11)
            + leftPad(format(perWalk / perEvaluation, 2) + "x", 7))
}

// The floor: one dictionary lookup and comparison per label map.
var floorMatches = 0
let floor = medianNanoseconds(runs: mode == "parse" ? 1 : runs) {
    for _ in 0..<rounds {
        for labels in endpoints where labels["app"] == "web" { floorMatches += 1 }
    }
}
sink &+= floorMatches
print(
    pad("(floor: labels[\"app\"] == \"web\" written by hand)", 62) + leftPad("", 7)
        + leftPad(format(floor / evaluations), 9)
        + leftPad(format(1e3 / (floor / evaluations), 2), 9))
print(
    "mean over the selectors: compiled \(format(compiledTotal / Double(selectorTexts.count))) ns/eval, "
        + "tree walk \(format(walkTotal / Double(selectorTexts.count))) ns/eval")

// Parsing: tokenize, parse, normalise, render the canonical form and compile.
print("")
print(pad("parse + compile", 62) + leftPad("bytes", 7) + leftPad("ns/parse", 10) + leftPad("MB/s", 8))
let parseRounds = 20_000
for text in selectorTexts + [String(repeating: #"has(a) && b == "c" || "#, count: 40) + "all()"]
where mode != "evaluate" {
    let nanoseconds = medianNanoseconds(runs: runs) {
        for _ in 0..<parseRounds {
            if let selector = try? Selector(parsing: text) { sink &+= selector.canonical.utf8.count }
        }
    }
    let perParse = nanoseconds / Double(parseRounds)
    let bytes = text.utf8.count
    let shown = text.count > 60 ? String(text.prefix(57)) + "..." : text
    print(
        pad(shown, 62) + leftPad(String(bytes), 7) + leftPad(format(perParse), 10)
            + leftPad(format(Double(bytes) / perParse * 1e3), 8))
}
print("")
print("(checksum \(sink))")
