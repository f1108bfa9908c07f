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
        failsafeInbound: [FailsafePort(protocol: 6, port: 22)], failsafeOutbound: [FailsafePort(protocol: 17, port: 53)],
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
