import CalicoAPI
import NetworkAddress

/// The BGP settings in force for one node: its `node.<name>` BGPConfiguration over `default`, with Calico's
/// defaults for what neither sets.
struct BGPEffectiveSettings {
    static let defaultASNumber: UInt32 = 64512
    static let defaultPort: UInt16 = 179

    let global: BGPConfigurationSpec?
    let local: BGPConfigurationSpec?
    /// The `node.<name>` configuration of every node, for their listen ports.
    let perNode: [String: BGPConfigurationSpec]

    init(configurations: [BGPConfiguration], nodeName: String) {
        var global: BGPConfigurationSpec?
        var perNode: [String: BGPConfigurationSpec] = [:]
        for configuration in configurations {
            let name = configuration.metadata.name
            if name == "default" {
                global = configuration.spec
            } else if name.hasPrefix("node.") {
                perNode[String(name.dropFirst(5))] = configuration.spec
            }
        }
        self.global = global
        self.perNode = perNode
        local = perNode[nodeName]
    }

    /// Only `default` decides the mesh and the cluster's AS number.
    var meshEnabled: Bool { global?.nodeToNodeMeshEnabled ?? true }
    var clusterASNumber: UInt32 { global?.asNumber ?? Self.defaultASNumber }

    func asNumber(of node: Node) -> UInt32 { node.spec.bgp?.asNumber ?? clusterASNumber }

    /// The port a node's BIRD listens on (and its mesh peers connect to).
    func listenPort(of nodeName: String) -> UInt16 {
        perNode[nodeName]?.listenPort ?? global?.listenPort ?? Self.defaultPort
    }

    var logSeverityScreen: String { local?.logSeverityScreen ?? global?.logSeverityScreen ?? "Info" }
    var bindMode: String { local?.bindMode ?? global?.bindMode ?? "None" }
    var ignoredInterfaces: [String] { local?.ignoredInterfaces ?? global?.ignoredInterfaces ?? [] }
    var communities: [BGPConfigurationSpec.Community] { local?.communities ?? global?.communities ?? [] }
    var prefixAdvertisements: [BGPConfigurationSpec.PrefixAdvertisement] {
        local?.prefixAdvertisements ?? global?.prefixAdvertisements ?? []
    }
    var serviceIPBlocks: [(field: String, cidr: String)] {
        var result: [(String, String)] = []
        for (field, blocks) in [
            ("serviceClusterIPs", global?.serviceClusterIPs), ("serviceExternalIPs", global?.serviceExternalIPs),
            ("serviceLoadBalancerIPs", global?.serviceLoadBalancerIPs),
        ] {
            for (index, block) in (blocks ?? []).enumerated() { result.append(("spec.\(field)[\(index)].cidr", block.cidr)) }
        }
        return result
    }
    var nodeMeshPassword: BGPPassword? { global?.nodeMeshPassword }
    var nodeMeshMaxRestartTime: String? { global?.nodeMeshMaxRestartTime }
}
