import CalicoAPI
import NetworkAddress
import ResourceCache

/// The Felix parameters that host endpoint policy reads, resolved from FelixConfiguration `node.<node>` over
/// `default` over Felix's built-in defaults.
public struct HostPolicySettings: Hashable, Sendable {
    /// Felix's default `failsafeInboundHostPorts`: SSH, DHCP, BGP, etcd, Typha, the Kubernetes API server.
    public static let defaultFailsafeInbound: [FailsafePort] = [
        .init(protocol: 6, port: 22), .init(protocol: 17, port: 68), .init(protocol: 6, port: 179),
        .init(protocol: 6, port: 2379), .init(protocol: 6, port: 2380), .init(protocol: 6, port: 5473),
        .init(protocol: 6, port: 6443), .init(protocol: 6, port: 6666), .init(protocol: 6, port: 6667),
    ]
    /// Felix's default `failsafeOutboundHostPorts`: DNS, DHCP, BGP, etcd, Typha, the Kubernetes API server.
    public static let defaultFailsafeOutbound: [FailsafePort] = [
        .init(protocol: 17, port: 53), .init(protocol: 17, port: 67), .init(protocol: 6, port: 179),
        .init(protocol: 6, port: 2379), .init(protocol: 6, port: 2380), .init(protocol: 6, port: 5473),
        .init(protocol: 6, port: 6443), .init(protocol: 6, port: 6666), .init(protocol: 6, port: 6667),
    ]

    public var failsafeInbound: [FailsafePort]
    public var failsafeOutbound: [FailsafePort]
    /// `externalNodesCIDRList`: networks outside the cluster's nodes that may send VXLAN and IPIP.
    public var externalNodes: [CIDR]

    public init(
        failsafeInbound: [FailsafePort] = HostPolicySettings.defaultFailsafeInbound,
        failsafeOutbound: [FailsafePort] = HostPolicySettings.defaultFailsafeOutbound, externalNodes: [CIDR] = []
    ) {
        self.failsafeInbound = failsafeInbound
        self.failsafeOutbound = failsafeOutbound
        self.externalNodes = externalNodes
    }

    /// The settings of `node` from the FelixConfigurations in the cache.
    init(_ cache: ResourceCache, node: String) {
        let specific = cache.felixConfiguration(named: "node.\(node)")?.spec
        let global = cache.felixConfiguration(named: "default")?.spec
        func pick<Value>(_ field: KeyPath<FelixConfigurationSpec, Value?>) -> Value? {
            specific?[keyPath: field] ?? global?[keyPath: field]
        }
        self.init(
            failsafeInbound: pick(\.failsafeInboundHostPorts).map(Self.ports) ?? Self.defaultFailsafeInbound,
            failsafeOutbound: pick(\.failsafeOutboundHostPorts).map(Self.ports) ?? Self.defaultFailsafeOutbound,
            externalNodes: (pick(\.externalNodesCIDRList) ?? []).map(\.cidr.masked))
    }

    private static func ports(_ list: [FelixConfigurationSpec.ProtoPort]) -> [FailsafePort] {
        list.compactMap { entry in
            let number: UInt8
            switch entry.protocol.lowercased() {
            case "tcp": number = 6
            case "udp": number = 17
            case "sctp": number = 132
            default: return nil
            }
            return FailsafePort(protocol: number, port: entry.port, net: entry.net?.masked)
        }
    }
}
