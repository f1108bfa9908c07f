// policy-dataplane-bench: Tabby's nf_tables ruleset for 1,000 policies over 10,000 endpoints (100 on this node),
// from cold and for one label change, against `nft -f` loading the same ruleset, in fresh network namespaces
// (tabby-bench-pol-*), printing medians and ratios. Run as root: bench/policy-dataplane/run.sh [--quick]
// [--runs N] [--resync-only] (only the resync measurement, to profile it).
import CalicoAPI
import Dataplane
@preconcurrency import Glibc
import NFTables
import Policy
import PolicyRendering

setvbuf(stdout, nil, _IOLBF, 0)
let quick = CommandLine.arguments.contains("--quick")
let runs =
    CommandLine.arguments.firstIndex(of: "--runs").flatMap { Int(CommandLine.arguments[$0 + 1]) }
    ?? (quick ? 3 : 7)
let cluster = Cluster(nodes: 100, perNode: 100, policies: 1000)
let node = "node-7"
let nft = "/usr/sbin/nft"
let settings = RenderingSettings(vxlanEnabled: true)

print(
    "policy-dataplane-bench: \(cluster.policies) policies, \(cluster.endpointCount) endpoints on \(cluster.nodes) "
        + "nodes (\(cluster.perNode) local), \(runs) runs")
var state = PolicyInputs(following: node)
let (_, loadTime) = timed { for resource in cluster.resources() { state.upsert(resource) } }
print("  policy state loaded in \(ms(loadTime)) (measured by policy-bench; not part of the figures below)")

// MARK: Cold start: program, render, one transaction into an empty namespace.

struct ColdRun {
    var program: Double
    var render: Double
    var apply: Double
    var messages: Int
    var operations: Int
}

let script = "/tmp/tabby-bench-pol-\(getpid()).nft"
defer { unlink(script) }
var colds: [ColdRun] = []
var nftLoads: [Double] = []
var ruleset = DesiredRuleset()
var sameRuleset = false
if CommandLine.arguments.contains("--resync-only") {
    ruleset = PolicyRenderer.render(state.program(node: node), settings: settings)
    try resync()
    exit(0)
}
let busy = waitForQuietMachine()
for index in 0..<runs {
    do {
        let namespace = try BenchNamespace("cold\(index)")
        defer { namespace.remove() }
        let (program, programTime) = timed {
            PolicyCalculator.program(state: state.state, cache: state.cache, node: node)
        }
        let (rendered, renderTime) = timed { PolicyRenderer.render(program, settings: settings) }
        let (report, applyTime) = try timed {
            // The socket is opened inside the timing, as an agent starting up (or a CLI run) does.
            RulesetReconciler(kernel: try NFTablesSocket()).apply(rendered)
        }
        guard report.failure == nil else { throw BenchError("apply failed: \(String(describing: report.failure))") }
        colds.append(
            ColdRun(
                program: programTime, render: renderTime, apply: applyTime, messages: report.messages,
                operations: report.operations))
        ruleset = rendered
        if index == 0 { try run([nft, "list", "ruleset"], output: script) }
    }
    // The same ruleset as nft reads it back, loaded by nft in a fresh namespace (alternating which goes first
    // does not matter: every load is in its own namespace).
    do {
        let namespace = try BenchNamespace("nft\(index)")
        defer { namespace.remove() }
        let (_, loadTime) = try timed { try run([nft, "-f", script]) }
        nftLoads.append(loadTime)
        if index == 0 {
            let socket = try NFTablesSocket()
            let tables = try RulesetReconciler.defaultTables.compactMap { try socket.listTable($0) }
            sameRuleset = DesiredRuleset(tables: tables) == ruleset
            if !sameRuleset, CommandLine.arguments.contains("--explain") {
                for (kernel, desired) in zip(tables, ruleset.tables) {
                    for (name, chain) in desired.chains where kernel.chains[name] != chain {
                        print("  differs: chain \(name)")
                        for (a, b) in zip(chain.rules, kernel.chains[name]?.rules ?? []) where a != b {
                            print("    desired \(a.expressions)\n    nft     \(b.expressions)")
                            break
                        }
                        break
                    }
                    for (name, set) in desired.sets where kernel.sets[name] != set {
                        let other = kernel.sets[name]
                        print("  differs: set \(name): \(set.namedSet) vs \(String(describing: other?.namedSet)),")
                        print("    \(set.elements.count) vs \(other?.elements.count ?? -1) elements")
                    }
                }
            }
        }
    }
}
let counts = ruleset.counts
let applyMedian = median(colds.map(\.apply))
let totalMedian = median(colds.map { $0.program + $0.render + $0.apply })
let nftMedian = median(nftLoads)
print("  ruleset: \(counts.chains) chains, \(counts.rules) rules, \(counts.sets) sets, \(counts.elements) elements")
print("  nft -f of `nft list ruleset` gives the same ruleset back: \(sameRuleset ? "yes" : "NO")")
print("cold start (machine busy \(Int(busy * 100))% before)")
print("  program (PolicyCalculator)         \(ms(median(colds.map(\.program))))")
print("  render (PolicyRenderer)            \(ms(median(colds.map(\.render))))")
print(
    "  apply (one transaction)            \(ms(applyMedian))  \(medianInt(colds.map(\.operations))) operations, "
        + "\(medianInt(colds.map(\.messages))) netlink messages")
print("  Tabby total                        \(ms(totalMedian))")
print("  nft -f (same ruleset)              \(ms(nftMedian))")
print("  ratio nft -f / Tabby apply         \(ratio(nftMedian, applyMedian))")
print("  ratio nft -f / Tabby total         \(ratio(nftMedian, totalMedian))")

// MARK: One label change at that size.

/// Relabels endpoint `index` between two apps, `runs` times each way, measuring the state update, the program,
/// the render and the transaction. nft works on its own copy of the ruleset in a second namespace: it applies
/// the same element changes with `nft -f` when the change is only elements, and reloads the whole table (what a
/// script regenerating the ruleset does).
@MainActor
func labelChange(_ title: String, endpoint index: Int, apps: (Int, Int)) throws {
    let copy = try BenchNamespace("nftcopy\(index)")
    defer { copy.remove() }
    try run([nft, "-f", script])
    let namespace = try BenchNamespace("label\(index)")
    defer { namespace.remove() }
    let reconciler = RulesetReconciler(kernel: try NFTablesSocket())
    let renderer = RulesetRenderer()
    var current = renderer.render(state.program(node: node), settings: settings)
    _ = reconciler.apply(current)
    var totals: [Double] = []
    var updates: [Double] = []
    var programs: [Double] = []
    var renders: [Double] = []
    var applies: [Double] = []
    var operations: [Int] = []
    var messages: [Int] = []
    var deltaLoads: [Double] = []
    var fullLoads: [Double] = []
    var kinds: [String: Int] = [:]
    for step in 0..<(2 * runs) {
        try namespace.enter()
        let app = step % 2 == 0 ? apps.1 : apps.0
        let start = now()
        state.upsert(cluster.endpoint(index, app: app))
        let updated = now()
        let program = state.program(node: node)
        let calculated = now()
        let rendered = renderer.render(program, settings: settings)
        let renderedAt = now()
        let report = reconciler.apply(rendered)
        let end = now()
        totals.append(end - start)
        updates.append(updated - start)
        programs.append(calculated - updated)
        renders.append(renderedAt - calculated)
        applies.append(end - renderedAt)
        guard report.failure == nil else {
            throw BenchError("label change failed: \(String(describing: report.failure))")
        }
        operations.append(report.operations)
        messages.append(report.messages)

        try copy.enter()
        var commands: [String] = []
        var onlyElements = true
        for table in rendered.tables {
            for operation in RulesetPlanner.plan(current: current.table(table.table.family), desired: table) {
                kinds[operation.verb + " " + operationKind(operation), default: 0] += 1
                switch operation {
                case .addElements(let elements, let set):
                    let text = elements.map { $0.description(keyType: set.keyType) }.joined(separator: ", ")
                    commands.append("add element \(set.table) \(set.name) { \(text) }")
                case .deleteElements(let elements, let set):
                    let text = elements.map { $0.description(keyType: set.keyType) }.joined(separator: ", ")
                    commands.append("delete element \(set.table) \(set.name) { \(text) }")
                default: onlyElements = false
                }
            }
        }
        if onlyElements && !commands.isEmpty {
            let path = script + ".delta"
            defer { unlink(path) }
            try (commands.joined(separator: "\n") + "\n").write(path)
            deltaLoads.append(try timed { try run([nft, "-f", path]) }.1)
        }
        // The whole table again, atomically: delete and load in one nft -f.
        try namespace.enter()
        let full = script + ".full"
        defer { unlink(full) }
        try run([nft, "list", "ruleset"], output: full)
        try ("delete table ip tabby\ndelete table ip6 tabby\n" + (try readFile(full))).write(full)
        try copy.enter()
        fullLoads.append(try timed { try run([nft, "-f", full]) }.1)
        current = rendered
    }
    let total = median(totals)
    print("\(title)")
    print(
        "  Tabby: state + program + render + apply  \(ms(total)), \(medianInt(operations)) operations, "
            + "\(medianInt(messages)) netlink messages")
    print(
        "    state update \(ms(median(updates))), program \(ms(median(programs))), render (with memory) "
            + "\(ms(median(renders))), apply \(ms(median(applies)))")
    let steps = 2 * runs
    let perChange = kinds.sorted { $0.key < $1.key }.map {
        String(format: "%g", Double($0.value) / Double(steps)) + " \($0.key)"
    }
    print("    per change: " + perChange.joined(separator: ", "))
    if !deltaLoads.isEmpty {
        let delta = median(deltaLoads)
        print("  nft -f with the same element changes    \(ms(delta))  ratio \(ratio(delta, total))")
    }
    print(
        "  nft -f reloading the whole table         \(ms(median(fullLoads)))  ratio \(ratio(median(fullLoads), total))")
}

func operationKind(_ operation: Operation) -> String {
    switch operation {
    case .addTable, .deleteTable, .flushTable: "table"
    case .addChain, .deleteChain, .flushChain: "chain"
    case .addSet, .deleteSet, .flushSet: "set"
    case .addElements, .deleteElements: "elements"
    case .addRule, .deleteRule: "rule"
    }
}

extension String {
    func write(_ path: String) throws {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path)") }
        defer { fclose(file) }
        fputs(self, file)
    }

}

func readFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw BenchError("cannot read \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count <= 0 { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

// MARK: A resync with nothing changed: list Tabby's tables and compare (what follows anyone's commit).

@MainActor
func resync() throws {
    let namespace = try BenchNamespace("resync")
    defer { namespace.remove() }
    let socket = try NFTablesSocket()
    let reconciler = RulesetReconciler(kernel: socket)
    _ = reconciler.apply(ruleset)
    // Another program's table, whose one element each "foreign commit" adds or deletes (outside the timing).
    let foreign = Table(family: .inet, name: "bench-foreign")
    let blocked = NamedSet(table: foreign, name: "blocked", keyType: .ipv4Address)
    let element = SetElement(key: [192, 0, 2, 7])
    try socket.commit(Transaction([.addTable(foreign), .addSet(blocked)]))
    var resyncs: [Double] = []
    var afterCommit: [Double] = []
    var listings: [Double] = []
    for index in 0..<runs {
        reconciler.requestResync()
        let (report, time) = timed { reconciler.apply(ruleset) }
        guard report.operations == 0, report.failure == nil else { throw BenchError("resync changed something") }
        resyncs.append(time)
        let change: Operation =
            index % 2 == 0 ? .addElements([element], to: blocked) : .deleteElements([element], from: blocked)
        try socket.commit(Transaction([change]))
        reconciler.requestResync()
        let (listed, listedTime) = timed { reconciler.apply(ruleset) }
        guard listed.operations == 0, listed.failure == nil, listed.listed else {
            throw BenchError("resync after a foreign commit did not list, or changed something")
        }
        afterCommit.append(listedTime)
        listings.append(try timed { try run([nft, "list", "ruleset"]) }.1)
    }
    let listing = median(listings)
    print("resync with nothing changed (commit nothing)")
    print("  Tabby, nobody committed since           \(ms(median(resyncs)))  ratio \(ratio(listing, median(resyncs)))")
    print(
        "  Tabby, after another program's commit   \(ms(median(afterCommit)))  (lists both tables, compares)  "
            + "ratio \(ratio(listing, median(afterCommit)))")
    print("  nft list ruleset (reading only)          \(ms(listing))")
}

_ = waitForQuietMachine()
try resync()
// Endpoint 8 lives on node-8: its address moves between selector sets this node uses.
try labelChange("one label change, remote endpoint (set elements only)", endpoint: 8, apps: (8, 9))
// Endpoint 7 lives on this node: the policies that select it change, so its chains are rewritten.
try labelChange("one label change, local endpoint (its chains rewritten)", endpoint: 7, apps: (7, 107))
