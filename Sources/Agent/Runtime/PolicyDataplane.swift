import Calculation
import CalicoAPI
import Dataplane
import Policy
import PolicyRendering

/// The nf_tables half of the agent's dataplane: renders the node's policy program and lets the
/// `RulesetReconciler` commit the difference. Non-Sendable: `NodeAgent` owns it with its kernel.
final class PolicyDataplane {
    let kernel: any RulesetKernel
    private let reconciler: RulesetReconciler
    private let renderer = RulesetRenderer()

    init(kernel: any RulesetKernel) {
        self.kernel = kernel
        reconciler = RulesetReconciler(kernel: kernel)
    }

    /// The ruleset settings from Felix's parameters and what the route calculation decided about tunnels.
    static func settings(_ felix: FelixSettings, desired: DesiredDataplane) -> RenderingSettings {
        let action: RenderingSettings.EndpointToHostAction
        switch felix.defaultEndpointToHostAction {
        case .drop: action = .drop
        case .return: action = .return
        case .accept: action = .accept
        }
        return RenderingSettings(
            interfacePrefixes: felix.interfacePrefixes, ipv6: felix.ipv6Support, defaultEndpointToHostAction: action,
            natOutgoingAddress: felix.natOutgoingAddress,
            vxlanEnabled: desired.vxlan != nil || felix.vxlanEnabled == true,
            vxlanPort: felix.vxlanPort, ipipEnabled: desired.ipip != nil || felix.ipipEnabled == true,
            vxlanV6Enabled: desired.vxlanV6 != nil)
    }

    /// Renders and applies the ruleset of `program`. The renderer rebuilds only chains and sets whose inputs
    /// changed, and the reconciler commits only what differs from its view of the kernel.
    func apply(_ program: PolicyProgram, settings: RenderingSettings) -> RulesetApplyReport {
        reconciler.apply(renderer.render(program, settings: settings))
    }

    /// Whether anyone changed nf_tables since the last look; the next apply then lists and repairs.
    func checkForChanges() -> Bool { reconciler.checkForChanges() }

    func requestResync() { reconciler.requestResync() }

    var summary: RulesetSummary { reconciler.summary }
}

extension PolicyDataplane {
    /// How often the agent asks whether anyone changed nf_tables (one GETGEN round trip): a deleted or altered
    /// Tabby table is repaired within about this long.
    static let checkInterval: Duration = .milliseconds(500)
}

extension ApplyReport {
    /// Counts a ruleset transaction as one write, and its failure as a failure of the kernel, so that the
    /// agent's status, log and retry treat routes and rules alike.
    mutating func include(_ ruleset: RulesetApplyReport) {
        if ruleset.operations > 0 && ruleset.failure == nil {
            writes.append(
                DataplaneWrite(
                    action: .write, object: .kernel,
                    detail: "nf_tables transaction: \(ruleset.operations) operations, \(ruleset.messages) messages"))
        }
        if let failure = ruleset.failure {
            failures.append(DataplaneFailure(object: .kernel, errno: failure.errno, reason: "nf_tables: \(failure)"))
        }
    }
}

extension StatusReport.Ruleset {
    init(_ summary: RulesetSummary) {
        self.init(
            tables: summary.tables, chains: summary.counts.chains, rules: summary.counts.rules,
            sets: summary.counts.sets,
            elements: summary.counts.elements, lastTransactionMessages: summary.lastTransactionMessages)
    }
}
