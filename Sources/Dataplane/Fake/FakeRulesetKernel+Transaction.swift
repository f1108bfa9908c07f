import Glibc
import NFTables
import PolicyRendering
import SystemError

// The fake nf_tables' transaction semantics, one operation at a time on a copy of the tables.

extension FakeRulesetKernel {
    /// Applies every operation to a copy and keeps it only when none was refused; the generation moves when an
    /// operation changed something (re-adding what exists does not). Requests the NFTables module refuses before
    /// sending throw `.invalid` first.
    func apply(_ transaction: Transaction, failing inject: ((Operation) -> Errno?)?) throws(NFTablesError) {
        for operation in transaction.operations {
            if let problem = FakeRuleset.invalidity(of: operation) { throw .invalid(problem) }
        }
        var state = FakeRuleset(tables: tables, handles: nextHandle)
        var failures: [RejectedOperation] = []
        var changed = false
        for (index, operation) in transaction.operations.enumerated() {
            do throws(FakeRefusal) {
                if let errno = inject?(operation) { throw FakeRefusal(errno, message: "injected by FakeRulesetKernel") }
                let before = state.tables[operation.table]
                try state.perform(operation)
                changed = changed || state.tables[operation.table] != before
            } catch {
                failures.append(
                    RejectedOperation(
                        index: index, verb: operation.verb, object: error.object ?? operation.object,
                        errno: error.errno,
                        message: error.message))
            }
        }
        guard failures.isEmpty else { throw .rejected(failures) }
        guard changed else { return }
        tables = state.tables
        nextHandle = state.handles
        currentGeneration &+= 1
    }
}

/// Why the fake refused one operation: the errno, the extended-ack text where the kernel sends one, and the
/// object when it is more precise than the operation's (an element).
struct FakeRefusal: Error {
    var errno: Errno
    var message: String?
    var object: ObjectReference?

    init(_ code: Int32, message: String? = nil, object: ObjectReference? = nil) {
        self.init(Errno(code), message: message, object: object)
    }

    init(_ errno: Errno, message: String? = nil, object: ObjectReference? = nil) {
        self.errno = errno
        self.message = message
        self.object = object
    }
}

/// The tables of one transaction in progress.
struct FakeRuleset {
    var tables: [Table: DesiredTable]
    var handles: [Table: UInt64]

    /// What the NFTables module refuses before sending anything, as `NFTablesError.invalid` text.
    static func invalidity(of operation: Operation) -> String? {
        switch operation {
        case .deleteRule(let rule) where rule.handle == nil:
            return "deleting \(rule) needs its handle"
        case .addElements(let elements, let set), .deleteElements(let elements, let set):
            if !set.isInterval, elements.contains(where: { $0.keyEnd != nil }) {
                return "a range in \(set), which is not an interval set"
            }
            if set.isMap, case .addElements = operation, elements.contains(where: { $0.verdict == nil }) {
                return "an element of \(set) without a verdict"
            }
            return nil
        default:
            return nil
        }
    }

    mutating func perform(_ operation: Operation) throws(FakeRefusal) {
        switch operation {
        case .addTable(let table):
            if tables[table] == nil { tables[table] = DesiredTable(table: table) }
        case .deleteTable(let table):
            guard tables.removeValue(forKey: table) != nil else { throw FakeRefusal(ENOENT) }
        case .flushTable(let table):
            guard var stored = tables[table] else { throw FakeRefusal(ENOENT) }
            for name in stored.chains.keys { stored.chains[name]?.rules = [] }
            tables[table] = stored
        case .addChain(let chain):
            try addChain(chain)
        case .deleteChain(let chain):
            try change(chain.table) { (table) throws(FakeRefusal) in
                guard let stored = table.chains[chain.name] else { throw FakeRefusal(ENOENT) }
                guard stored.rules.isEmpty, !Self.references(chain: chain.name, in: table) else {
                    throw FakeRefusal(EBUSY)
                }
                table.chains[chain.name] = nil
            }
        case .flushChain(let chain):
            try change(chain.table) { (table) throws(FakeRefusal) in
                guard table.chains[chain.name] != nil else { throw FakeRefusal(ENOENT) }
                table.chains[chain.name]?.rules = []
            }
        case .addSet(let set):
            try change(set.table) { (table) throws(FakeRefusal) in
                if let existing = table.sets[set.name] {
                    guard existing.namedSet == set else { throw FakeRefusal(EEXIST) }
                } else {
                    table.add(DesiredSet(set: set))
                }
            }
        case .deleteSet(let set):
            try change(set.table) { (table) throws(FakeRefusal) in
                guard table.sets[set.name] != nil else { throw FakeRefusal(ENOENT) }
                guard !Self.references(set: set.name, in: table) else { throw FakeRefusal(EBUSY) }
                table.sets[set.name] = nil
            }
        case .flushSet(let set):
            try change(set.table) { (table) throws(FakeRefusal) in
                guard table.sets[set.name] != nil else { throw FakeRefusal(ENOENT) }
                table.sets[set.name]?.elements = []
            }
        case .addElements(let elements, let set):
            try addElements(elements, to: set)
        case .deleteElements(let elements, let set):
            try change(set.table) { (table) throws(FakeRefusal) in
                guard var stored = table.sets[set.name] else { throw FakeRefusal(ENOENT) }
                for element in elements {
                    guard stored.elements.remove(element) != nil else {
                        let text = element.description(keyType: set.keyType)
                        throw FakeRefusal(ENOENT, object: .elements(set.table, set: set.name, element: text))
                    }
                }
                table.sets[set.name] = stored
            }
        case .addRule(let rule):
            try addRule(rule)
        case .deleteRule(let rule):
            try change(rule.table) { (table) throws(FakeRefusal) in
                guard let position = table.chains[rule.chain]?.rules.firstIndex(where: { $0.handle == rule.handle })
                else { throw FakeRefusal(ENOENT) }
                table.chains[rule.chain]?.rules.remove(at: position)
            }
        }
    }

    /// A chain that exists already is kept (its policy updated); another hook, type or priority is `EEXIST`.
    private mutating func addChain(_ chain: Chain) throws(FakeRefusal) {
        try change(chain.table) { (table) throws(FakeRefusal) in
            guard let existing = table.chains[chain.name] else {
                table.add(DesiredChain(chain: chain))
                return
            }
            switch (existing.chain.base, chain.base) {
            case (nil, nil): break
            case (let old?, let new?)
            where old.type == new.type && old.hook == new.hook && old.priority == new.priority:
                table.chains[chain.name]?.chain.base?.policy = new.policy
            default: throw FakeRefusal(EEXIST, message: "Chain exists with different hook")
            }
        }
    }

    /// Elements already present are no error; a verdict that names a missing chain is `ENOENT`.
    private mutating func addElements(_ elements: [SetElement], to set: NamedSet) throws(FakeRefusal) {
        try change(set.table) { (table) throws(FakeRefusal) in
            guard var stored = table.sets[set.name] else { throw FakeRefusal(ENOENT) }
            for element in elements {
                if let target = element.verdict?.chain, table.chains[target] == nil {
                    let text = element.description(keyType: set.keyType)
                    throw FakeRefusal(ENOENT, object: .elements(set.table, set: set.name, element: text))
                }
                stored.elements.insert(element)
            }
            table.sets[set.name] = stored
        }
    }

    /// A rule goes to the end of its chain with the table's next handle; the chains it jumps to and the sets it
    /// looks up must exist.
    private mutating func addRule(_ rule: Rule) throws(FakeRefusal) {
        guard tables[rule.table] != nil else { throw FakeRefusal(ENOENT) }
        let handle = handles[rule.table, default: 1]
        try change(rule.table) { (table) throws(FakeRefusal) in
            guard table.chains[rule.chain] != nil else { throw FakeRefusal(ENOENT) }
            for expression in rule.expressions {
                switch expression {
                case .lookup(_, let set, _, _) where table.sets[set] == nil:
                    throw FakeRefusal(ENOENT, message: "Could not process rule: Set \(set) does not exist")
                case .verdict(let verdict):
                    if let target = verdict.chain, table.chains[target] == nil { throw FakeRefusal(ENOENT) }
                default: break
                }
            }
            var stored = rule
            stored.handle = handle
            stored.counterValues = nil
            table.chains[rule.chain]?.rules.append(stored)
        }
        handles[rule.table] = handle + 1
    }

    /// Runs `body` on an existing table; `ENOENT` when it does not exist.
    private mutating func change(
        _ table: Table, _ body: (inout DesiredTable) throws(FakeRefusal) -> Void
    ) throws(FakeRefusal) {
        guard var stored = tables[table] else { throw FakeRefusal(ENOENT) }
        try body(&stored)
        tables[table] = stored
    }

    /// Whether a rule jumps to the chain or a map element points at it.
    static func references(chain name: String, in table: DesiredTable) -> Bool {
        let fromRules = table.chains.values.contains { chain in
            chain.rules.contains { rule in
                rule.expressions.contains { $0 == .verdict(.jump(name)) || $0 == .verdict(.goto(name)) }
            }
        }
        return fromRules || table.sets.values.contains { set in set.elements.contains { $0.verdict?.chain == name } }
    }

    /// Whether a rule looks the set up.
    static func references(set name: String, in table: DesiredTable) -> Bool {
        table.chains.values.contains { chain in
            chain.rules.contains { rule in
                rule.expressions.contains {
                    if case .lookup(_, let set, _, _) = $0 { return set == name }
                    return false
                }
            }
        }
    }
}

extension Operation {
    /// The table the operation changes.
    fileprivate var table: Table {
        switch self {
        case .addTable(let table), .deleteTable(let table), .flushTable(let table): table
        case .addChain(let chain), .deleteChain(let chain), .flushChain(let chain): chain.table
        case .addSet(let set), .deleteSet(let set), .flushSet(let set): set.table
        case .addElements(_, let set), .deleteElements(_, let set): set.table
        case .addRule(let rule), .deleteRule(let rule): rule.table
        }
    }
}
