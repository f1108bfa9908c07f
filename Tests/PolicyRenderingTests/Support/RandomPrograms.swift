import NetworkAddress
import CalicoAPI
import NetworkAddress
import Policy

/// A small deterministic random number generator (SplitMix64), so every failure names a reproducible seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func cidr(_ text: String) -> CIDR { try! CIDR(parsing: text) }
func address(_ text: String) -> IPAddress { IPAddress(text)! }

/// Random node programs over a fixed little world: three local workloads (cali0..cali2), a host endpoint on
/// eth0, and remote peers, in both families.
struct RandomPrograms {
    static let v4 = (1...8).map { "198.51.100.\($0)" }
    static let v6 = (1...8).map { "2001:db8::\($0)" }
    static let interfaces = ["cali0", "cali1", "cali2"]
    static let selectorSets = (0..<4).map { SetID(rawValue: "s:set\($0)") }
    static let namedPortSets = (0..<2).map { SetID(rawValue: "n:port\($0)") }
    static let policies = (0..<6).map { PolicyID.globalNetworkPolicy("p\($0)") }
    static let profiles = [PolicyID.profile("kns.a"), PolicyID.profile("custom")]
    static let ports: [UInt16] = [22, 80, 443, 8050, 8080]

    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &random)] }

    mutating func program() -> PolicyProgram {
        var program = PolicyProgram(node: "n")
        for set in Self.selectorSets {
            var members = Set<CIDR>()
            for text in Self.v4 + Self.v6 where chance(30) { members.insert(CIDR(host: address(text))) }
            if chance(30) { members.insert(cidr("198.51.100.4/30")) }
            if chance(30) { members.insert(cidr("2001:db8::4/126")) }
            program.addressSets[set] = members
        }
        for set in Self.namedPortSets {
            var members = Set<NamedPortMember>()
            for text in Self.v4 + Self.v6 where chance(30) {
                members.insert(
                    NamedPortMember(address: address(text), protocol: pick([6, 17]), port: pick(Self.ports)))
            }
            program.namedPortSets[set] = members
        }
        for policy in Self.policies + [Self.profiles[1]] {
            for direction in PolicyType.allCases {
                let key = PolicyChainKey(policy, direction)
                program.chains[key] = PolicyChainProgram(key: key, ipv4Rules: rules(.v4), ipv6Rules: rules(.v6))
            }
        }
        let allowAll = NormalizedRule(action: .allow, index: 0)
        for direction in PolicyType.allCases {
            let key = PolicyChainKey(Self.profiles[0], direction)
            program.chains[key] = PolicyChainProgram(key: key, ipv4Rules: [allowAll], ipv6Rules: [allowAll])
        }
        for (index, interface) in Self.interfaces.enumerated() {
            program.workloadEndpoints[interface] = EndpointProgram(
                kind: .workload, namespace: "a", name: "w\(index)", interfaceName: interface,
                addresses: [CIDR(host: address(Self.v4[index])), CIDR(host: address(Self.v6[index]))], labels: [:],
                ingress: direction(), egress: direction())
        }
        program.hostEndpoints = [
            EndpointProgram(
                kind: .host, namespace: nil, name: "eth0", interfaceName: "eth0", addresses: [], labels: [:],
                ingress: direction(), egress: direction())
        ]
        program.failsafeInbound = [FailsafePort(protocol: 6, port: 22)]
        program.failsafeOutbound = [
            FailsafePort(protocol: 17, port: 53), FailsafePort(protocol: 6, port: 8050, net: cidr("198.51.100.8/32")),
        ]
        return program
    }

    private mutating func direction() -> DirectionProgram {
        var tiers: [TierProgram] = []
        for index in 0..<Int.random(in: 0...2, using: &random) {
            let policies = (0..<Int.random(in: 1...3, using: &random)).map { _ in pick(Self.policies) }
            var unique: [PolicyID] = []
            for policy in policies where !unique.contains(policy) { unique.append(policy) }
            tiers.append(TierProgram(name: "t\(index)", defaultAction: chance(50) ? .deny : .pass, policies: unique))
        }
        var profiles: [PolicyID] = []
        for profile in Self.profiles where chance(45) { profiles.append(profile) }
        return DirectionProgram(tiers: tiers, profiles: profiles.shuffled(using: &random))
    }

    private mutating func rules(_ family: IPFamily) -> [NormalizedRule] {
        (0..<Int.random(in: 0...4, using: &random)).map { rule(family, index: $0) }
    }

    private mutating func rule(_ family: IPFamily, index: Int) -> NormalizedRule {
        let icmp: UInt8 = family == .v4 ? 1 : 58
        var rule = NormalizedRule(action: pick([.allow, .allow, .deny, .deny, .pass, .log]), index: index)
        rule.protocol = pick([nil, nil, 6, 17, icmp])
        if chance(10) { rule.notProtocol = pick([6, 17, icmp]) }
        let types: [UInt8] = family == .v4 ? [0, 8] : [128, 129]
        if rule.protocol == icmp || (rule.protocol == nil && chance(20)) {
            if chance(40) { rule.icmp = ICMPMatch(type: pick(types), code: chance(30) ? pick([0, 1]) : nil) }
            if chance(30) { rule.notICMP = ICMPMatch(type: pick(types), code: chance(30) ? pick([0, 1]) : nil) }
        }
        let ports = rule.protocol == nil || rule.protocol == 6 || rule.protocol == 17
        rule.source = entity(family, ports: ports && chance(25))
        rule.destination = entity(family, ports: ports)
        return rule
    }

    private mutating func entity(_ family: IPFamily, ports allowPorts: Bool) -> NormalizedEntity {
        var entity = NormalizedEntity()
        let addresses = family == .v4 ? Self.v4 : Self.v6
        let wide = family == .v4 ? cidr("198.51.100.0/29") : cidr("2001:db8::/125")
        if chance(20) {
            entity.nets = (0..<Int.random(in: 1...3, using: &random)).map { _ in
                chance(25) ? wide : CIDR(host: address(pick(addresses)))
            }
        }
        if chance(15) { entity.notNets = [CIDR(host: address(pick(addresses)))] }
        if chance(35) { entity.selector = pick(Self.selectorSets) }
        if chance(10) { entity.notSelector = pick(Self.selectorSets) }
        guard allowPorts else { return entity }
        if chance(30) {
            entity.ports = (0..<Int.random(in: 1...2, using: &random)).map { _ in
                chance(25) ? PortRange(8000, 8100) : PortRange(pick(Self.ports))
            }
        }
        if chance(15) { entity.namedPorts = [pick(Self.namedPortSets)] }
        if chance(10) { entity.notPorts = [PortRange(pick(Self.ports))] }
        if chance(5) { entity.notNamedPorts = [pick(Self.namedPortSets)] }
        return entity
    }

    /// A random packet of the family between two of the world's addresses.
    mutating func packet(_ family: IPFamily, from source: String, to destination: String) -> PacketDescription {
        let icmp: UInt8 = family == .v4 ? 1 : 58
        let proto: UInt8 = pick([6, 6, 17, 17, icmp, 132])
        let from = PacketPeer(address(source))
        let to = PacketPeer(address(destination))
        if proto == icmp {
            let types: [UInt8] = family == .v4 ? [0, 8, 3] : [128, 129, 1]
            return PacketDescription(
                source: from, destination: to, protocol: proto, icmpType: pick(types), icmpCode: pick([0, 1]))
        }
        return PacketDescription(
            source: from, destination: to, protocol: proto, sourcePort: pick(Self.ports + [40000]),
            destinationPort: pick(Self.ports))
    }
}
