import NFTables
import Netlink

/// The kernel's notifications as the route reconciler reads them (`DataplaneReconciler.kernelChanged`).
public typealias KernelChange = NetlinkEvent

/// A kernel whose changes can be watched: the real one through a netlink notification socket.
public protocol KernelChangeSource: AnyObject {
    /// Notifications from now on (links, addresses, routes, neighbours), as long as the subscription is kept.
    func watchChanges() throws -> KernelSubscription
}

/// Kernel notifications, and what produces them: they stop when the subscription is released.
public struct KernelSubscription {
    public let changes: AsyncStream<KernelChange>
    private let producer: AnyObject?

    public init(changes: AsyncStream<KernelChange>, producer: AnyObject?) {
        self.changes = changes
        self.producer = producer
    }
}

extension NetlinkKernel: KernelChangeSource {
    public func watchChanges() throws -> KernelSubscription {
        let monitor = try makeMonitor()
        return KernelSubscription(changes: try monitor.events(), producer: monitor)
    }
}

/// The real kernel's two halves, opened in the agent's own network namespace, for the agent's wiring: the
/// agent itself knows only the `Kernel` and `RulesetKernel` protocols.
public enum SystemKernels {
    /// rtnetlink, with its notifications.
    public static func routes() throws -> NetlinkKernel { try NetlinkKernel() }

    /// nf_tables.
    public static func ruleset() throws -> any RulesetKernel { try NFTablesSocket() }
}
