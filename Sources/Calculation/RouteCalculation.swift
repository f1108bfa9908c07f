import CalicoAPI
import ResourceCache

/// Keeps one node's desired dataplane (routes, devices, neighbours, sysctls) current from the resource cache's
/// deltas: it recomputes only after a change that can affect it, or when the kernel environment (interfaces,
/// host MTU) or the settings changed, and otherwise hands back the last result.
///
/// What can affect it: pools, nodes, IPAM blocks, FelixConfiguration, and this node's own WorkloadEndpoints.
/// Routes to other nodes' workloads follow their blocks, so a remote endpoint never costs a recalculation.
public struct RouteCalculation: Sendable {
    /// The kinds whose deltas this calculation reads.
    public static let kinds: Set<ResourceKind> = [.ipPool, .node, .ipamBlock, .felixConfiguration, .workloadEndpoint]

    public let node: String
    /// How many times the desired dataplane was computed (for tests and metrics).
    public private(set) var calculations = 0
    private var needsCalculation = true
    private var last: (environment: NodeEnvironment, settings: FelixSettings, desired: DesiredDataplane)?

    public init(node: String) {
        self.node = node
    }

    /// Whether the next `desired` recomputes for a reason of the cache (not counting the environment).
    public var isDirty: Bool { needsCalculation || last == nil }

    /// Feeds one delta; returns whether it can change this node's desired dataplane.
    @discardableResult
    public mutating func apply(_ delta: ResourceDelta) -> Bool {
        let affects: Bool
        switch delta.kind {
        case .ipPool, .node, .ipamBlock, .felixConfiguration:
            affects = true
        case .workloadEndpoint:
            let (previous, current) = delta.contents(as: WorkloadEndpoint.self)
            affects = previous?.spec.node == node || current?.spec.node == node
        default:
            affects = false
        }
        if affects { needsCalculation = true }
        return affects
    }

    /// Forgets the last result, so that the next `desired` computes afresh.
    public mutating func invalidate() { needsCalculation = true }

    /// The desired dataplane: the last one when neither the cache (as far as it matters here), the environment
    /// nor the settings changed since; computed afresh otherwise.
    public mutating func desired(cache: ResourceCache, environment: NodeEnvironment, settings: FelixSettings)
        -> DesiredDataplane
    {
        if !needsCalculation, let last, last.environment == environment, last.settings == settings {
            return last.desired
        }
        let desired = Calculator.desired(cache: cache, node: node, environment: environment, settings: settings)
        calculations += 1
        needsCalculation = false
        last = (environment, settings, desired)
        return desired
    }
}
