import NetworkAddress
import CalicoAPI
import NFTables
import NetworkAddress
import Policy
import PolicyRendering
import Testing

/// The rendered ruleset, run by an interpreter of nf_tables' expressions, decides every packet as the policy
/// reference model (`PolicyEvaluator`) does: random programs (tiers, Pass, Log, profiles, sets, named ports,
/// nets, ICMP, negations) and random packets, at the forward hook (workloads) and at input and output (host
/// endpoint), in both families.
@Suite struct EquivalenceTests {
    static let seeds: [UInt64] = Array(0..<150)

    @Test(arguments: seeds)
    func renderedRulesetAgreesWithTheModel(seed: UInt64) throws {
        var world = RandomPrograms(seed: seed)
        let program = world.program()
        let evaluator = PolicyEvaluator(program: program)
        let ruleset = PolicyRenderer.render(program)
        for family in [IPFamily.v4, .v6] {
            let interpreter = RulesetInterpreter(table: try #require(ruleset.table(family == .v4 ? .ip : .ip6)))
            let addresses = family == .v4 ? RandomPrograms.v4 : RandomPrograms.v6
            for (index, interface) in RandomPrograms.interfaces.enumerated() {
                let endpoint = try #require(program.workloadEndpoints[interface])
                for _ in 0..<12 {
                    // Into the workload from anywhere (another local workload goes out through its own chain too).
                    let peerIndex = Int.random(in: 0..<addresses.count, using: &world.random)
                    let inbound = world.packet(family, from: addresses[peerIndex], to: addresses[index])
                    var expected = evaluator.evaluate(inbound, endpoint: endpoint, direction: .ingress).decision
                    var peerInterface = "eth0"
                    if peerIndex < RandomPrograms.interfaces.count {
                        peerInterface = RandomPrograms.interfaces[peerIndex]
                        let peer = try #require(program.workloadEndpoints[peerInterface])
                        if evaluator.evaluate(inbound, endpoint: peer, direction: .egress).decision == .deny {
                            expected = .deny
                        }
                    }
                    var packet = kernelPacket(inbound, iifname: peerInterface, oifname: interface)
                    let verdict = try interpreter.run(hook: .forward, &packet)
                    #expect(
                        verdict == (expected == .allow ? .accept : .drop),
                        "seed \(seed): \(inbound) from \(peerInterface) into \(interface)")

                    // Out of the workload to a remote peer.
                    let remote = addresses[Int.random(in: 3..<addresses.count, using: &world.random)]
                    let outbound = world.packet(family, from: addresses[index], to: remote)
                    let outExpected = evaluator.evaluate(outbound, endpoint: endpoint, direction: .egress).decision
                    var outPacket = kernelPacket(outbound, iifname: interface, oifname: "eth0")
                    let outVerdict = try interpreter.run(hook: .forward, &outPacket)
                    #expect(
                        outVerdict == (outExpected == .allow ? .accept : .drop),
                        "seed \(seed): \(outbound) out of \(interface)")
                }
            }
            let host = program.hostEndpoints[0]
            for _ in 0..<12 {
                let peer = addresses[Int.random(in: 3..<addresses.count, using: &world.random)]
                let inbound = world.packet(family, from: peer, to: addresses[0])
                let expected = evaluator.evaluate(inbound, endpoint: host, direction: .ingress).decision
                var packet = kernelPacket(inbound, iifname: "eth0", oifname: "")
                #expect(
                    try interpreter.run(hook: .input, &packet) == (expected == .allow ? .accept : .drop),
                    "seed \(seed): \(inbound) into the host")
                let outbound = world.packet(family, from: addresses[0], to: peer)
                let outExpected = evaluator.evaluate(outbound, endpoint: host, direction: .egress).decision
                var outPacket = kernelPacket(outbound, iifname: "", oifname: "eth0")
                #expect(
                    try interpreter.run(hook: .output, &outPacket) == (outExpected == .allow ? .accept : .drop),
                    "seed \(seed): \(outbound) out of the host")
            }
        }
    }

    private func kernelPacket(_ packet: PacketDescription, iifname: String, oifname: String) -> KernelPacket {
        KernelPacket(
            iifname: iifname, oifname: oifname, source: packet.source.address, destination: packet.destination.address,
            protocol: packet.protocol, sourcePort: packet.sourcePort, destinationPort: packet.destinationPort,
            icmpType: packet.icmpType, icmpCode: packet.icmpCode)
    }
}
