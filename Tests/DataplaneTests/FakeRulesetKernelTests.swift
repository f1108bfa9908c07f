import Dataplane
import Glibc
import NFTables
import PolicyRendering
import SystemError
import Testing

/// The fake's own nf_tables semantics.
@Suite("Fake nf_tables")
struct FakeRulesetKernelTests {
    static let table = Table(family: .ip, name: "t")
    static let chain = Chain(table: table, name: "c")
    static let set = NamedSet(table: table, name: "s", keyType: .ipv4Address)

    func errnos(_ kernel: FakeRulesetKernel, _ operations: [Operation]) -> [Errno] {
        do throws(NFTablesError) {
            try kernel.foreignCommit(Transaction(operations))
            return []
        } catch {
            guard case .rejected(let failures) = error else { return [] }
            return failures.map(\.errno)
        }
    }

    @Test func refusalsHaveTheKernelsErrnos() throws {
        let kernel = FakeRulesetKernel()
        let element = SetElement(key: [192, 0, 2, 1])
        #expect(errnos(kernel, [.deleteTable(Self.table)]) == [Errno(ENOENT)])
        #expect(errnos(kernel, [.addRule(Rule(in: Self.chain, [.accept]))]) == [Errno(ENOENT)])
        try kernel.foreignCommit(Transaction([.addTable(Self.table), .addChain(Self.chain), .addSet(Self.set)]))
        #expect(errnos(kernel, [.deleteChain(Chain(table: Self.table, name: "missing"))]) == [Errno(ENOENT)])
        #expect(errnos(kernel, [.deleteElements([element], from: Self.set)]) == [Errno(ENOENT)])
        #expect(errnos(kernel, [.addRule(Rule(in: Self.chain, [.jump("missing")]))]) == [Errno(ENOENT)])
        let lookup = Rule(in: Self.chain, [.lookup([.ipv4(.saddr)], set: "s"), .accept])
        try kernel.foreignCommit(Transaction([.addRule(lookup)]))
        #expect(errnos(kernel, [.deleteChain(Self.chain)]) == [Errno(EBUSY)], "a chain with rules")
        #expect(errnos(kernel, [.deleteSet(Self.set)]) == [Errno(EBUSY)], "a set a rule looks up")
        let other = NamedSet(table: Self.table, name: "s", keyType: .inetService)
        #expect(errnos(kernel, [.addSet(other)]) == [Errno(EEXIST)])
        let base = Chain(table: Self.table, name: "c", base: BaseChain(type: .filter, hook: .input, priority: 0))
        #expect(errnos(kernel, [.addChain(base)]) == [Errno(EEXIST)])
    }

    @Test func aTransactionAppliesAllOrNothingAndMovesTheGenerationOnce() throws {
        let kernel = FakeRulesetKernel()
        try kernel.foreignCommit(Transaction([.addTable(Self.table), .addChain(Self.chain)]))
        #expect(kernel.currentGeneration == 2)
        let before = kernel.tables
        let failures = errnos(
            kernel, [.addSet(Self.set), .flushChain(Chain(table: Self.table, name: "x")), .deleteTable(Self.table)])
        #expect(failures == [Errno(ENOENT)])
        #expect(kernel.tables == before && kernel.currentGeneration == 2)
        // Deleting and recreating a table in one transaction is fine; re-adding what exists changes nothing.
        try kernel.foreignCommit(Transaction([.deleteTable(Self.table), .addTable(Self.table), .addChain(Self.chain)]))
        #expect(kernel.currentGeneration == 3)
        try kernel.foreignCommit(Transaction([.addTable(Self.table), .addChain(Self.chain)]))
        #expect(kernel.currentGeneration == 3)
        #expect(throws: NFTablesError.self) {
            try kernel.foreignCommit(Transaction([.deleteRule(Rule(in: Self.chain, [.accept]))]))
        }
    }

    @Test func listedRulesCarryNoHandlesAndDeleteRuleNeedsOne() throws {
        let kernel = FakeRulesetKernel()
        try kernel.foreignCommit(
            Transaction([.addTable(Self.table), .addChain(Self.chain), .addRule(Rule(in: Self.chain, [.accept]))]))
        let stored = try #require(kernel.tables[Self.table]?.chains["c"]?.rules.first)
        #expect(stored.handle != nil)
        #expect(try kernel.listTable(Self.table)?.chains["c"]?.rules.first?.handle == nil)
        try kernel.foreignCommit(Transaction([.deleteRule(stored)]))
        #expect(kernel.tables[Self.table]?.chains["c"]?.rules.isEmpty == true)
        #expect(errnos(kernel, [.deleteRule(stored)]) == [Errno(ENOENT)])
    }
}
