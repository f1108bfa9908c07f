import Dataplane
import Foundation
import NFTables
import PolicyRendering
import SystemError
import Testing

/// The real kernel, except that the next commit first has another program delete a table (with `nft`): the
/// transaction was planned against a table that is gone by the time it reaches the kernel.
private final class TableDeletingKernel: RulesetKernel {
    let socket: NFTablesSocket
    let namespace: TestNamespace
    var deleteBeforeNextCommit: Table?

    init(_ namespace: TestNamespace) throws {
        self.namespace = namespace
        socket = try namespace.nftSocket()
    }

    func listTable(_ table: Table) throws(NFTablesError) -> DesiredTable? { try socket.listTable(table) }

    func listTable(_ table: Table, reusing known: [String: KnownChainRules]) throws(NFTablesError) -> ListedTable? {
        try socket.listTable(table, reusing: known)
    }

    func listStructure(_ table: Table) throws(NFTablesError) -> DesiredTable? { try socket.listStructure(table) }

    func generation() throws(NFTablesError) -> UInt32 { try socket.generation() }

    func commit(_ transaction: Transaction) throws(NFTablesError) {
        if let table = deleteBeforeNextCommit {
            deleteBeforeNextCommit = nil
            // If nft cannot delete it, the test's checks that the table is gone fail: nothing to handle here.
            _ = try? namespace.nft("delete", "table", "\(table.family)", table.name)
        }
        try socket.commit(transaction)
    }
}

/// A `tabby` table deleted between planning and commit: the commit fails cleanly (the transaction is atomic, so
/// nothing of it lands, in either family), the reconciler reports the failure, and the next pass lists the
/// kernel, rebuilds the table and converges. Each test in its own network namespace.
@Suite("A table deleted while a transaction is built", needsNamespaces)
struct TableDeletedMidTransactionTests {
    private let ip = Table(family: .ip, name: "tabby")
    private let ip6 = Table(family: .ip6, name: "tabby")

    private func listed(_ socket: NFTablesSocket) throws -> DesiredRuleset {
        DesiredRuleset(tables: try RulesetReconciler.defaultTables.compactMap { try socket.listTable($0) })
    }

    @Test func anIncrementalChangeFailsCleanlyAndTheNextPassRebuilds() async throws {
        try await TestNamespace.with { ns in
            let kernel = try TableDeletingKernel(ns)
            let reconciler = RulesetReconciler(kernel: kernel)
            #expect(reconciler.apply(PolicyRenderer.render(sampleProgram(), settings: sampleSettings)).failure == nil)
            let ip6Before = try ns.nft("list", "table", "ip6", "tabby")

            // A label change: one more frontend address, planned as element additions in both families.
            let program = sampleProgram(frontendAddresses: ["198.51.100.10/32", "198.51.100.11/32", "2001:db8::11/128"])
            let desired = PolicyRenderer.render(program, settings: sampleSettings)
            kernel.deleteBeforeNextCommit = ip
            let failed = reconciler.apply(desired)
            let failure = try #require(failed.failure, "the commit into a deleted table must fail")
            #expect(failure.step == .commit)
            #expect(failure.errno == Errno(ENOENT), "\(failure)")
            #expect("\(failure)".contains("ip tabby"), "the failure names the table: \(failure)")
            #expect(failed.operations > 0 && !failed.listed)
            // Nothing of the transaction landed: the ip table stays gone, the ip6 one is as it was.
            #expect(try kernel.socket.listTable(ip) == nil)
            #expect(try ns.nft("list", "table", "ip6", "tabby") == ip6Before)

            let repaired = reconciler.apply(desired)
            #expect(repaired.failure == nil, "\(String(describing: repaired.failure))")
            #expect(repaired.listed && repaired.repaired == ["ip tabby"])
            #expect(try listed(kernel.socket) == desired)
            let settled = reconciler.apply(desired)
            #expect(settled.failure == nil && settled.operations == 0)
        }
    }

    @Test func aRebuildWhoseTableVanishesFailsCleanlyAndTheNextPassBuildsAfresh() async throws {
        try await TestNamespace.with { ns in
            let kernel = try TableDeletingKernel(ns)
            let reconciler = RulesetReconciler(kernel: kernel)
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            #expect(reconciler.apply(desired).failure == nil)
            // A set retyped by hand cannot be changed in place: the repair deletes and rebuilds the table, and
            // the table is deleted by someone else just before that transaction reaches the kernel.
            try ns.nft("flush", "chain", "ip", "tabby", "nat-outgoing")
            try ns.nft("delete", "set", "ip", "tabby", "all-ipam-pools")
            try ns.nft("add", "set", "ip", "tabby", "all-ipam-pools", "{ type inet_service; }")
            #expect(reconciler.checkForChanges())
            kernel.deleteBeforeNextCommit = ip
            let failed = reconciler.apply(desired)
            #expect(failed.rebuilt == ["ip tabby"])
            let failure = try #require(failed.failure, "deleting a table that is gone must fail")
            #expect(failure.step == .commit && failure.errno == Errno(ENOENT), "\(failure)")
            #expect(try kernel.socket.listTable(ip) == nil, "the failed transaction created nothing")
            #expect(try kernel.socket.listTable(ip6) == desired.table(.ip6))

            let rebuilt = reconciler.apply(desired)
            #expect(rebuilt.failure == nil, "\(String(describing: rebuilt.failure))")
            #expect(rebuilt.listed && rebuilt.repaired == ["ip tabby"])
            #expect(try listed(kernel.socket) == desired)
            #expect(reconciler.apply(desired).operations == 0)
        }
    }
}
