import Calculation
import CalicoAPI
import Dataplane
import ResourceCache

/// Builds the parts of the status report that come from the cache and the last apply: blocks and how this node
/// reaches them, counts, and every problem the agent knows of. Pure: the agent hands it what it has.
struct StatusAssembly {
    var node: String
    var cache: ResourceCache
    var desired: DesiredDataplane
    var summary: DataplaneSummary?
    var ruleset: RulesetSummary?
    /// BIRD programs the routes to other nodes' blocks in pools without encapsulation (networkingBackend `bird`).
    var routesByBIRD = false

    /// Each IPAM block, its affine node, and whether this node reaches it locally, through a tunnel, directly,
    /// or not at all.
    var blocks: [StatusReport.Block] {
        cache.blocks.values.sorted { $0.cidr < $1.cidr }.map { block in
            StatusReport.Block(cidr: block.cidr.description, node: block.affineNode, state: routeState(block))
        }
    }

    private func routeState(_ block: BlockRecord) -> String {
        if block.affineNode == node { return "local" }
        guard let route = desired.routes[block.cidr] else {
            if routesByBIRD && (cache.pool(containing: block.cidr)?.resource.spec.isUnencapsulated ?? true) {
                return "bgp"
            }
            return "unreachable"
        }
        switch route.kind {
        case .vxlanTunnel: return "vxlan"
        case .ipipTunnel: return "ipip"
        case .blackhole: return "local"
        default: return "direct"
        }
    }

    /// How many interfaces the desired routes go through (Felix's `route_table_num_ifaces`).
    var routeInterfaces: Int {
        Set(
            desired.routes.values.compactMap { route -> String? in
                switch route.target {
                case .interface(let name), .gateway(_, let name): name
                case .blackhole: nil
                }
            }
        ).count
    }

    var localEndpoints: Int { cache.workloadsByNode[node]?.count ?? 0 }

    var counts: StatusReport.Counts {
        StatusReport.Counts(
            routes: summary?.routes ?? 0, devices: summary?.devices.count ?? 0, neighbors: summary?.neighbors ?? 0,
            workloadEndpoints: localEndpoints)
    }

    /// The problems, in a stable order: the agent's own (configuration, tunnel addresses), then the desired
    /// dataplane's, the kernel's refusals, the settings', unusable policy resources and unusable datastore files.
    func errors(
        agent: [StatusReport.Problem], report: ApplyReport, settings: [FelixSettingsProblem],
        unusablePolicy: [ResourceKey: String], files: [StatusReport.Problem]
    ) -> [StatusReport.Problem] {
        var errors = agent
        errors += desired.problems.map { StatusReport.Problem(resource: $0.resource, reason: $0.reason) }
        errors += report.failures.map {
            StatusReport.Problem(resource: "\($0.object)", reason: $0.reason, errno: $0.errno?.name)
        }
        errors += settings.map { StatusReport.Problem(resource: $0.source, reason: "\($0.parameter): \($0.reason)") }
        errors += unusablePolicy.sorted { $0.key < $1.key }.map {
            StatusReport.Problem(resource: "\($0.key)", reason: $0.value)
        }
        return errors + files
    }

    /// Writes everything into the board, metrics included.
    func publish(to board: StatusBoard, errors: [StatusReport.Problem]) {
        let blocks = blocks
        let counts = counts
        board.update { report in
            report.ruleset = ruleset.map(StatusReport.Ruleset.init)
            report.blocks = blocks
            report.counts = counts
        }
        board.setErrors(errors)
        board.metrics.routes.set(Double(summary?.routes ?? 0))
        board.metrics.routeInterfaces.set(Double(routeInterfaces))
        board.metrics.activeLocalEndpoints.set(Double(localEndpoints))
        board.metrics.clusterHosts.set(Double(cache.nodes.count))
        board.metrics.clusterWorkloadEndpoints.set(Double(cache.workloadEndpointCount))
    }
}
