import PolicyRendering

/// What one `RulesetReconciler.apply` did.
public struct RulesetApplyReport: Sendable, Equatable {
    /// Operations in the committed transaction (0 when the kernel already matched).
    public var operations: Int
    /// Netlink messages of that transaction, BEGIN and END not counted.
    public var messages: Int
    /// Whether the tables were listed from the kernel first (start, periodic check, after a failure).
    public var listed: Bool
    /// Whether a requested resync found the ruleset generation where the last commit or listing left it, so the
    /// kernel holds exactly the reconciler's view and nothing had to be listed.
    public var verifiedByGeneration: Bool
    /// Tables that were found different from the view and repaired, as "ip tabby".
    public var repaired: [String]
    /// Tables deleted and built again in the transaction (a changed hook or set type, repeated failures).
    public var rebuilt: [String]
    /// Why the apply failed: the listing or the commit, with the kernel's errno, its extended ack and the
    /// refused operation; nil on success.
    public var failure: RulesetFailure?
    public var duration: Duration

    public init(
        operations: Int = 0, messages: Int = 0, listed: Bool = false, verifiedByGeneration: Bool = false,
        repaired: [String] = [], rebuilt: [String] = [],
        failure: RulesetFailure? = nil, duration: Duration = .zero
    ) {
        self.operations = operations
        self.messages = messages
        self.listed = listed
        self.verifiedByGeneration = verifiedByGeneration
        self.repaired = repaired
        self.rebuilt = rebuilt
        self.failure = failure
        self.duration = duration
    }
}

/// What the reconciler holds in the kernel, for the status socket.
public struct RulesetSummary: Sendable, Equatable {
    /// Chains, rules, sets and elements of Tabby's tables as last committed or listed.
    public var counts: RulesetCounts
    /// Tables, as "ip tabby".
    public var tables: [String]
    /// Netlink messages of the last transaction committed (0 before the first).
    public var lastTransactionMessages: Int

    public init(counts: RulesetCounts = RulesetCounts(), tables: [String] = [], lastTransactionMessages: Int = 0) {
        self.counts = counts
        self.tables = tables
        self.lastTransactionMessages = lastTransactionMessages
    }
}
