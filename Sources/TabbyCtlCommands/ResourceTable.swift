import CalicoAPI
import NetworkAddress

/// The `get` tables: per kind, the columns calicoctl shows (and more with `-o wide`).
enum ResourceTable {
    struct Column {
        var header: String
        var wideOnly: Bool
        var value: (AnyResource) -> String
    }

    static func render(_ resources: [AnyResource], kind: ResourceKind, wide: Bool, namespaces: Bool) -> String {
        var columns = [Column(header: "NAME", wideOnly: false) { $0.metadata.name }] + extraColumns(kind)
        if namespaces { columns.insert(Column(header: "NAMESPACE", wideOnly: false) { $0.metadata.namespace ?? "" }, at: 0) }
        columns = columns.filter { wide || !$0.wideOnly }
        let rows = [columns.map(\.header)] + resources.map { resource in columns.map { $0.value(resource) } }
        return TextTable.format(rows)
    }

    private static func column<Spec: ResourceSpec>(
        _ header: String, _ type: Spec.Type, wide: Bool = false, _ value: @escaping (Spec) -> String
    ) -> Column {
        Column(header: header, wideOnly: wide) { resource in
            resource.as(Resource<Spec>.self).map { value($0.spec) } ?? ""
        }
    }

    private static func list(_ items: [some CustomStringConvertible]?) -> String {
        (items ?? []).map(\.description).joined(separator: ",")
    }

    private static func text(_ value: (some CustomStringConvertible)?) -> String { value?.description ?? "" }

    private static func order(_ order: Double?) -> String {
        guard let order else { return "" }
        return order == order.rounded() && abs(order) < 1e15 ? String(Int64(order)) : String(order)
    }

    private static func labels(_ labels: Labels?) -> String {
        (labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    private static func extraColumns(_ kind: ResourceKind) -> [Column] {
        switch kind {
        case .ipPool:
            return [
                column("CIDR", IPPoolSpec.self) { text($0.cidr) },
                column("NAT", IPPoolSpec.self, wide: true) { String($0.natOutgoing ?? false) },
                column("IPIPMODE", IPPoolSpec.self, wide: true) { $0.effectiveIPIPMode.rawValue },
                column("VXLANMODE", IPPoolSpec.self, wide: true) { $0.effectiveVXLANMode.rawValue },
                column("DISABLED", IPPoolSpec.self, wide: true) { String($0.isDisabled) },
                column("DISABLEBGPEXPORT", IPPoolSpec.self, wide: true) { String($0.disableBGPExport ?? false) },
                column("SELECTOR", IPPoolSpec.self) { $0.nodeSelector ?? "all()" },
            ]
        case .node:
            return [
                column("ASN", NodeSpec.self, wide: true) { $0.bgp?.asNumber.map(String.init) ?? "" },
                column("IPV4", NodeSpec.self, wide: true) { text($0.bgp?.ipv4Address) },
                column("IPV6", NodeSpec.self, wide: true) { text($0.bgp?.ipv6Address) },
            ]
        case .workloadEndpoint:
            return [
                column("WORKLOAD", WorkloadEndpointSpec.self) { $0.workload ?? $0.pod ?? "" },
                column("NODE", WorkloadEndpointSpec.self) { $0.node },
                column("NETWORKS", WorkloadEndpointSpec.self) { list($0.ipNetworks) },
                column("INTERFACE", WorkloadEndpointSpec.self) { $0.interfaceName },
                column("PROFILES", WorkloadEndpointSpec.self, wide: true) { list($0.profiles) },
                column("NATS", WorkloadEndpointSpec.self, wide: true) {
                    ($0.ipNATs ?? []).map { "\($0.internalIP)->\($0.externalIP)" }.joined(separator: ",")
                },
            ]
        case .hostEndpoint:
            return [
                column("NODE", HostEndpointSpec.self) { $0.node },
                column("INTERFACE", HostEndpointSpec.self, wide: true) { $0.interfaceName ?? "" },
                column("IPS", HostEndpointSpec.self, wide: true) { list($0.expectedIPs) },
                column("PROFILES", HostEndpointSpec.self, wide: true) { list($0.profiles) },
            ]
        case .tier:
            return [
                column("ORDER", TierSpec.self) { order($0.order) },
                column("DEFAULTACTION", TierSpec.self, wide: true) { $0.defaultAction?.rawValue ?? "Deny" },
            ]
        case .globalNetworkPolicy:
            return [
                column("TIER", GlobalNetworkPolicySpec.self, wide: true) { $0.tier ?? "default" },
                column("ORDER", GlobalNetworkPolicySpec.self, wide: true) { order($0.order) },
                column("SELECTOR", GlobalNetworkPolicySpec.self, wide: true) { $0.selector ?? "all()" },
            ]
        case .networkPolicy:
            return [
                column("TIER", NetworkPolicySpec.self, wide: true) { $0.tier ?? "default" },
                column("ORDER", NetworkPolicySpec.self, wide: true) { order($0.order) },
                column("SELECTOR", NetworkPolicySpec.self, wide: true) { $0.selector ?? "all()" },
            ]
        case .profile:
            return [Column(header: "LABELS", wideOnly: true) { resource in
                labels(resource.as(Profile.self)?.spec.labelsToApply)
            }]
        case .globalNetworkSet:
            return [column("NETS", GlobalNetworkSetSpec.self, wide: true) { list($0.nets) }]
        case .networkSet:
            return [column("NETS", NetworkSetSpec.self, wide: true) { list($0.nets) }]
        case .blockAffinity:
            return [
                column("NODE", BlockAffinitySpec.self) { $0.node },
                column("CIDR", BlockAffinitySpec.self) { text($0.cidr) },
                column("STATE", BlockAffinitySpec.self) { $0.state.rawValue },
            ]
        case .ipamBlock:
            return [
                column("CIDR", IPAMBlockSpec.self) { text($0.cidr) },
                column("AFFINITY", IPAMBlockSpec.self) { $0.affinity ?? "" },
                column("IN USE", IPAMBlockSpec.self, wide: true) { String($0.allocations.count { $0 != nil }) },
            ]
        case .ipamHandle:
            return [
                column("HANDLE", IPAMHandleSpec.self, wide: true) { $0.handleID },
                column("BLOCKS", IPAMHandleSpec.self, wide: true) {
                    $0.block.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                },
            ]
        case .namespace:
            return [Column(header: "LABELS", wideOnly: true) { labels($0.metadata.labels) }]
        case .pod:
            return [
                column("NODE", PodSpec.self) { $0.nodeName ?? "" },
                Column(header: "IPS", wideOnly: false) { $0.metadata.annotations?[PodSpec.Annotation.podIPs] ?? "" },
                Column(header: "LABELS", wideOnly: true) { labels($0.metadata.labels) },
            ]
        case .bgpPeer:
            return [
                column("PEERIP", BGPPeerSpec.self) { $0.peerIP.flatMap { $0.isEmpty ? nil : $0 } ?? $0.peerSelector ?? "" },
                column("NODE", BGPPeerSpec.self) { spec in
                    if let node = spec.node, !node.isEmpty { return node }
                    if let selector = spec.nodeSelector, !selector.isEmpty { return selector }
                    return "(global)"
                },
                column("ASN", BGPPeerSpec.self) { $0.asNumber.map(String.init) ?? "" },
            ]
        case .bgpConfiguration:
            return [
                column("LOGSEVERITY", BGPConfigurationSpec.self) { $0.logSeverityScreen ?? "" },
                column("MESHENABLED", BGPConfigurationSpec.self) { $0.nodeToNodeMeshEnabled.map(String.init) ?? "" },
                column("ASNUMBER", BGPConfigurationSpec.self) { $0.asNumber.map(String.init) ?? "" },
            ]
        case .felixConfiguration, .ipamConfiguration, .bgpFilter:
            return []
        }
    }
}

/// Left-aligned columns separated by at least three spaces, as calicoctl prints them.
enum TextTable {
    static func format(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                line += cell
                if index < row.count - 1 { line += String(repeating: " ", count: widths[index] + 3 - cell.count) }
            }
            return line
        }.joined(separator: "\n")
    }
}
