import CalicoAPI
import NetworkAddress
import Testing

@testable import Policy

/// A deterministic random number generator (SplitMix64), so a failing sequence can be replayed by its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A state changed one event at a time must equal a state built from scratch from the same resources: same
/// programs on every node, same members in every set.
@Suite struct IncrementalTests {
    static let policies: [String] = [
        PolicyTables.allowFrontend, PolicyTables.denyRemote(order: 10),
        PolicyTables.securityTier(defaultAction: "Pass"),
        PolicyTables.fromNamespaces("env == 'dev'"), PolicyTables.globalOnly, PolicyTables.blockFeed,
        PolicyTables.negations, PolicyTables.namedPorts, PolicyTables.serviceAccounts("{names: [frontend-sa]}"),
        PolicyTables.devProfile, PolicyTables.namespacedGlobal, PolicyTables.hostPolicy,
    ]

    private static func mutate(_ resource: AnyResource, _ random: inout SplitMix64) -> AnyResource {
        let roles = ["frontend", "backend", "db", "monitor"]
        switch resource.kind {
        case .workloadEndpoint:
            var endpoint = resource.as(WorkloadEndpoint.self)!
            switch Int.random(in: 0..<4, using: &random) {
            case 0: endpoint.metadata.labels?["role"] = roles.randomElement(using: &random)
            case 1: endpoint.metadata.labels?["extra"] = Bool.random(using: &random) ? "x" : nil
            case 2: endpoint.spec.ipNetworks = [CIDR("192.0.2.\(Int.random(in: 100..<120, using: &random))/32")!]
            default: endpoint.spec.node = Bool.random(using: &random) ? "node-1" : "node-2"
            }
            return AnyResource(endpoint)
        case .namespace:
            var namespace = resource.as(Namespace.self)!
            namespace.metadata.labels = Bool.random(using: &random) ? ["env": "prod"] : ["env": "dev", "team": "b"]
            return AnyResource(namespace)
        case .globalNetworkSet:
            var networkSet = resource.as(GlobalNetworkSet.self)!
            networkSet.spec.nets =
                (Bool.random(using: &random) ? ["203.0.113.0/25"] : ["203.0.113.0/26", "192.0.2.1/32"]).map {
                    IPNetwork($0)!
                }
            networkSet.metadata.labels = Bool.random(using: &random) ? ["feed": "blocked"] : ["feed": "other"]
            return AnyResource(networkSet)
        default:
            return resource
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func eventByEventEqualsFromScratch(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let base = try PolicyWorld.resources("")
        let candidates = try Self.policies.flatMap { try ResourceCodec.decodeAll($0) }
        var current: [ResourceKey: AnyResource] = [:]
        var state = TestPolicyState()
        for resource in base {
            current[resource.key] = resource
            state.upsert(resource)
        }
        for step in 0..<150 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3:
                let resource = candidates.randomElement(using: &random)!
                if current[resource.key] != nil {
                    current[resource.key] = nil
                    state.remove(resource.key)
                } else {
                    current[resource.key] = resource
                    state.upsert(resource)
                }
            default:
                let key = current.keys.sorted().randomElement(using: &random)!
                let changed = Self.mutate(current[key]!, &random)
                current[key] = changed
                state.upsert(changed)
            }
            var fresh = TestPolicyState()
            for resource in current.values.sorted(by: { $0.key < $1.key }) { fresh.upsert(resource) }
            for node in ["node-1", "node-2"] {
                let incremental = PolicyCalculator.program(state: state, node: node)
                let scratch = PolicyCalculator.program(state: fresh, node: node)
                // Compared through a Bool so that a failure names the step, not two whole programs.
                let same = incremental == scratch
                #expect(same, "seed \(seed) step \(step) node \(node)")
                if !same { return }
            }
            #expect(state.index.setIDs == fresh.index.setIDs)
            for id in fresh.index.setIDs {
                #expect(
                    state.index.addresses(of: id) == fresh.index.addresses(of: id), "seed \(seed) step \(step) \(id)")
                #expect(state.index.namedPortMembers(of: id) == fresh.index.namedPortMembers(of: id))
            }
            for key in current.keys {
                #expect(state.effectiveLabels(of: key) == fresh.effectiveLabels(of: key))
            }
        }
    }
}
