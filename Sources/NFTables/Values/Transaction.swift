/// One change in a transaction.
public enum Operation: Hashable, Sendable, CustomStringConvertible {
    /// Create the table unless it exists (`nft add table`).
    case addTable(Table)
    case deleteTable(Table)
    /// Delete every rule in every chain of the table; chains and sets stay.
    case flushTable(Table)
    /// Create the chain unless it exists (`nft add chain`).
    case addChain(Chain)
    case deleteChain(Chain)
    /// Delete every rule of the chain.
    case flushChain(Chain)
    /// Create the set unless it exists (`nft add set`).
    case addSet(NamedSet)
    case deleteSet(NamedSet)
    /// Delete every element of the set.
    case flushSet(NamedSet)
    /// Add elements; elements already present are not an error. Sent in as many messages as the 16-bit
    /// attribute length needs (about 4,000 IPv4 keys each).
    case addElements([SetElement], to: NamedSet)
    /// Delete elements; a missing element fails the transaction with ENOENT.
    case deleteElements([SetElement], from: NamedSet)
    /// Append a rule to its chain.
    case addRule(Rule)
    /// Delete a rule by its handle (`rule.handle` must be set, as in listed rules).
    case deleteRule(Rule)

    /// "add", "delete" or "flush".
    public var verb: String {
        switch self {
        case .addTable, .addChain, .addSet, .addElements, .addRule: "add"
        case .deleteTable, .deleteChain, .deleteSet, .deleteElements, .deleteRule: "delete"
        case .flushTable, .flushChain, .flushSet: "flush"
        }
    }

    /// The object the operation changes.
    public var object: ObjectReference {
        switch self {
        case .addTable(let table), .deleteTable(let table), .flushTable(let table): .table(table)
        case .addChain(let chain), .deleteChain(let chain), .flushChain(let chain): .chain(chain.table, chain.name)
        case .addSet(let set), .deleteSet(let set), .flushSet(let set): .set(set.table, set.name)
        case .addElements(_, let set), .deleteElements(_, let set): .elements(set.table, set: set.name, element: nil)
        case .addRule(let rule), .deleteRule(let rule):
            .rule(rule.table, chain: rule.chain, handle: rule.handle, comment: rule.comment)
        }
    }

    public var description: String {
        switch self {
        case .addElements(let elements, _), .deleteElements(let elements, _):
            "\(verb) \(elements.count) element(s) of \(object)"
        default: "\(verb) \(object)"
        }
    }
}

/// The operations of one nf_tables transaction, committed as a single batch: all of them apply, or none.
public struct Transaction: Sendable {
    public private(set) var operations: [Operation] = []

    public init() {}

    public init(_ operations: [Operation]) { self.operations = operations }

    public var isEmpty: Bool { operations.isEmpty }

    public mutating func append(_ operation: Operation) { operations.append(operation) }

    public mutating func add(_ table: Table) { operations.append(.addTable(table)) }
    public mutating func delete(_ table: Table) { operations.append(.deleteTable(table)) }
    public mutating func flush(_ table: Table) { operations.append(.flushTable(table)) }

    public mutating func add(_ chain: Chain) { operations.append(.addChain(chain)) }
    public mutating func delete(_ chain: Chain) { operations.append(.deleteChain(chain)) }
    public mutating func flush(_ chain: Chain) { operations.append(.flushChain(chain)) }

    public mutating func add(_ set: NamedSet) { operations.append(.addSet(set)) }
    public mutating func delete(_ set: NamedSet) { operations.append(.deleteSet(set)) }
    public mutating func flush(_ set: NamedSet) { operations.append(.flushSet(set)) }

    public mutating func add(_ elements: [SetElement], to set: NamedSet) {
        operations.append(.addElements(elements, to: set))
    }

    public mutating func delete(_ elements: [SetElement], from set: NamedSet) {
        operations.append(.deleteElements(elements, from: set))
    }

    public mutating func add(_ rule: Rule) { operations.append(.addRule(rule)) }
    public mutating func delete(_ rule: Rule) { operations.append(.deleteRule(rule)) }
}
