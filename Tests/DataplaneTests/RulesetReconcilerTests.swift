import Dataplane
import Glibc
import NFTables
import PolicyRendering
import SystemError
import Testing

/// The RulesetReconciler on the in-memory nf_tables (no root).
@Suite("Ruleset reconciler (fake nf_tables)")
struct RulesetReconcilerTests {
    static let ip = Table(family: .ip, name: "tabby")
    static let ip6 = Table(family: .ip6, name: "tabby")

    func desired(frontends: [String] = ["198.51.100.10/32"]) -> DesiredRuleset {
        PolicyRenderer.render(sampleProgram(frontendAddresses: frontends), settings: sampleSettings)
    }

    /// What the fake holds, in the listed form.
    func listed(_ kernel: FakeRulesetKernel) throws -> DesiredRuleset {
        DesiredRuleset(tables: try [Self.ip, Self.ip6].compactMap { try kernel.listTable($0) })
    }

    @Test func theFirstApplyBuildsEverythingInOneTransaction() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        let report = reconciler.apply(desired())
        #expect(report.failure == nil && report.listed)
        #expect(report.operations > 20 && report.messages >= report.operations)
        #expect(kernel.commits.count == 1 && kernel.commits.first?.operations.count == report.operations)
        #expect(kernel.currentGeneration == 2)
        #expect(try listed(kernel) == desired())
        #expect(reconciler.summary.counts == desired().counts)
    }

    @Test func applyingTheSameRulesetAgainMakesNoOperationsAndListsNothing() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        _ = reconciler.apply(desired())
        let listings = kernel.fullListings
        let again = reconciler.apply(desired())
        #expect(again.operations == 0 && again.messages == 0 && !again.listed && again.failure == nil)
        #expect(kernel.commits.count == 1 && kernel.fullListings == listings)
        #expect(!reconciler.checkForChanges())
    }

    @Test func aPeriodicResyncWithoutCommitsIsOneGenerationRead() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        _ = reconciler.apply(desired())
        let listings = kernel.fullListings
        reconciler.requestResync()
        let resync = reconciler.apply(desired())
        #expect(resync.verifiedByGeneration && !resync.listed && resync.operations == 0)
        #expect(kernel.fullListings == listings && kernel.structureListings == 0)

        // Someone committed (to another table): the next resync lists and compares, and finds nothing to do.
        kernel.commitElsewhere()
        reconciler.requestResync()
        let listed = reconciler.apply(desired())
        #expect(listed.listed && !listed.verifiedByGeneration && listed.operations == 0 && listed.repaired.isEmpty)
        #expect(kernel.fullListings == listings + 2)
        // And that listing is the new reference point.
        reconciler.requestResync()
        #expect(reconciler.apply(desired()).verifiedByGeneration)
    }

    @Test func aCommitThatRacesAnotherProgramsLeavesTheViewUnverified() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        _ = reconciler.apply(desired())
        // Another program commits, unseen, and then the reconciler commits: its view is not known to be exact.
        kernel.edit(Self.ip) { table in table?.chains["tw-caliweb"]?.rules = [] }
        let change = reconciler.apply(desired(frontends: ["198.51.100.10/32", "198.51.100.11/32"]))
        #expect(change.operations == 1 && change.failure == nil)
        reconciler.requestResync()
        let resync = reconciler.apply(desired(frontends: ["198.51.100.10/32", "198.51.100.11/32"]))
        #expect(resync.listed && resync.repaired == ["ip tabby"] && resync.operations > 0)
        #expect(try listed(kernel) == desired(frontends: ["198.51.100.10/32", "198.51.100.11/32"]))
    }

    @Test func oneSetElementChangeIsOneSmallTransaction() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        _ = reconciler.apply(desired())
        let report = reconciler.apply(desired(frontends: ["198.51.100.10/32", "198.51.100.11/32"]))
        #expect(report.failure == nil && report.operations == 1 && report.messages == 1 && !report.listed)
        let last = try #require(kernel.commits.last?.operations)
        guard case .addElements(let elements, let set) = try #require(last.first) else {
            Issue.record("expected one element addition, got \(last)")
            return
        }
        #expect(set.table == Self.ip && elements.count == 1)
        #expect(try listed(kernel) == desired(frontends: ["198.51.100.10/32", "198.51.100.11/32"]))
        let back = reconciler.apply(desired())
        #expect(back.operations == 1 && back.failure == nil)
        #expect(try listed(kernel) == desired())
    }

    @Test func aDeletedTableIsRestored() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        _ = reconciler.apply(desired())
        kernel.edit(Self.ip) { $0 = nil }
        #expect(reconciler.checkForChanges())
        let restored = reconciler.apply(desired())
        #expect(restored.listed && restored.failure == nil && restored.repaired == ["ip tabby"])
        #expect(restored.rebuilt.isEmpty)
        #expect(try listed(kernel) == desired())
        #expect(!reconciler.checkForChanges())
    }

    @Test func anEditedChainIsRepairedByTheNextResyncOrAfterTheInterval() throws {
        let clock = ManualClock()
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel, fullCheckInterval: .seconds(5), clock: { clock.now })
        _ = reconciler.apply(desired())
        // A rule appended by hand: names are unchanged, so the cheap check waits for the interval.
        kernel.edit(Self.ip) { table in
            table?.chains["tw-caliweb"]?.rules.append(Rule(table: Self.ip, chain: "tw-caliweb", [.accept]))
        }
        #expect(!reconciler.checkForChanges())
        #expect(kernel.structureListings == 2)
        clock.advance(by: .seconds(5))
        #expect(reconciler.checkForChanges())
        let repaired = reconciler.apply(desired())
        #expect(repaired.listed && repaired.repaired == ["ip tabby"])
        #expect(try listed(kernel) == desired())

        // The same edit found by the periodic resync, at once.
        kernel.edit(Self.ip6) { table in table?.chains["tw-caliweb"]?.rules.removeLast() }
        reconciler.requestResync()
        let resync = reconciler.apply(desired())
        #expect(resync.listed && resync.repaired == ["ip6 tabby"] && resync.failure == nil)
        #expect(try listed(kernel) == desired())
    }

    @Test func aChangedSetTypeRebuildsTheTableInOneTransaction() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        let wanted = desired()
        _ = reconciler.apply(wanted)
        kernel.edit(Self.ip) { table in
            let name = "all-ipam-pools"
            guard let set = table?.sets[name]?.namedSet else { return }
            table?.sets[name] = DesiredSet(set: NamedSet(table: set.table, name: name, keyType: .inetService))
        }
        #expect(reconciler.checkForChanges())
        let report = reconciler.apply(wanted)
        #expect(report.failure == nil && report.rebuilt == ["ip tabby"])
        #expect(report.operations == RulesetPlanner.build(try #require(wanted.table(.ip))).count + 1)
        #expect(try listed(kernel) == wanted)
    }

    @Test func aRejectedCommitIsReportedTypedAndChangesNothing() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        _ = reconciler.apply(desired())
        // Someone removes an element behind the reconciler's back, unseen: deleting it again fails.
        kernel.edit(Self.ip) { table in table?.sets["s-frontend"]?.elements = [] }
        let before = kernel.tables
        let generation = kernel.currentGeneration
        let failed = reconciler.apply(desired(frontends: []))
        let failure = try #require(failed.failure)
        #expect(failure.step == .commit && failure.errno == Errno(ENOENT))
        let rejected = try #require(failure.rejectedOperation)
        #expect(rejected.verb == "delete")
        #expect(rejected.object == .elements(Self.ip, set: "s-frontend", element: "198.51.100.10"))
        #expect(
            failure.description
                == "committing the ruleset: nf_tables transaction rejected: delete element 198.51.100.10 of set "
                + "ip tabby s-frontend: ENOENT (No such file or directory)")
        #expect(kernel.tables == before && kernel.currentGeneration == generation, "all or nothing")

        // The next apply lists the tables first and succeeds.
        let retried = reconciler.apply(desired(frontends: []))
        #expect(retried.listed && retried.failure == nil)
        #expect(try listed(kernel) == desired(frontends: []))
    }

    @Test func listingFailuresAndForeignTablesAreReportedTyped() throws {
        let kernel = FakeRulesetKernel()
        kernel.listingFailure = .listFailed("tables", Errno(EPERM), message: nil)
        let reconciler = RulesetReconciler(kernel: kernel)
        let failure = try #require(reconciler.apply(desired()).failure)
        #expect(failure.step == .listing && failure.errno == Errno(EPERM))
        #expect(failure.description == "listing the tables: listing tables: EPERM (Operation not permitted)")
        kernel.listingFailure = nil
        #expect(reconciler.apply(desired()).failure == nil)

        let foreign = DesiredRuleset(tables: [DesiredTable(table: Table(family: .inet, name: "foreign"))])
        let refused = try #require(reconciler.apply(foreign).failure)
        #expect(refused.step == .checkingDesired && refused.errno == nil)
        #expect(kernel.commits.count == 1)
    }

    @Test func lostAcknowledgementsLeadToAListingThatFindsTheCommitApplied() throws {
        let kernel = FakeRulesetKernel()
        kernel.loseAcknowledgementsOfNextCommit = true
        let reconciler = RulesetReconciler(kernel: kernel)
        let lost = try #require(reconciler.apply(desired()).failure)
        guard case .acknowledgementsLost = lost.error else {
            Issue.record("expected acknowledgementsLost, got \(lost)")
            return
        }
        let next = reconciler.apply(desired())
        #expect(next.listed && next.operations == 0 && next.failure == nil)
    }

    @Test func onlyTheOwnedTablesAreTouched() throws {
        let kernel = FakeRulesetKernel()
        let foreign = Table(family: .inet, name: "foreign")
        try kernel.foreignCommit(Transaction([.addTable(foreign), .addChain(Chain(table: foreign, name: "input"))]))
        let reconciler = RulesetReconciler(kernel: kernel)
        _ = reconciler.apply(desired())
        _ = reconciler.apply(PolicyRenderer.render(sampleProgram(), settings: RenderingSettings(ipv6: false)))
        #expect(kernel.tables[Self.ip6] == nil)
        #expect(kernel.tables[foreign]?.chains.keys.sorted() == ["input"])
    }

    @Test func aListingReusesTheRulesOfUnchangedChainsButNeverOfChangedOnes() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        let before = desired()
        _ = reconciler.apply(before)
        // The first listing had nothing to reuse; after another program's commit, every chain is reused.
        kernel.commitElsewhere()
        reconciler.requestResync()
        #expect(reconciler.apply(before).listed)
        #expect(kernel.reusedChains == 0, "the reconciler built the tables itself: no digests yet")
        kernel.commitElsewhere()
        reconciler.requestResync()
        #expect(reconciler.apply(before).listed)
        let chains = before.tables.reduce(0) { $0 + $1.chains.values.filter { !$0.rules.isEmpty }.count }
        #expect(kernel.reusedChains == chains)

        // The reconciler rewrites a chain; then someone puts the old rules back by hand. The chain's digest is
        // the one of the earlier listing again, but the view has the new rules: it must be listed, not reused.
        var changed = before
        let index = try #require(changed.tables.firstIndex { $0.table == Self.ip })
        let name = "tw-caliweb"
        let old = try #require(changed.tables[index].chains[name]?.rules)
        changed.tables[index].chains[name]?.rules = [Rule(table: Self.ip, chain: name, comment: "tabby:new", [.accept])]
        #expect(reconciler.apply(changed).operations == 2)
        kernel.edit(Self.ip) { table in table?.chains[name]?.rules = old }
        reconciler.requestResync()
        let repaired = reconciler.apply(changed)
        #expect(repaired.listed && repaired.repaired == ["ip tabby"] && repaired.operations == 2)
        #expect(try listed(kernel) == changed)
    }

    @Test func aListingThatFailsHalfWayKeepsDigestsAndViewTogether() throws {
        let kernel = FakeRulesetKernel()
        let reconciler = RulesetReconciler(kernel: kernel)
        let wanted = desired()
        _ = reconciler.apply(wanted)
        kernel.commitElsewhere()
        reconciler.requestResync()
        #expect(reconciler.apply(wanted).listed)  // digests of every chain from here
        // Someone edits a chain of ip tabby; the next listing reads ip tabby and then fails on ip6 tabby.
        kernel.edit(Self.ip) { table in table?.chains["tw-caliweb"]?.rules.removeLast() }
        kernel.tableListingFailures[Self.ip6] = .listFailed("chains", Errno(EIO), message: nil)
        reconciler.requestResync()
        #expect(reconciler.apply(wanted).failure?.step == .listing)
        kernel.tableListingFailures = [:]
        let repaired = reconciler.apply(wanted)
        #expect(repaired.listed && repaired.repaired == ["ip tabby"] && repaired.operations > 0)
        #expect(try listed(kernel) == wanted)
    }
}
