import CNftnl
import Glibc
import SystemError

extension NFTablesSocket {
    /// All tables, or those of one family.
    public func tables(family: Family? = nil) throws(NFTablesError) -> [Table] {
        try dump(NFT_MSG_GETTABLE, family: family, what: "tables") { _ in
        } parse: { (message, tables: inout [Table]) throws(NFTablesError) in
            if let table = try Self.decodeTable(message) { tables.append(table) }
        }
    }

    /// A listed table; nil for a family this module does not model.
    static func decodeTable(_ message: UnsafePointer<nlmsghdr>) throws(NFTablesError) -> Table? {
        try checkReply(message, NFT_MSG_NEWTABLE, "NEWTABLE")
        let object = NftnlTable()
        defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
        guard nftnl_table_nlmsg_parse(message, object.pointer) >= 0 else { throw .malformedReply("NEWTABLE") }
        guard let family = Family(rawValue: UInt8(nftnl_table_get_u32(object.pointer, attribute(NFTNL_TABLE_FAMILY))))
        else { return nil }
        return Table(family: family, name: string(nftnl_table_get_str(object.pointer, attribute(NFTNL_TABLE_NAME))))
    }

    /// Throws unless `message` is a `type` reply (`NFT_MSG_NEW*`) long enough for the `nfgenmsg` after its netlink
    /// header. libnftnl reads the family from there without checking the length, and it ends the process (its
    /// "ABI breakage" exit) when an attribute has the wrong size, as one of another message type's may have.
    static func checkReply(_ message: UnsafePointer<nlmsghdr>, _ type: nf_tables_msg_types, _ what: String)
        throws(NFTablesError)
    {
        let expected = Netlink.nftablesSubsystem << 8 | UInt16(type.rawValue)
        guard message.pointee.nlmsg_type == expected else {
            throw .malformedReply("\(what) expected, got message type \(message.pointee.nlmsg_type)")
        }
        guard Int(message.pointee.nlmsg_len) >= Netlink.headerSize + 4 else {
            throw .malformedReply("\(what) of \(message.pointee.nlmsg_len) bytes")
        }
    }

    /// The chains of a table, in the kernel's order. Base chains on hooks this module does not model
    /// (ingress, netdev, bridge) are listed without `base`.
    public func chains(in table: Table) throws(NFTablesError) -> [Chain] {
        try dump(NFT_MSG_GETCHAIN, family: table.family, what: "chains of table \(table)") { _ in
        } parse: { (message, chains: inout [Chain]) throws(NFTablesError) in
            if let chain = try Self.decodeChain(message, table: table) { chains.append(chain) }
        }
    }

    /// A listed chain of `table`; nil for a chain of another table.
    static func decodeChain(_ message: UnsafePointer<nlmsghdr>, table: Table) throws(NFTablesError) -> Chain? {
        try checkReply(message, NFT_MSG_NEWCHAIN, "NEWCHAIN")
        let object = NftnlChain()
        defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
        guard nftnl_chain_nlmsg_parse(message, object.pointer) >= 0 else { throw .malformedReply("NEWCHAIN") }
        let pointer = object.pointer
        guard string(nftnl_chain_get_str(pointer, attribute(NFTNL_CHAIN_TABLE))) == table.name else { return nil }
        var chain = Chain(table: table, name: string(nftnl_chain_get_str(pointer, attribute(NFTNL_CHAIN_NAME))))
        if nftnl_chain_is_set(pointer, attribute(NFTNL_CHAIN_HOOKNUM)), [.ip, .ip6, .inet].contains(table.family),
            let hook = Hook(rawValue: nftnl_chain_get_u32(pointer, attribute(NFTNL_CHAIN_HOOKNUM))),
            let type = ChainType(rawValue: string(nftnl_chain_get_str(pointer, attribute(NFTNL_CHAIN_TYPE)))),
            let policy = ChainPolicy(rawValue: nftnl_chain_get_u32(pointer, attribute(NFTNL_CHAIN_POLICY)))
        {
            let priority = nftnl_chain_get_s32(pointer, attribute(NFTNL_CHAIN_PRIO))
            chain.base = BaseChain(type: type, hook: hook, priority: priority, policy: policy)
        }
        return chain
    }

    /// The named sets and maps of a table (anonymous sets belong to their rules and are left out).
    public func sets(in table: Table) throws(NFTablesError) -> [NamedSet] {
        let what = "sets of table \(table)"
        return try dump(NFT_MSG_GETSET, family: table.family, what: what) { (message) throws(NFTablesError) in
            let object = NftnlSet()
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_set_set_str(object.pointer, attribute(NFTNL_SET_TABLE), table.name)
            nftnl_set_nlmsg_build_payload(message, object.pointer)
        } parse: { (message, sets: inout [NamedSet]) throws(NFTablesError) in
            if let set = try Self.decodeSet(message, table: table) { sets.append(set) }
        }
    }

    /// A listed named set or map of `table`; nil for an anonymous set or one of another table.
    static func decodeSet(_ message: UnsafePointer<nlmsghdr>, table: Table) throws(NFTablesError) -> NamedSet? {
        try checkReply(message, NFT_MSG_NEWSET, "NEWSET")
        let object = NftnlSet()
        defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
        guard nftnl_set_nlmsg_parse(message, object.pointer) >= 0 else { throw .malformedReply("NEWSET") }
        let pointer = object.pointer
        let flags = nftnl_set_get_u32(pointer, attribute(NFTNL_SET_FLAGS))
        guard flags & 0x1 == 0,  // NFT_SET_ANONYMOUS
            string(nftnl_set_get_str(pointer, attribute(NFTNL_SET_TABLE))) == table.name
        else { return nil }
        let keyType = SetKeyType(
            kernelType: nftnl_set_get_u32(pointer, attribute(NFTNL_SET_KEY_TYPE)),
            length: Int(nftnl_set_get_u32(pointer, attribute(NFTNL_SET_KEY_LEN))))
        var mapData: MapData?
        if flags & SetFlags.map != 0 {
            let dataType = nftnl_set_get_u32(pointer, attribute(NFTNL_SET_DATA_TYPE))
            let dataLength = Int(nftnl_set_get_u32(pointer, attribute(NFTNL_SET_DATA_LEN)))
            mapData = dataType == MapData.verdictTypeID ? .verdict : .other(typeID: dataType, length: dataLength)
        }
        return NamedSet(
            table: table, name: string(nftnl_set_get_str(pointer, attribute(NFTNL_SET_NAME))), keyType: keyType,
            flags: SetFlags(rawValue: flags & ~SetFlags.derived), mapData: mapData)
    }

    /// The elements of a set, as `SetElement`s equal to the ones that were added: intervals of a single-field
    /// interval set come back as one element with an inclusive `keyEnd`.
    ///
    /// A hash set dump restarts its table walk for every datagram, skipping what it already sent; when the
    /// kernel resizes the table in between (as it does after big deletes), some elements come twice and as
    /// many not at all. The dump is then repeated until it has no duplicates.
    public func elements(of set: NamedSet) throws(NFTablesError) -> [SetElement] {
        for attempt in 0..<Self.dumpAttempts {
            let kernel = try kernelElements(of: set)
            if !KernelElement.containsDuplicates(kernel) {
                return set.isInterval && !set.keyType.isConcatenation
                    ? KernelElement.joinIntervals(kernel) : kernel.map(\.element)
            }
            usleep(UInt32(10_000 * (attempt + 1)))  // give the resize time to finish
        }
        throw .listFailed("elements of \(set)", Errno(EAGAIN), message: "the set kept being resized during the dump")
    }

    private func kernelElements(of set: NamedSet) throws(NFTablesError) -> [KernelElement] {
        try dump(NFT_MSG_GETSETELEM, family: set.table.family, what: "elements of \(set)") {
            (message) throws(NFTablesError) in
            let reference = try ObjectEncoding.set(set, definition: false)
            withExtendedLifetime(reference) { nftnl_set_elems_nlmsg_build_payload(message, reference.pointer) }
        } parse: { (message, elements: inout [KernelElement]) throws(NFTablesError) in
            elements += try Self.decodeElements(message)
        }
    }

    /// The elements in one listed NEWSETELEM message.
    static func decodeElements(_ message: UnsafePointer<nlmsghdr>) throws(NFTablesError) -> [KernelElement] {
        try checkReply(message, NFT_MSG_NEWSETELEM, "NEWSETELEM")
        let object = NftnlSet()
        defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
        guard nftnl_set_elems_nlmsg_parse(message, object.pointer) >= 0 else { throw .malformedReply("NEWSETELEM") }
        guard let iterator = nftnl_set_elems_iter_create(object.pointer) else { return [] }
        defer { nftnl_set_elems_iter_destroy(iterator) }
        var elements: [KernelElement] = []
        while let element = nftnl_set_elems_iter_next(iterator) {
            elements.append(KernelElement(listed: element))
        }
        return elements
    }

    /// The rules of a table, or of one chain, in chain order, with handles, comments and decoded expressions.
    public func rules(in table: Table, chain: String? = nil) throws(NFTablesError) -> [Rule] {
        let what = "rules of " + (chain.map { "chain \(table) \($0)" } ?? "table \(table)")
        return try dump(NFT_MSG_GETRULE, family: table.family, what: what) { (message) throws(NFTablesError) in
            let scope = ObjectEncoding.ruleScope(table: table, chain: chain)
            withExtendedLifetime(scope) { nftnl_rule_nlmsg_build_payload(message, scope.pointer) }
        } parse: { (message, rules: inout [Rule]) throws(NFTablesError) in
            if let rule = try Self.decodeRule(message, table: table, chain: chain) { rules.append(rule) }
        }
    }

    /// A listed rule of `table` (and of `chain`, when given) with its handle, comment, expressions and counter
    /// values; nil for a rule of another table or chain.
    static func decodeRule(_ message: UnsafePointer<nlmsghdr>, table: Table, chain: String?) throws(NFTablesError)
        -> Rule?
    {
        try checkReply(message, NFT_MSG_NEWRULE, "NEWRULE")
        let object = NftnlRule()
        defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
        guard nftnl_rule_nlmsg_parse(message, object.pointer) >= 0 else { throw .malformedReply("NEWRULE") }
        let pointer = object.pointer
        let ruleChain = string(nftnl_rule_get_str(pointer, attribute(NFTNL_RULE_CHAIN)))
        guard string(nftnl_rule_get_str(pointer, attribute(NFTNL_RULE_TABLE))) == table.name,
            chain == nil || chain == ruleChain
        else { return nil }
        var comment: String?
        if nftnl_rule_is_set(pointer, attribute(NFTNL_RULE_USERDATA)) {
            var length: UInt32 = 0
            let data = nftnl_rule_get_data(pointer, attribute(NFTNL_RULE_USERDATA), &length)
            comment = RuleUserData.comment(in: bytes(data, length))
        }
        var expressions: [Expression] = []
        var counter: CounterValues?
        if let iterator = nftnl_expr_iter_create(pointer) {
            while let expression = nftnl_expr_iter_next(iterator) {
                let (decoded, values) = ExpressionCoding.decode(expression)
                expressions.append(decoded)
                if counter == nil { counter = values }
            }
            nftnl_expr_iter_destroy(iterator)
        }
        var rule = Rule(table: table, chain: ruleChain, comment: comment, expressions: expressions)
        rule.handle = nftnl_rule_get_u64(pointer, attribute(NFTNL_RULE_HANDLE))
        rule.counterValues = counter
        return rule
    }

    /// Everything in one table, read at a single ruleset generation (retried if a commit lands in between);
    /// nil when the table does not exist.
    public func contents(of table: Table) throws(NFTablesError) -> TableContents? {
        try atOneGeneration(of: table) { (sets, elements) throws(NFTablesError) in
            TableContents(
                table: table, chains: try chains(in: table), sets: sets, elements: elements, rules: try rules(in: table)
            )
        }
    }

    /// Reads a table at a single ruleset generation, retried when a commit lands in between: `read` gets the
    /// table's sets with their elements and reads the rest (nil: something it listed is gone, read again).
    /// nil when the table does not exist.
    func atOneGeneration<Result>(
        of table: Table,
        _ read: ([NamedSet], [String: [SetElement]]) throws(NFTablesError) -> Result?
    ) throws(NFTablesError) -> Result? {
        for _ in 0..<Self.dumpAttempts {
            let before = try generation()
            guard try tables(family: table.family).contains(table) else {
                if try generation() == before { return nil }
                continue
            }
            let sets = try sets(in: table)
            var elements: [String: [SetElement]] = [:]
            for set in sets { elements[set.name] = try self.elements(of: set) }
            guard let result = try read(sets, elements) else { continue }
            if try generation() == before { return result }
        }
        throw .listFailed("table \(table)", Errno(EINTR), message: "the ruleset kept changing while it was read")
    }
}

/// A table with everything in it, as read at one ruleset generation.
public struct TableContents: Hashable, Sendable {
    public var table: Table
    public var chains: [Chain]
    public var sets: [NamedSet]
    /// Elements by set name.
    public var elements: [String: [SetElement]]
    public var rules: [Rule]
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

extension KernelElement {
    init(listed element: OpaquePointer) {
        func data(_ type: Int) -> [UInt8]? {
            guard nftnl_set_elem_is_set(element, attribute(type)) else { return nil }
            var length: UInt32 = 0
            return bytes(nftnl_set_elem_get(element, attribute(type), &length), length)
        }
        key = data(NFTNL_SET_ELEM_KEY) ?? []
        keyEnd = data(NFTNL_SET_ELEM_KEY_END)
        flags =
            nftnl_set_elem_is_set(element, attribute(NFTNL_SET_ELEM_FLAGS))
            ? nftnl_set_elem_get_u32(element, attribute(NFTNL_SET_ELEM_FLAGS)) : 0
        verdict = nil
        if nftnl_set_elem_is_set(element, attribute(NFTNL_SET_ELEM_VERDICT)) {
            let code = Int32(bitPattern: nftnl_set_elem_get_u32(element, attribute(NFTNL_SET_ELEM_VERDICT)))
            let chain =
                nftnl_set_elem_is_set(element, attribute(NFTNL_SET_ELEM_CHAIN))
                ? nftnl_set_elem_get_str(element, attribute(NFTNL_SET_ELEM_CHAIN)).map { String(cString: $0) } : nil
            verdict = Verdict(code: code, chain: chain)
        }
    }

    var element: SetElement { SetElement(key: key, keyEnd: keyEnd, verdict: verdict) }

    /// Whether an element appears twice, which a consistent dump never shows.
    static func containsDuplicates(_ elements: [KernelElement]) -> Bool {
        struct Identity: Hashable {
            let key: [UInt8]
            let keyEnd: [UInt8]?
            let flags: UInt32
        }
        var seen = Set<Identity>(minimumCapacity: elements.count)
        for element in elements
        where !seen.insert(Identity(key: element.key, keyEnd: element.keyEnd, flags: element.flags)).inserted {
            return true
        }
        return false
    }

    /// Pairs each interval start with the end element after it. Ends sort before starts of the same key, since
    /// adjacent ranges share that key; a start without an end runs to the top of the key space; lone ends (such as
    /// the zero end `nft` adds) are dropped.
    static func joinIntervals(_ elements: [KernelElement]) -> [SetElement] {
        let sorted = elements.sorted { left, right in
            if left.key != right.key { return left.key.lexicographicallyPrecedes(right.key) }
            return left.flags & intervalEnd > right.flags & intervalEnd
        }
        var result: [SetElement] = []
        var index = 0
        while index < sorted.count {
            let start = sorted[index]
            index += 1
            guard start.flags & intervalEnd == 0 else { continue }
            var last = [UInt8](repeating: 0xff, count: start.key.count)
            if index < sorted.count, sorted[index].flags & intervalEnd != 0 {
                last = predecessor(of: sorted[index].key)
                index += 1
            }
            result.append(SetElement(key: start.key, keyEnd: last, verdict: start.verdict))
        }
        return result
    }

    static func predecessor(of key: [UInt8]) -> [UInt8] {
        var previous = key
        for index in previous.indices.reversed() {
            if previous[index] == 0 {
                previous[index] = 0xff
            } else {
                previous[index] -= 1
                return previous
            }
        }
        return previous
    }
}
