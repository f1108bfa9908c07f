import CalicoAPI
import NFTables
import NetworkAddress
import Policy

/// Collects one family's table while the renderer walks the program: chains with their rules, and the sets
/// the rules refer to, each created once however many rules use it.
struct TableBuilder {
    let family: IPFamily
    let table: Table
    private(set) var contents: DesiredTable
    /// Sets whose members come from the program, by set name: filled in once the chains are done.
    private(set) var selectorSets: [String: SetID] = [:]
    private(set) var namedPortSets: [String: SetID] = [:]

    init(family: IPFamily, name: String) {
        self.family = family
        table = Table(family: KernelValues.family(family), name: name)
        contents = DesiredTable(table: table)
    }

    /// A regular chain (reached by jumps, gotos and verdict maps).
    mutating func addChain(_ name: String, _ rules: [KernelRule]) {
        contents.add(DesiredChain(chain: Chain(table: table, name: name), rules: rules))
    }

    /// A base chain on a hook.
    mutating func addBaseChain(_ name: String, _ base: BaseChain, _ rules: [KernelRule]) {
        contents.add(DesiredChain(chain: Chain(table: table, name: name, base: base), rules: rules))
    }

    /// A set or map; a second call with the same name keeps the first (sets are named after their content).
    mutating func addSet(_ set: NamedSet, _ elements: Set<SetElement>) {
        guard contents.sets[set.name] == nil else { return }
        contents.add(DesiredSet(set: set, elements: elements))
    }

    func hasSet(_ name: String) -> Bool { contents.sets[name] != nil }

    /// The interval set of a selector's addresses, created empty; returns its name.
    mutating func requireSelectorSet(_ id: SetID) -> String {
        let name = RulesetNames.set(id)
        if contents.sets[name] == nil {
            addSet(addressSet(name), [])
            selectorSets[name] = id
        }
        return name
    }

    /// The `address . inet_proto . inet_service` set of a named port, created empty; returns its name.
    mutating func requireNamedPortSet(_ id: SetID) -> String {
        let name = RulesetNames.set(id)
        if contents.sets[name] == nil {
            let address: SetField = family == .v4 ? .ipv4Address : .ipv6Address
            addSet(NamedSet(table: table, name: name, keyType: SetKeyType(address, .inetProtocol, .inetService)), [])
            namedPortSets[name] = id
        }
        return name
    }

    /// Sets the elements of a set made earlier.
    mutating func fill(_ name: String, _ elements: Set<SetElement>) { contents.sets[name]?.elements = elements }

    /// Takes the sets another builder of the same table made (for one chain), keeping those already here.
    mutating func merge(setsOf other: TableBuilder) {
        for (name, set) in other.contents.sets where contents.sets[name] == nil { contents.add(set) }
        selectorSets.merge(other.selectorSets) { first, _ in first }
        namedPortSets.merge(other.namedPortSets) { first, _ in first }
    }

    /// A rule in the named chain of this table.
    ///
    /// The statement DSL adds `meta nfproto` before address matches, which an inet table needs; an ip or ip6
    /// table holds only its own family's packets, and nft (1.0.6) cannot list a rule of an ip table with that
    /// match, so it is left out here.
    func rule(_ chain: String, _ comment: String, _ statements: [Statement]) -> KernelRule {
        var expressions: [Expression] = []
        for statement in statements {
            let parts = statement.expressions
            var index = 0
            while index < parts.count {
                if index + 1 < parts.count, case .meta(.nfproto, let register) = parts[index],
                    case .compare(register, .eq, _) = parts[index + 1]
                {
                    index += 2
                    continue
                }
                expressions.append(parts[index])
                index += 1
            }
        }
        return KernelRule(table: table, chain: chain, comment: RulesetNames.comment(comment), expressions: expressions)
    }

    /// An interval set of addresses of this family.
    func addressSet(_ name: String) -> NamedSet {
        NamedSet(table: table, name: name, keyType: KernelValues.addressKeyType(family), flags: [.interval])
    }
}
