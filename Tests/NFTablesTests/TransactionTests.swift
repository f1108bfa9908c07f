import NetworkAddress
import Foundation
import NFTables
import NetworkAddress
import Testing

@Suite(
    "nf_tables transactions in a network namespace",
    .enabled(if: KernelTestEnvironment.available, KernelTestEnvironment.reason))
struct TransactionTests {
    @Test("every object kind in one transaction reads back through the module and nft -j")
    func everyObjectKindReadsBack() throws {
        try withNamespace { namespace in
            let fixture = FullRuleset()
            let socket = try namespace.socket()
            try socket.commit(fixture.transaction)

            let contents = try #require(try socket.contents(of: fixture.table))
            #expect(
                contents.chains.sorted(by: { $0.name < $1.name }) == fixture.chains.sorted(by: { $0.name < $1.name }))
            #expect(Set(contents.sets) == Set(fixture.sets))
            for set in fixture.sets {
                #expect(
                    Set(contents.elements[set.name] ?? []) == Set(fixture.elements[set.name] ?? []),
                    "elements of \(set.name)")
            }
            let expected = fixture.rules
            try #require(contents.rules.count == expected.count)
            for chain in fixture.chains {
                let listed = contents.rules.filter { $0.chain == chain.name }
                let wanted = expected.filter { $0.chain == chain.name }
                #expect(listed.count == wanted.count)
                for (got, want) in zip(listed, wanted) {
                    #expect(got.hasSameContent(as: want), "\(want): got \(got.expressions), want \(want.expressions)")
                    #expect(got.handle != nil)
                }
            }
            try checkAgainstNft(fixture, in: namespace)
        }
    }

    /// Compares what `nft -j list ruleset` and `nft list ruleset` see with what the fixture meant.
    private func checkAgainstNft(_ fixture: FullRuleset, in namespace: TestNamespace) throws {
        let tables = try namespace.nftObjects("table")
        #expect(
            tables.count == 1 && tables.first?["name"] as? String == "tabby"
                && tables.first?["family"] as? String == "inet")

        let chains = try namespace.nftObjects("chain")
        for chain in fixture.chains {
            let json = try #require(chains.first { $0["name"] as? String == chain.name }, "chain \(chain.name)")
            if let base = chain.base {
                #expect(json["type"] as? String == base.type.rawValue)
                #expect(json["hook"] as? String == base.hook.description)
                #expect(json["prio"] as? Int == Int(base.priority))
                #expect(json["policy"] as? String == (base.policy == .accept ? "accept" : "drop"))
            } else {
                #expect(json["hook"] == nil)
            }
        }

        let sets = try namespace.nftObjects("set") + namespace.nftObjects("map")
        for set in fixture.sets {
            let json = try #require(sets.first { $0["name"] as? String == set.name }, "set \(set.name)")
            let type = set.keyType.fields.map(\.description)
            if type.count == 1 {
                #expect(json["type"] as? String == type[0], "type of \(set.name)")
            } else {
                #expect(json["type"] as? [String] == type, "type of \(set.name)")
            }
            #expect(((json["flags"] as? [String]) ?? []).contains("interval") == set.isInterval)
            #expect((json["map"] as? String) == (set.isMap ? "verdict" : nil))
            #expect((json["elem"] as? [Any])?.count == fixture.elements[set.name]?.count, "elements of \(set.name)")
        }
        let networks = try #require(sets.first { $0["name"] as? String == "networks" }?["elem"] as? [Any])
        #expect(
            networks.contains {
                let prefix = ($0 as? [String: Any])?["prefix"] as? [String: Any]
                return prefix?["addr"] as? String == "192.0.2.0" && prefix?["len"] as? Int == 24
            })
        #expect(networks.contains { $0 as? String == "198.51.100.7" })
        #expect(
            networks.contains { ($0 as? [String: Any])?["range"] as? [String] == ["203.0.113.10", "203.0.113.20"] })
        let interfaces = sets.first { $0["name"] as? String == "interfaces" }?["elem"] as? [String]
        #expect(interfaces.map(Set.init) == ["cali1234", "cali5678"])
        let dispatch = try #require(sets.first { $0["name"] as? String == "dispatch" }?["elem"] as? [[Any]])
        #expect(dispatch.first?.first as? String == "cali1234")
        #expect(
            ((dispatch.first?.last as? [String: Any])?["jump"] as? [String: String])?["target"] == "cali-tw-cali1234")

        let rules = try namespace.nftObjects("rule")
        for chain in fixture.chains {
            let comments = rules.filter { $0["chain"] as? String == chain.name }.compactMap { $0["comment"] as? String }
            #expect(
                comments == fixture.rules.filter { $0.chain == chain.name }.compactMap(\.comment),
                "rules of \(chain.name)")
        }

        let text = try namespace.run("nft", "list", "ruleset").output
            .replacingOccurrences(of: " packets 0 bytes 0", with: "")
        for rule in fixture.rules {
            let comment = try #require(rule.comment)
            let expected = try #require(FullRuleset.nftText[comment], "nft text for \(comment)")
            #expect(text.contains("\t\(expected) comment \"\(comment)\"\n"), "nft prints \(comment) as expected")
        }
    }
}

@Suite(
    "nf_tables failures in a network namespace",
    .enabled(if: KernelTestEnvironment.available, KernelTestEnvironment.reason))
struct FailureTests {
    @Test("a failing transaction leaves the ruleset exactly as it was and names the rule and errno")
    func failingTransactionChangesNothing() throws {
        try withNamespace { namespace in
            let fixture = FullRuleset()
            let socket = try namespace.socket()
            try socket.commit(fixture.transaction)
            let jsonBefore = try namespace.run("nft", "-j", "list", "ruleset").output
            let contentsBefore = try socket.contents(of: fixture.table)
            let generationBefore = try socket.generation()

            var transaction = Transaction()
            let extra = Table(family: .ip, name: "extra")
            transaction.add(extra)
            transaction.add(Chain(table: fixture.table, name: "new-chain"))
            transaction.flush(fixture.input)
            transaction.add([SetElement(.ipv4(IPv4Address(192, 0, 2, 99)))], to: fixture.addresses)
            transaction.flush(fixture.networks6)
            transaction.add(Rule(in: fixture.policy, comment: "tabby:good", [.accept]))
            transaction.add(Rule(in: fixture.policy, comment: "tabby:broken", [.counter, .jump("no-such-chain")]))

            let error = try #require(throws: NFTablesError.self) { try socket.commit(transaction) }
            let failure = try #require(error.firstFailure, "\(error)")
            #expect(failure.index == 6)
            #expect(failure.verb == "add")
            #expect(
                failure.object == .rule(fixture.table, chain: fixture.policy.name, handle: nil, comment: "tabby:broken")
            )
            #expect(failure.errno.name == "ENOENT")
            #expect(failure.detail == "expression 2 (verdict jump no-such-chain)")
            #expect(
                "\(error)".contains("add rule in chain inet tabby cali-pi-allow (comment \"tabby:broken\"): ENOENT"))

            #expect(try namespace.run("nft", "-j", "list", "ruleset").output == jsonBefore)
            #expect(try socket.contents(of: fixture.table) == contentsBefore)
            #expect(try socket.tables().count == 1)
            #expect(try socket.generation() == generationBefore)
        }
    }

    @Test("in a batch too large for an ACK per message, errors still map to their operations")
    func errorsInLargeBatches() throws {
        try withNamespace { namespace in
            let socket = try namespace.socket()
            let table = Table(family: .inet, name: "large")
            let chain = Chain(table: table, name: "c")
            var transaction = Transaction([
                .addTable(table), .addChain(chain), .addChain(Chain(table: table, name: "c2")),
            ])
            for index in 0..<5000 {
                let target = index == 3210 ? "missing" : "c2"
                transaction.add(Rule(in: chain, comment: "rule-\(index)", [.counter, .jump(target)]))
            }
            let error = try #require(throws: NFTablesError.self) { try socket.commit(transaction) }
            guard case .rejected(let failures) = error else {
                Issue.record("expected .rejected, got \(error)")
                return
            }
            #expect(failures.count == 1)
            #expect(failures.first?.index == 3213)  // after the table and two chains
            #expect(failures.first?.object == .rule(table, chain: "c", handle: nil, comment: "rule-3210"))
            #expect(try socket.tables().isEmpty)
        }
    }

    @Test("errors name the table, set and element that failed")
    func errorsNameTheObject() throws {
        try withNamespace { namespace in
            let socket = try namespace.socket()
            let table = Table(family: .ip, name: "missing")
            let deleteMissing = try #require(throws: NFTablesError.self) {
                try socket.commit(Transaction([.deleteTable(table)]))
            }
            #expect(deleteMissing.firstFailure?.object == .table(table))
            #expect(deleteMissing.firstFailure?.errno.name == "ENOENT")
            #expect(
                "\(deleteMissing)"
                    == "nf_tables transaction rejected: delete table ip missing: ENOENT (No such file or directory)")

            let present = Table(family: .ip, name: "present")
            let set = NamedSet(table: present, name: "blocked", keyType: .ipv4Address)
            let elements = (1...5000).map { SetElement(.ipv4(IPv4Address(0xC000_0200 &+ UInt32($0)))) }
            try socket.commit(Transaction([.addTable(present), .addSet(set), .addElements(elements, to: set)]))

            // The missing element sits in the second message of the chunked delete: the extended-ack offset
            // still leads back to it.
            var wanted = Array(elements[0..<4500])
            wanted.append(SetElement(.ipv4(IPv4Address(198, 51, 100, 200))))
            let deleteMissingElement = try #require(throws: NFTablesError.self) {
                try socket.commit(Transaction([.deleteElements(wanted, from: set)]))
            }
            let failure = try #require(deleteMissingElement.firstFailure)
            #expect(failure.errno.name == "ENOENT")
            #expect(failure.object == .elements(present, set: "blocked", element: "198.51.100.200"))
            #expect(try socket.elements(of: set).count == 5000)

            let wrongSet = NamedSet(table: present, name: "absent", keyType: .ipv4Address)
            let addToMissingSet = try #require(throws: NFTablesError.self) {
                try socket.commit(Transaction([.addElements([elements[0]], to: wrongSet)]))
            }
            #expect(addToMissingSet.firstFailure?.errno.name == "ENOENT")
            #expect("\(addToMissingSet)".contains("set ip present absent"))

            let badKey = try #require(throws: NFTablesError.self) {
                try socket.commit(Transaction([.addElements([SetElement(.inetService(80))], to: set)]))
            }
            #expect("\(badKey)".contains("key of 2 bytes, the set's key type ipv4_addr takes 4"))
        }
    }
}
