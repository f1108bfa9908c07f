import CalicoAPI
import Dataplane
import Foundation
import NFTables
import Policy
import PolicyRendering
import SystemError
import Testing

/// The RulesetReconciler against the real kernel, each test in its own network namespace.
@Suite("Ruleset reconciler against the kernel", needsNamespaces)
struct RulesetKernelTests {
    static let foreignTable = """
        table inet foreign {
            set blocked { type ipv4_addr; elements = { 198.51.100.7 } }
            chain input { type filter hook input priority 10; policy accept; ip saddr @blocked counter drop; }
            chain forward { type filter hook forward priority -5; policy accept; iifname "cali*" counter accept; }
        }
        """

    /// Everything in Tabby's tables as the kernel has it, in desired-state form.
    private func listed(_ socket: NFTablesSocket) throws -> DesiredRuleset {
        DesiredRuleset(tables: try RulesetReconciler.defaultTables.compactMap { try socket.listTable($0) })
    }

    @Test func buildsTheWholeRulesetInOneTransactionThatReadsBackEqual() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            let report = reconciler.apply(desired)
            #expect(report.failure == nil)
            #expect(report.listed)
            #expect(report.operations > 20)
            #expect(report.messages >= report.operations)
            let readBack = try listed(socket)
            #expect(readBack.tables.count == 2)
            for table in desired.tables {
                let kernel = try #require(readBack.table(table.table.family))
                #expect(kernel.chains.keys.sorted() == table.chains.keys.sorted())
                for (name, chain) in table.chains {
                    #expect(kernel.chains[name] == chain, "chain \(name) reads back differently")
                }
                #expect(kernel.sets == table.sets)
            }
            #expect(reconciler.summary.counts == desired.counts)
            #expect(reconciler.summary.lastTransactionMessages == report.messages)
            // nft understands all of it.
            let text = try ns.nft("list", "table", "ip", "tabby")
            #expect(text.contains("iifname vmap @from-wl-map"))
            #expect(
                text.contains(
                    "ip saddr @masq-ipam-pools ip daddr != @all-ipam-pools counter packets 0 bytes 0 masquerade"))
            #expect(text.contains("\"caliweb\" : goto tw-caliweb"))
        }
    }

    @Test func applyingTheSameRulesetAgainChangesNothing() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            _ = reconciler.apply(desired)
            let generation = try socket.generation()
            let again = reconciler.apply(desired)
            #expect(again.operations == 0 && again.failure == nil && !again.listed)
            #expect(!reconciler.checkForChanges())
            // A resync with nobody's commit since needs no listing: the generation vouches for the view.
            reconciler.requestResync()
            let resync = reconciler.apply(desired)
            #expect(!resync.listed && resync.verifiedByGeneration && resync.operations == 0)
            // After another program's commit, a resync lists the tables and finds them equal.
            try ns.nft("add", "table", "inet", "foreign")
            reconciler.requestResync()
            let listed = reconciler.apply(desired)
            #expect(listed.listed && listed.operations == 0 && listed.repaired.isEmpty)
            // A fresh reconciler (an agent restart) finds nothing to do either.
            let restarted = RulesetReconciler(kernel: try ns.nftSocket()).apply(desired)
            #expect(restarted.listed && restarted.operations == 0, "\(restarted)")
            #expect(try socket.generation() == generation &+ 1, "only the foreign commit")
        }
    }

    @Test func aLabelChangeIsOneSmallTransaction() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            _ = reconciler.apply(PolicyRenderer.render(sampleProgram(), settings: sampleSettings))
            // A second pod gets the frontend label: one address joins the selector set.
            let labelled = sampleProgram(frontendAddresses: ["198.51.100.10/32", "198.51.100.11/32"])
            let report = reconciler.apply(PolicyRenderer.render(labelled, settings: sampleSettings))
            #expect(report.failure == nil)
            #expect(report.operations == 1 && report.messages == 1)
            let set = try #require(try listed(socket).table(.ip)?.sets["s-frontend"])
            #expect(set.elements.count == 2)
            // And back: one deletion.
            let back = reconciler.apply(PolicyRenderer.render(sampleProgram(), settings: sampleSettings))
            #expect(back.operations == 1 && back.failure == nil)
        }
    }

    @Test func aNewPolicyOnAnEndpointTouchesOnlyItsChains() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            var program = sampleProgram()
            _ = reconciler.apply(PolicyRenderer.render(program, settings: sampleSettings))
            let deny = PolicyID.globalNetworkPolicy("deny-icmp")
            let key = PolicyChainKey(deny, .egress)
            let rule = NormalizedRule(action: .deny, protocol: 1, index: 0)
            program.chains[key] = PolicyChainProgram(key: key, ipv4Rules: [rule], ipv6Rules: [])
            program.workloadEndpoints["califront"]?.egress.tiers = [
                TierProgram(name: "default", defaultAction: .deny, policies: [deny])
            ]
            let report = reconciler.apply(PolicyRenderer.render(program, settings: sampleSettings))
            #expect(report.failure == nil)
            let ip = try #require(try listed(socket).table(.ip))
            #expect(ip.chains["po-gnp/deny-icmp"]?.rules.count == 1)
            // Per family: add the policy chain, its rule, flush fw-califront and write its rules again.
            let frontRules = try #require(ip.chains["fw-califront"]).rules.count
            let ip6Rules = try #require(try listed(socket).table(.ip6)?.chains["fw-califront"]).rules.count
            #expect(report.operations == 2 + 1 + 1 + frontRules + 1 + ip6Rules)
            #expect(try listed(socket) == PolicyRenderer.render(program, settings: sampleSettings))
        }
    }

    @Test func aDeletedTableIsRestoredAndAnAlteredChainRepaired() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            _ = reconciler.apply(desired)
            #expect(!reconciler.checkForChanges())

            try ns.nft("delete", "table", "ip", "tabby")
            #expect(reconciler.checkForChanges())
            let restored = reconciler.apply(desired)
            #expect(restored.listed && restored.failure == nil && restored.repaired == ["ip tabby"])
            #expect(try listed(socket) == desired)

            try ns.nft("add", "rule", "ip", "tabby", "tw-caliweb", "accept")
            try ns.nft("delete", "element", "ip", "tabby", "s-frontend", "{ 198.51.100.10 }")
            try ns.nft("add", "chain", "ip", "tabby", "stray")
            #expect(reconciler.checkForChanges())
            let repaired = reconciler.apply(desired)
            #expect(repaired.failure == nil && repaired.repaired == ["ip tabby"])
            #expect(try listed(socket) == desired)
        }
    }

    @Test func anotherProgramsCommitsCauseAFullListingAtMostEveryInterval() async throws {
        try await TestNamespace.with { ns in
            try ns.nftScript(Self.foreignTable)
            let clock = ManualClock()
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket, fullCheckInterval: .seconds(5), clock: { clock.now })
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            _ = reconciler.apply(desired)
            // A commit to another table, and an element removed from Tabby's: names are unchanged, so no full
            // listing until the interval has passed.
            try ns.nft("add", "element", "inet", "foreign", "blocked", "{ 198.51.100.8 }")
            try ns.nft("delete", "element", "ip", "tabby", "s-frontend", "{ 198.51.100.10 }")
            #expect(!reconciler.checkForChanges())
            clock.advance(by: .seconds(5))
            #expect(reconciler.checkForChanges())
            let repaired = reconciler.apply(desired)
            #expect(repaired.listed && repaired.operations == 1 && repaired.repaired == ["ip tabby"])
            // A set or chain that appears or goes is seen at once, whenever the last listing was.
            try ns.nft("add", "set", "ip6", "tabby", "stray", "{ type ipv6_addr; }")
            #expect(reconciler.checkForChanges())
            #expect(reconciler.apply(desired).repaired == ["ip6 tabby"])
            #expect(try listed(socket) == desired)
            #expect(!reconciler.checkForChanges())
        }
    }

    @Test func aChangedHookOrSetTypeRebuildsTheTableAtomically() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            _ = reconciler.apply(desired)
            // A set of the same name with another type cannot be changed in place.
            try ns.nft("flush", "chain", "ip", "tabby", "nat-outgoing")
            try ns.nft("delete", "set", "ip", "tabby", "all-ipam-pools")
            try ns.nft("add", "set", "ip", "tabby", "all-ipam-pools", "{ type inet_service; }")
            #expect(reconciler.checkForChanges())
            let report = reconciler.apply(desired)
            #expect(report.failure == nil && report.rebuilt == ["ip tabby"])
            #expect(report.operations == RulesetPlanner.build(try #require(desired.table(.ip))).count + 1)
            #expect(try listed(socket) == desired)
        }
    }

    @Test func otherTablesAreLeftByteForByte() async throws {
        try await TestNamespace.with { ns in
            try ns.nftScript(Self.foreignTable)
            let before = try ns.nft("-a", "list", "table", "inet", "foreign")
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            _ = reconciler.apply(PolicyRenderer.render(sampleProgram(), settings: sampleSettings))
            _ = reconciler.apply(
                PolicyRenderer.render(sampleProgram(frontendAddresses: ["198.51.100.12/32"]), settings: sampleSettings))
            try ns.nft("delete", "table", "ip6", "tabby")
            #expect(reconciler.checkForChanges())
            _ = reconciler.apply(PolicyRenderer.render(sampleProgram(), settings: sampleSettings))
            // IPv6 switched off: Tabby's ip6 table goes, nothing else.
            _ = reconciler.apply(
                PolicyRenderer.render(sampleProgram(), settings: RenderingSettings(ipv6: false, vxlanEnabled: true)))
            #expect(try socket.listTable(Table(family: .ip6, name: "tabby")) == nil)
            #expect(try ns.nft("-a", "list", "table", "inet", "foreign") == before)
            #expect(try socket.tables().contains(Table(family: .inet, name: "foreign")))
        }
    }

    /// What `nft list ruleset` prints, loaded with `nft -f` into a fresh namespace, reads back as the very same
    /// ruleset: nft understands every rule, and a ruleset saved and restored by hand needs no repair.
    @Test func nftListsEveryRuleAndLoadsItBackUnchanged() async throws {
        let settings = RenderingSettings(
            natOutgoingAddress: ip("192.0.2.11"), vxlanEnabled: true, ipipEnabled: true)
        let desired = PolicyRenderer.render(richProgram(), settings: settings)
        let listing = try await TestNamespace.with { ns in
            #expect(RulesetReconciler(kernel: try ns.nftSocket()).apply(desired).failure == nil)
            return try ns.nft("list", "ruleset")
        }
        try await TestNamespace.with { ns in
            try ns.nftScript(listing)
            let reloaded = try listed(try ns.nftSocket())
            for table in desired.tables {
                let kernel = try #require(reloaded.table(table.table.family))
                for (name, chain) in table.chains.sorted(by: { $0.key < $1.key }) {
                    for (wanted, got) in zip(chain.rules, kernel.chains[name]?.rules ?? []) where wanted != got {
                        Issue.record("\(table.table) \(name): \(wanted.expressions)\n  nft: \(got.expressions)")
                    }
                }
                #expect(kernel.sets == table.sets)
            }
            let reconciler = RulesetReconciler(kernel: try ns.nftSocket())
            #expect(reconciler.apply(desired).operations == 0)
        }
    }

    @Test func aRejectedTransactionLeavesTheKernelAsItWasAndIsRetried() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let reconciler = RulesetReconciler(kernel: socket)
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            _ = reconciler.apply(desired)
            // Someone removes an element behind the reconciler's back, unseen: deleting it again fails.
            try ns.nft("delete", "element", "ip", "tabby", "s-frontend", "{ 198.51.100.10 }")
            let before = try ns.nft("list", "ruleset")
            let failed = reconciler.apply(
                PolicyRenderer.render(sampleProgram(frontendAddresses: []), settings: sampleSettings))
            let failure = try #require(failed.failure)
            #expect(failure.step == .commit && failure.errno == Errno(ENOENT))
            #expect(failure.rejectedOperation?.verb == "delete")
            #expect("\(failure)".contains("delete element 198.51.100.10 of set ip tabby s-frontend: ENOENT"))
            #expect(try ns.nft("list", "ruleset") == before)
            let retried = reconciler.apply(
                PolicyRenderer.render(sampleProgram(frontendAddresses: []), settings: sampleSettings))
            #expect(retried.failure == nil && retried.listed)
            #expect(
                try listed(socket)
                    == PolicyRenderer.render(sampleProgram(frontendAddresses: []), settings: sampleSettings))
        }
    }

    @Test func ruleDigestsAreStableAndSkipDecodingOnlyUnchangedChains() async throws {
        try await TestNamespace.with { ns in
            let socket = try ns.nftSocket()
            let desired = PolicyRenderer.render(sampleProgram(), settings: sampleSettings)
            _ = RulesetReconciler(kernel: socket).apply(desired)
            let table = Table(family: .ip, name: "tabby")
            let first = try #require(try socket.listing(of: table, knownRuleDigests: [:]))
            let again = try #require(try socket.listing(of: table, knownRuleDigests: [:]))
            #expect(first.rules.mapValues(\.digest) == again.rules.mapValues(\.digest))
            #expect(first.rules.values.allSatisfy { $0.rules != nil })
            let known = first.rules.mapValues(\.digest)
            let reused = try #require(try socket.listing(of: table, knownRuleDigests: known))
            #expect(reused.rules.values.allSatisfy { $0.rules == nil })

            try ns.nft("add", "rule", "ip", "tabby", "tw-caliweb", "accept")
            let changed = try #require(try socket.listing(of: table, knownRuleDigests: known))
            #expect(changed.rules["tw-caliweb"]?.digest != known["tw-caliweb"])
            #expect(changed.rules["tw-caliweb"]?.rules?.last?.expressions == [.verdict(.accept)])
            #expect(changed.rules.filter { $0.value.rules != nil }.keys.sorted() == ["tw-caliweb"])
        }
    }
}
