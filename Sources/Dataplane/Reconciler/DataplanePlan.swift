import Netlink

/// Where an operation goes in the batch: Felix's order. Devices are configured and VTEP neighbours and FDB
/// entries programmed before the routes that use them; routes are removed before the device they go through.
enum PlanPhase: Int, Comparable, Sendable {
    case deviceChange
    case addressRemoval
    case addressAddition
    case neighborRemoval
    case neighborProgramming
    case routeRemoval
    case routeProgramming
    case deviceRemoval

    static func < (lhs: PlanPhase, rhs: PlanPhase) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One kernel operation of a plan, with the object it concerns (for the report).
struct PlannedOperation: Sendable {
    var phase: PlanPhase
    var operation: NetlinkOperation
    var write: DataplaneWrite

    var object: DataplaneObject { write.object }

    /// Whether the operation removes something; "already gone" is then success.
    var isRemoval: Bool {
        switch operation {
        case .deleteLink, .deleteAddress, .deleteRoute, .deleteNeighbor, .deleteFDB: true
        default: false
        }
    }
}

/// The difference between the desired dataplane and the kernel view, as one ordered batch, plus what could
/// not even be planned (a route to an interface that does not exist).
struct DataplanePlan: Sendable {
    private(set) var operations: [PlannedOperation] = []
    var failures: [DataplaneFailure] = []
    /// The earliest end of a grace period that keeps an undesired workload route.
    var graceExpiry: ContinuousClock.Instant?

    var isEmpty: Bool { operations.isEmpty }

    mutating func add(_ phase: PlanPhase, _ operation: NetlinkOperation, _ write: DataplaneWrite) {
        operations.append(PlannedOperation(phase: phase, operation: operation, write: write))
    }

    mutating func keepUntil(_ instant: ContinuousClock.Instant) {
        graceExpiry = graceExpiry.map { min($0, instant) } ?? instant
    }

    /// The operations in Felix's order; within a phase, in the order planned.
    var ordered: [PlannedOperation] {
        operations.enumerated().sorted { ($0.element.phase, $0.offset) < ($1.element.phase, $1.offset) }
            .map(\.element)
    }
}
