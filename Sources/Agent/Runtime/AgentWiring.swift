import CalicoAPI
import Dataplane
import Datastore
import Etcd

/// What the agent runs on, as protocols: the datastore, the kernel's route half and its nf_tables half, and
/// the signals it obeys. `system` is tabbyd's real wiring; tests wire an in-memory datastore and the fake
/// kernels, and so run the whole agent without root and without files.
public struct AgentWiring: Sendable {
    public var openDatastore: @Sendable (AgentConfiguration) throws -> any Datastore
    /// The route half of the kernel; when it is also a `KernelChangeSource`, the agent follows its
    /// notifications, else it relies on the periodic resync.
    public var openRouteKernel: @Sendable () throws -> any Kernel
    public var openRulesetKernel: @Sendable () throws -> any RulesetKernel
    public var signals: @Sendable () -> AsyncStream<AgentSignal>

    public init(
        openDatastore: @escaping @Sendable (AgentConfiguration) throws -> any Datastore,
        openRouteKernel: @escaping @Sendable () throws -> any Kernel,
        openRulesetKernel: @escaping @Sendable () throws -> any RulesetKernel,
        signals: @escaping @Sendable () -> AsyncStream<AgentSignal> = { AsyncStream { _ in } }
    ) {
        self.openDatastore = openDatastore
        self.openRouteKernel = openRouteKernel
        self.openRulesetKernel = openRulesetKernel
        self.signals = signals
    }

    /// The datastore named by the configuration (files or etcd), the kernel of the agent's own network namespace, and the
    /// process's SIGHUP, SIGTERM and SIGINT.
    public static let system = AgentWiring(
        openDatastore: { try Datastores.open($0.datastoreConnection) },
        openRouteKernel: { try SystemKernels.routes() },
        openRulesetKernel: { try SystemKernels.ruleset() },
        signals: { Signals.stream() })
}
