import CalicoAPI
import Dataplane
import Foundation
import NFTables
import Policy
import PolicyRendering

/// A small node program: two workloads, a policy that admits TCP 8080 from a selector set, the namespace
/// profile, a pool with natOutgoing, and two other nodes.
func sampleProgram(frontendAddresses: [String] = ["198.51.100.10/32"]) -> PolicyProgram {
    let frontends = SetID(rawValue: "s:frontend")
    let web = PolicyID.networkPolicy("demo", "web")
    let profile = PolicyID.profile("kns.demo")
    let allowFrontends = NormalizedRule(
        action: .allow, protocol: 6, source: NormalizedEntity(selector: frontends),
        destination: NormalizedEntity(ports: [PortRange(8080)]), index: 0)
    let allowAll = NormalizedRule(action: .allow, index: 0)
    func endpoint(_ name: String, _ address: String, policed: Bool) -> EndpointProgram {
        let tiers = policed ? [TierProgram(name: "default", defaultAction: .deny, policies: [web])] : []
        return EndpointProgram(
            kind: .workload, namespace: "demo", name: name, interfaceName: "cali" + name, addresses: [cidr(address)],
            labels: [:], ingress: DirectionProgram(tiers: tiers, profiles: [profile]),
            egress: DirectionProgram(profiles: [profile]))
    }
    return PolicyProgram(
        node: "node-1",
        workloadEndpoints: [
            "caliweb": endpoint("web", "198.51.100.20/32", policed: true),
            "califront": endpoint("front", "198.51.100.10/32", policed: false),
        ],
        chains: [
            PolicyChainKey(web, .ingress): PolicyChainProgram(
                key: PolicyChainKey(web, .ingress), ipv4Rules: [allowFrontends], ipv6Rules: [allowFrontends]),
            PolicyChainKey(profile, .ingress): PolicyChainProgram(
                key: PolicyChainKey(profile, .ingress), ipv4Rules: [allowAll], ipv6Rules: [allowAll]),
            PolicyChainKey(profile, .egress): PolicyChainProgram(
                key: PolicyChainKey(profile, .egress), ipv4Rules: [allowAll], ipv6Rules: [allowAll]),
        ],
        addressSets: [frontends: Set(frontendAddresses.map(cidr))],
        failsafeInbound: [FailsafePort(protocol: 6, port: 22)],
        failsafeOutbound: [FailsafePort(protocol: 17, port: 53)],
        natOutgoingPools: [cidr("198.51.100.0/24")], allPools: [cidr("198.51.100.0/24")],
        hostNetworks: [cidr("192.0.2.11/32"), cidr("192.0.2.12/32")])
}

let sampleSettings = RenderingSettings(vxlanEnabled: true)

extension TestNamespace {
    /// An nf_tables socket inside the namespace.
    func nftSocket() throws -> NFTablesSocket { try NFTablesSocket(networkNamespace: "/run/netns/\(name)") }

    /// Runs `nft args...` inside the namespace and returns its output.
    @discardableResult
    func nft(_ arguments: String...) throws -> String { try runTool("ip", ["netns", "exec", name, "nft"] + arguments) }

    /// Loads an nft script inside the namespace.
    func nftScript(_ script: String) throws {
        let path = "/tmp/\(name)-\(UInt32.random(in: 0...UInt32.max)).nft"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        try runTool("ip", ["netns", "exec", name, "nft", "-f", path])
    }
}

/// A program with one rule of every shape the renderer knows, in both families, and a host endpoint.
func richProgram() -> PolicyProgram {
    var program = sampleProgram()
    let everything = PolicyID.globalNetworkPolicy("everything")
    let named = SetID(rawValue: "n:http")
    let frontends = SetID(rawValue: "s:frontend")
    program.namedPortSets[named] = [NamedPortMember(address: ip("198.51.100.10"), protocol: 6, port: 8080)]
    program.addressSets[frontends]?.insert(cidr("2001:db8::10/128"))
    let v4: [NormalizedRule] = [
        NormalizedRule(action: .deny, source: NormalizedEntity(nets: [cidr("192.0.2.0/24")]), index: 0),
        NormalizedRule(
            action: .log, source: NormalizedEntity(nets: [cidr("192.0.2.0/20"), cidr("203.0.113.0/24")]), index: 1),
        NormalizedRule(
            action: .pass, protocol: 17,
            source: NormalizedEntity(notNets: [cidr("198.51.100.128/25")], notSelector: frontends),
            destination: NormalizedEntity(ports: [PortRange(53), PortRange(5000, 5100)]), index: 2),
        NormalizedRule(
            action: .allow, protocol: 6, source: NormalizedEntity(selector: frontends, ports: [PortRange(1024, 65535)]),
            destination: NormalizedEntity(ports: [PortRange(80)], namedPorts: [named], notPorts: [PortRange(81)]),
            index: 3),
        NormalizedRule(action: .deny, protocol: 1, icmp: ICMPMatch(type: 8), index: 4),
        NormalizedRule(action: .deny, protocol: 1, icmp: ICMPMatch(type: 3, code: 1), index: 5),
        NormalizedRule(action: .allow, protocol: 1, notICMP: ICMPMatch(type: 5), index: 6),
        NormalizedRule(
            action: .allow, notProtocol: 132, destination: NormalizedEntity(notNamedPorts: [named]), index: 7),
        NormalizedRule(action: .deny, notICMP: ICMPMatch(type: 13, code: 0), index: 8),
    ]
    let v6: [NormalizedRule] = [
        NormalizedRule(action: .deny, source: NormalizedEntity(nets: [cidr("2001:db8:1::/48")]), index: 0),
        NormalizedRule(action: .allow, protocol: 58, icmp: ICMPMatch(type: 128), index: 4),
        NormalizedRule(action: .allow, protocol: 6, source: NormalizedEntity(selector: frontends), index: 3),
    ]
    for direction in PolicyType.allCases {
        let key = PolicyChainKey(everything, direction)
        program.chains[key] = PolicyChainProgram(key: key, ipv4Rules: v4, ipv6Rules: v6)
    }
    let tiers = [TierProgram(name: "default", defaultAction: .deny, policies: [everything])]
    program.workloadEndpoints["califront"]?.egress.tiers = tiers
    program.hostEndpoints = [
        EndpointProgram(
            kind: .host, namespace: nil, name: "eth0", interfaceName: "eth0", addresses: [], labels: [:],
            ingress: DirectionProgram(tiers: tiers), egress: DirectionProgram(profiles: [.profile("kns.demo")])),
        EndpointProgram(
            kind: .host, namespace: nil, name: "all", interfaceName: "*", addresses: [], labels: [:],
            ingress: DirectionProgram(), egress: DirectionProgram()),
    ]
    program.failsafeInbound.append(FailsafePort(protocol: 6, port: 2379, net: cidr("192.0.2.0/24")))
    return program
}
