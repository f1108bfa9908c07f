import CalicoAPI
import Datastore
import NetworkAddress
import Testing

@testable import IPAM

/// The nodes the tests assign for, created (without labels) unless a test names its own.
let testNodes: [String: Labels] = ["n": [:], "node-a": [:], "node-b": [:], "node-x": [:]]

/// A datastore with pools, nodes (automatic assignment needs the node's Node) and an IPAM configuration, for
/// IPAM tests. `extra` resources are stored as they are (as if written before today's write rules).
func makeStore(
    pools: [(name: String, cidr: String, blockSize: Int?, configure: (inout IPPoolSpec) -> Void)],
    nodes: [String: Labels] = testNodes, config: IPAMConfigurationSpec? = nil, extra: [AnyResource] = []
) -> InMemoryDatastore {
    var resources: [AnyResource] = []
    for pool in pools {
        var spec = IPPoolSpec(cidr: cidr(pool.cidr))
        spec.blockSize = pool.blockSize
        pool.configure(&spec)
        var resource = IPPool(name: pool.name, spec: spec)
        resource.applyDefaults()
        resources.append(AnyResource(resource))
    }
    for (name, labels) in nodes {
        var node = Node(name: name)
        node.metadata.labels = labels
        resources.append(AnyResource(node))
    }
    if let config {
        resources.append(AnyResource(IPAMConfiguration(name: "default", spec: config)))
    }
    return InMemoryDatastore(resources + extra)
}

func pool(
    _ name: String, _ cidr: String, blockSize: Int? = nil, _ configure: @escaping (inout IPPoolSpec) -> Void = { _ in }
)
    -> (name: String, cidr: String, blockSize: Int?, configure: (inout IPPoolSpec) -> Void)
{
    (name, cidr, blockSize, configure)
}

func strictConfig(maxBlocks: Int = 0, autoAllocate: Bool = true) -> IPAMConfigurationSpec {
    var config = IPAMConfigurationSpec()
    config.strictAffinity = true
    config.maxBlocksPerHost = maxBlocks
    config.autoAllocateBlocks = autoAllocate
    return config
}

func ip(_ text: String) -> IPAddress { IPAddress(text)! }
func cidr(_ text: String) -> CIDR { try! CIDR(parsing: text) }

extension IPAMClient {
    func blocks() async throws -> [IPAMBlock] { try await listBlocks() }
    func affinities() async throws -> [BlockAffinity] { try await listAffinities() }
    func handles() async throws -> [IPAMHandle] { try await listHandles() }
}
