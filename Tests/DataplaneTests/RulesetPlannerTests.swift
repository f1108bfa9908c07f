import NetworkAddress
import Dataplane
import NFTables
import NetworkAddress
import PolicyRendering
import Testing

/// The planner on hand-made tables: what changes, in which order.
@Suite struct RulesetPlannerTests {
    static let table = Table(family: .ip, name: "tabby")
    static let set = NamedSet(table: table, name: "s", keyType: .ipv4Address, flags: [.interval])
    static let map = NamedSet.verdictMap(table: table, name: "m", keyType: .ifname)

    func element(_ last: UInt8) -> SetElement { SetElement(.ipv4(IPv4Address(198, 51, 100, last))) }

    func sample() -> DesiredTable {
        var table = DesiredTable(table: Self.table)
        let input = Chain(table: Self.table, name: "input", base: BaseChain(type: .filter, hook: .input, priority: 0))
        table.add(DesiredChain(chain: input, rules: [Rule(in: input, comment: "tabby:a", [.jump("a")])]))
        let a = Chain(table: Self.table, name: "a")
        table.add(
            DesiredChain(
                chain: a, rules: [Rule(in: a, comment: "tabby:x", [.lookup([.ipv4(.saddr)], set: "s"), .accept])]))
        table.add(DesiredSet(set: Self.set, elements: [element(1), element(2)]))
        table.add(DesiredSet(set: Self.map, elements: [SetElement(.ifname("cali1"), verdict: .goto("a"))]))
        return table
    }

    @Test func buildsFromNothingAndDeletesWhenNotDesired() {
        let desired = sample()
        let build = RulesetPlanner.plan(current: nil, desired: desired)
        #expect(build.first == .addTable(Self.table))
        #expect(build.count == 1 + 2 + 2 + 2 + 2)  // table, chains, sets, elements of s and m, rules
        let firstRule = build.firstIndex { if case .addRule = $0 { true } else { false } } ?? 0
        let lastDefinition = build.lastIndex { if case .addRule = $0 { false } else { true } } ?? 0
        #expect(lastDefinition < firstRule, "every chain, set and element exists before the rules that use them")
        #expect(RulesetPlanner.plan(current: desired, desired: nil) == [.deleteTable(Self.table)])
        #expect(RulesetPlanner.plan(current: desired, desired: desired).isEmpty)
    }

    @Test func changesOnlyTheDifference() {
        let current = sample()
        var desired = current
        desired.sets["s"]?.elements = [element(2), element(3)]
        #expect(
            RulesetPlanner.plan(current: current, desired: desired) == [
                .deleteElements([element(1)], from: Self.set), .addElements([element(3)], to: Self.set),
            ])
        // A map entry whose verdict changes is deleted first: the kernel refuses an add over a different one.
        let b = Chain(table: Self.table, name: "b")
        desired = current
        desired.add(DesiredChain(chain: b))
        desired.sets["m"]?.elements = [SetElement(.ifname("cali1"), verdict: .goto("b"))]
        #expect(
            RulesetPlanner.plan(current: current, desired: desired) == [
                .addChain(b), .deleteElements([SetElement(.ifname("cali1"), verdict: .goto("a"))], from: Self.map),
                .addElements([SetElement(.ifname("cali1"), verdict: .goto("b"))], to: Self.map),
            ])
    }

    @Test func rewritesAChangedChainAndRemovesStaleOnesAfterTheirUsers() {
        let current = sample()
        var desired = current
        let input = current.chains["input"]!.chain
        desired.chains["input"]?.rules = [Rule(in: input, comment: "tabby:drop", [.drop])]
        desired.chains["a"] = nil
        desired.sets["s"] = nil
        desired.sets["m"]?.elements = []
        let plan = RulesetPlanner.plan(current: current, desired: desired)
        #expect(
            plan == [
                .deleteElements([SetElement(.ifname("cali1"), verdict: .goto("a"))], from: Self.map),
                .flushChain(input), .addRule(Rule(in: input, comment: "tabby:drop", [.drop])),
                .flushChain(current.chains["a"]!.chain), .deleteChain(current.chains["a"]!.chain),
                .deleteSet(Self.set),
            ])
    }

    @Test func aChangedSetTypeOrHookRebuildsTheTable() {
        let current = sample()
        var desired = current
        desired.sets["s"]?.namedSet.flags = []
        desired.sets["s"]?.elements = [element(1)]
        let plan = RulesetPlanner.plan(current: current, desired: desired)
        #expect(plan.first == .deleteTable(Self.table))
        #expect(Array(plan.dropFirst()) == RulesetPlanner.build(desired))
        #expect(!RulesetPlanner.canChangeInPlace(current, desired))
        #expect(
            RulesetPlanner.plan(current: current, desired: current, rebuild: true).first == .deleteTable(Self.table))
    }

    @Test func countsMessagesAsTheEncoderChunksElements() {
        let hash = NamedSet(table: Self.table, name: "h", keyType: .ipv4Address)
        func keys(_ count: Int) -> [SetElement] {
            (0..<count).map { SetElement(.ipv4(IPv4Address(UInt32(0xC633_0000) + UInt32($0)))) }
        }
        // 16 bytes per IPv4 key in a hash set: 4,095 fit the 65,535-byte nest with its 4-byte header.
        #expect(TransactionSize.messages(.addElements(keys(4095), to: hash)) == 1)
        #expect(TransactionSize.messages(.addElements(keys(4096), to: hash)) == 2)
        // In an interval set a single address is a start and an end element (40 bytes).
        #expect(TransactionSize.messages(.addElements(keys(1638), to: Self.set)) == 1)
        #expect(TransactionSize.messages(.addElements(keys(1639), to: Self.set)) == 2)
        #expect(TransactionSize.messages(.addElements([], to: Self.set)) == 0)
        let transaction = Transaction([
            .addTable(Self.table), .addElements(keys(5000), to: hash), .flushChain(Chain(table: Self.table, name: "a")),
        ])
        #expect(TransactionSize.messages(transaction) == 4)
    }
}
