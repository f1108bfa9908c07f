import NFTables
import SystemError

/// Why a `RulesetReconciler.apply` failed: the step, and the nf_tables error with the errno, the kernel's
/// extended-ack text and the operation and object it refused (DESIGN.md rule 8).
public struct RulesetFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the reconciler was doing.
    public enum Step: Sendable, Hashable {
        /// Checking the desired ruleset before asking the kernel (it names a table the reconciler does not own).
        case checkingDesired
        /// Listing the owned tables from the kernel.
        case listing
        /// Committing the transaction; a rejected one changed nothing.
        case commit
    }

    public var step: Step
    public var error: NFTablesError

    public init(step: Step, error: NFTablesError) {
        self.step = step
        self.error = error
    }

    /// The errno of the failure (the first refused operation's for a rejected commit).
    public var errno: Errno? { error.errno }

    /// The operation that caused a rejected commit: its index in the transaction, verb, object, errno and ack.
    public var rejectedOperation: RejectedOperation? { error.firstFailure }

    /// "committing the ruleset: nf_tables transaction rejected: delete element 198.51.100.10 of set ip tabby
    /// s-frontend: ENOENT (No such file or directory)".
    public var description: String {
        switch step {
        case .checkingDesired: "checking the desired ruleset: \(error)"
        case .listing: "listing the tables: \(error)"
        case .commit: "committing the ruleset: \(error)"
        }
    }
}
