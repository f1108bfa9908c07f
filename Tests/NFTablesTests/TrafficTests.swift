import NetworkAddress
import NFTables
import NetworkAddress
import Testing

@Suite("nf_tables rules and real traffic", .enabled(if: KernelTestEnvironment.available, KernelTestEnvironment.reason))
struct TrafficTests {
    @Test("a drop rule really drops pings and an accept rule really accepts them")
    func pingIsDroppedAndAccepted() throws {
        try withNamespaces(2) { namespaces in
            let (client, server) = (namespaces[0], namespaces[1])
            try #require(
                try client.run(
                    "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", server.name
                ).status == 0)
            for (namespace, device, address) in [(client, "veth0", "192.0.2.1/24"), (server, "veth1", "192.0.2.2/24")] {
                try #require(try namespace.run("ip", "addr", "add", address, "dev", device).status == 0)
                try #require(try namespace.run("ip", "link", "set", device, "up").status == 0)
                try #require(try namespace.run("ip", "link", "set", "lo", "up").status == 0)
            }
            func ping() throws -> Bool { try client.run("ping", "-c", "1", "-W", "1", "-q", "192.0.2.2").status == 0 }

            let table = Table(family: .inet, name: "tabby")
            let input = Chain(
                table: table, name: "input", base: BaseChain(type: .filter, hook: .input, priority: 0, policy: .drop))
            let blocked = NamedSet(table: table, name: "blocked", keyType: .ipv4Address)
            let client4 = IPv4Address(192, 0, 2, 1)
            let socket = try server.socket()
            try socket.commit(
                Transaction([
                    .addTable(table), .addChain(input), .addSet(blocked),
                    .addRule(
                        Rule(
                            in: input, comment: "tabby:blocked",
                            [.lookup([.ipv4(.saddr)], set: blocked.name), .counter, .drop])),
                    .addRule(
                        Rule(
                            in: input, comment: "tabby:ping",
                            [.ip(.saddr, .eq, client4), .icmp(type: 8), .counter, .accept])),
                ]))
            func counter(_ comment: String) throws -> UInt64 {
                try socket.rules(in: table, chain: input.name).first { $0.comment == comment }?.counterValues?.packets
                    ?? 0
            }

            // The chain drops by policy, so a reply shows that the accept rule let the ping in.
            #expect(try ping())
            #expect(try counter("tabby:ping") >= 1)

            // An element in the drop rule's set drops the same ping.
            try socket.commit(Transaction([.addElements([SetElement(.ipv4(client4))], to: blocked)]))
            #expect(!(try ping()))
            #expect(try counter("tabby:blocked") >= 1)

            try socket.commit(Transaction([.deleteElements([SetElement(.ipv4(client4))], from: blocked)]))
            #expect(try ping())

            // Without the accept rule the policy drops it.
            try socket.commit(Transaction([.flushChain(input)]))
            #expect(!(try ping()))
        }
    }
}
