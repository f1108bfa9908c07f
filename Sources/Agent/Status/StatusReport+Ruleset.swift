extension StatusReport {
    /// Tabby's nf_tables tables as last committed or listed.
    public struct Ruleset: Codable, Sendable, Equatable {
        /// "ip tabby", "ip6 tabby".
        public var tables: [String]
        public var chains: Int
        public var rules: Int
        public var sets: Int
        /// Elements of sets and verdict maps.
        public var elements: Int
        /// Netlink messages of the last transaction committed.
        public var lastTransactionMessages: Int

        public init(
            tables: [String] = [], chains: Int = 0, rules: Int = 0, sets: Int = 0, elements: Int = 0,
            lastTransactionMessages: Int = 0
        ) {
            self.tables = tables
            self.chains = chains
            self.rules = rules
            self.sets = sets
            self.elements = elements
            self.lastTransactionMessages = lastTransactionMessages
        }
    }
}
