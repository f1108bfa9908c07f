import NetworkAddress
import NFTables
import NetworkAddress
import Testing

@Suite(
    "nf_tables maintenance operations in a network namespace",
    .enabled(if: KernelTestEnvironment.available, KernelTestEnvironment.reason))
struct MaintenanceTests {
    @Test("delete rule by handle, flush chain, flush set, delete set, chain and table")
    func maintenance() throws {
        try withNamespace { namespace in
            let fixture = FullRuleset()
            let socket = try namespace.socket()
            try socket.commit(fixture.transaction)

            // Delete one rule by the handle the listing reports; the others stay, in order.
            let workloadRules = try socket.rules(in: fixture.table, chain: fixture.workload.name)
            let target = try #require(workloadRules.first { $0.comment == "tabby:addresses" })
            try socket.commit(Transaction([.deleteRule(target)]))
            let remaining = try socket.rules(in: fixture.table, chain: fixture.workload.name)
            #expect(remaining.map(\.comment) == workloadRules.filter { $0.handle != target.handle }.map(\.comment))
            #expect(remaining.map(\.handle) == workloadRules.filter { $0.handle != target.handle }.map(\.handle))
            #expect(
                !(try namespace.run("nft", "list", "chain", "inet", "tabby", fixture.workload.name).output.contains(
                    "tabby:addresses")))

            // Flush one chain: its rules go, the other chains keep theirs.
            try socket.commit(Transaction([.flushChain(fixture.input)]))
            #expect(try socket.rules(in: fixture.table, chain: fixture.input.name).isEmpty)
            #expect(try socket.rules(in: fixture.table, chain: fixture.forward.name).count == 2)

            // Flush a set, then delete it with the rule that used it gone.
            try socket.commit(Transaction([.flushSet(fixture.interfaces)]))
            #expect(try socket.elements(of: fixture.interfaces).isEmpty)
            try socket.commit(Transaction([.deleteSet(fixture.interfaces)]))
            #expect(!(try socket.sets(in: fixture.table).contains(fixture.interfaces)))

            // Flush the table (all rules), then delete a chain and finally the table.
            try socket.commit(Transaction([.flushTable(fixture.table), .deleteChain(fixture.policy)]))
            #expect(try socket.rules(in: fixture.table).isEmpty)
            #expect(!(try socket.chains(in: fixture.table).contains(fixture.policy)))
            try socket.commit(Transaction([.deleteTable(fixture.table)]))
            #expect(try socket.tables().isEmpty)
            #expect(try socket.contents(of: fixture.table) == nil)
            #expect(try namespace.nftObjects("table").isEmpty)
        }
    }

    @Test("a rule without a handle cannot be deleted, and nothing is sent")
    func deleteNeedsHandle() throws {
        try withNamespace { namespace in
            let socket = try namespace.socket()
            let rule = Rule(table: Table(family: .inet, name: "t"), chain: "c", [.accept])
            let error = try #require(throws: NFTablesError.self) { try socket.commit(Transaction([.deleteRule(rule)])) }
            guard case .invalid = error else {
                Issue.record("expected .invalid, got \(error)")
                return
            }
        }
    }

    @Test("100k elements are added and deleted in one transaction each")
    func hundredThousandElements() throws {
        try withNamespace { namespace in
            let socket = try namespace.socket()
            let table = Table(family: .inet, name: "bulk")
            let set = NamedSet(table: table, name: "addresses", keyType: .ipv4Address)
            let elements = (0..<100_000).map { SetElement(.ipv4(IPv4Address(0x0A00_0000 | UInt32($0)))) }
            try socket.commit(Transaction([.addTable(table), .addSet(set), .addElements(elements, to: set)]))
            #expect(try socket.elements(of: set).count == 100_000)
            let json = try #require(try namespace.nftObjects("set").first)
            #expect((json["elem"] as? [Any])?.count == 100_000)

            // Adding them again is not an error (CREATE without EXCL), and changes nothing.
            try socket.commit(Transaction([.addElements(Array(elements[0..<10]), to: set)]))
            #expect(try socket.elements(of: set).count == 100_000)

            let half = Array(elements[0..<50_000])
            try socket.commit(Transaction([.deleteElements(half, from: set)]))
            let left = try socket.elements(of: set)
            #expect(left.count == 50_000)
            let difference = Set(left).symmetricDifference(elements[50_000...])
            #expect(difference.isEmpty, "\(difference.count) elements differ")
            try socket.commit(Transaction([.deleteElements(Array(elements[50_000...]), from: set)]))
            #expect(try socket.elements(of: set).isEmpty)
        }
    }

    @Test("10k prefixes in an interval set come back as the same prefixes")
    func intervalSetRoundTrip() throws {
        try withNamespace { namespace in
            let socket = try namespace.socket()
            let table = Table(family: .ip, name: "intervals")
            let set = NamedSet(table: table, name: "networks", keyType: .ipv4Address, flags: .interval)
            // Adjacent /28s share a boundary key; the top range runs to the end of the address space.
            var elements = (0..<10_000).map {
                SetElement(.prefix(try! CIDR(address: .v4(IPv4Address(0x0A00_0000 | UInt32($0) << 4)), prefixLength: 28)))
            }
            elements.append(SetElement(.prefix(CIDR("240.0.0.0/4")!)))
            try socket.commit(Transaction([.addTable(table), .addSet(set), .addElements(elements, to: set)]))
            #expect(Set(try socket.elements(of: set)) == Set(elements))
            let text = try namespace.run("nft", "list", "set", "ip", "intervals", "networks").output
            #expect(text.contains("240.0.0.0/4"))
        }
    }

    @Test("ip, ip6 and inet tables are listed by family, and an ip6 table holds its objects")
    func tablesOfEveryFamily() throws {
        try withNamespace { namespace in
            let socket = try namespace.socket()
            let tables = [Family.ip, .ip6, .inet].map { Table(family: $0, name: "tabby") }
            let ip6 = tables[1]
            let output = Chain(table: ip6, name: "output", base: BaseChain(type: .filter, hook: .output, priority: 0))
            let peers = NamedSet(table: ip6, name: "peers", keyType: .ipv6Address)
            let peer = try #require(IPv6Address("2001:db8::7"))
            let rule = Rule(
                in: output, comment: "tabby:v6",
                [.lookup([.ipv6(.daddr)], set: peers.name), .icmpv6(type: 128), .counter, .reject(.icmpv6(code: 1))])
            var transaction = Transaction(tables.map(Operation.addTable))
            transaction.add(output)
            transaction.add(peers)
            transaction.add([SetElement(.ipv6(peer))], to: peers)
            transaction.add(rule)
            try socket.commit(transaction)

            #expect(Set(try socket.tables()) == Set(tables))
            #expect(try socket.tables(family: .ip6) == [ip6])
            let contents = try #require(try socket.contents(of: ip6))
            #expect(contents.chains == [output])
            #expect(contents.sets == [peers])
            #expect(contents.elements[peers.name] == [SetElement(.ipv6(peer))])
            #expect(contents.rules.count == 1 && contents.rules[0].hasSameContent(as: rule))
            let text = try namespace.run("nft", "list", "table", "ip6", "tabby").output
            #expect(text.contains("ip6 daddr @peers icmpv6 type echo-request counter packets 0 bytes 0 reject"))
            #expect(try socket.contents(of: Table(family: .ip6, name: "absent")) == nil)
        }
    }
}
