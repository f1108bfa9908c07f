import CNftnl
import Glibc
import SystemError

/// The rules of one chain as listed with `listing(of:knownRuleDigests:)`.
public struct ChainRuleListing: Hashable, Sendable {
    /// A digest of the chain's rules in their kernel encoding, in order, without handles, positions and
    /// counter values: equal digests mean equal rules. Valid within one process only.
    public var digest: Int
    /// The rules (with handles and counter values); nil when the digest is the one the caller said it knows.
    public var rules: [Rule]?
}

/// A table read at one ruleset generation, with its rules by chain.
public struct TableListing: Hashable, Sendable {
    public var table: Table
    public var chains: [Chain]
    public var sets: [NamedSet]
    /// Elements by set name.
    public var elements: [String: [SetElement]]
    /// Rules by chain name; a chain without rules has no entry.
    public var rules: [String: ChainRuleListing]
}

extension NFTablesSocket {
    /// Everything in one table like `contents(of:)`, except that the rules of a chain whose digest equals
    /// `knownRuleDigests[chain]` are not decoded: a caller that keeps what it listed (or committed) before can
    /// skip most of the work of a full listing when little has changed. nil when the table does not exist.
    public func listing(of table: Table, knownRuleDigests: [String: Int]) throws(NFTablesError) -> TableListing? {
        try atOneGeneration(of: table) { (sets, elements) throws(NFTablesError) in
            let chains = try chains(in: table)
            // A chain deleted since it was listed: the ruleset changed, read it again.
            guard let rules = try rulesByChain(in: table, chains: chains, known: knownRuleDigests) else { return nil }
            return TableListing(table: table, chains: chains, sets: sets, elements: elements, rules: rules)
        }
    }

    /// The table's rules, one dump per chain (a dump of the whole table makes the kernel walk every rule before
    /// the resume point again for each datagram; per chain, that walk stays short): each message is hashed as it
    /// arrives (a walk over its attributes) and kept as bytes; only the chains whose digest is not the known one
    /// are decoded. nil when a chain is gone (`ENOENT`).
    private func rulesByChain(in table: Table, chains: [Chain], known: [String: Int]) throws(NFTablesError)
        -> [String: ChainRuleListing]?
    {
        var listed: [ListedRuleMessage] = []
        for chain in chains {
            do throws(NFTablesError) {
                listed += try dump(NFT_MSG_GETRULE, family: table.family, what: "rules of \(chain)") {
                    (message) throws(NFTablesError) in
                    let scope = ObjectEncoding.ruleScope(table: table, chain: chain.name)
                    withExtendedLifetime(scope) { nftnl_rule_nlmsg_build_payload(message, scope.pointer) }
                } parse: { (message, rules: inout [ListedRuleMessage]) throws(NFTablesError) in
                    if let rule = ListedRuleMessage(message, table: table) { rules.append(rule) }
                }
            } catch  where error.errno == Errno(ENOENT) {
                return nil
            }
        }
        var order: [String] = []
        var byChain: [String: [ListedRuleMessage]] = [:]
        for rule in listed {
            if byChain[rule.chain] == nil { order.append(rule.chain) }
            byChain[rule.chain, default: []].append(rule)
        }
        var result: [String: ChainRuleListing] = [:]
        for chain in order {
            let messages = byChain[chain] ?? []
            var hasher = Hasher()
            hasher.combine(messages.count)
            for message in messages { hasher.combine(message.hash) }
            let digest = hasher.finalize()
            guard known[chain] != digest else {
                result[chain] = ChainRuleListing(digest: digest, rules: nil)
                continue
            }
            var rules: [Rule] = []
            rules.reserveCapacity(messages.count)
            for message in messages {
                let decoded = message.bytes.withUnsafeBytes { raw in
                    Result { () throws(NFTablesError) in
                        try Self.decodeRule(
                            raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self), table: table, chain: nil)
                    }
                }
                if let rule = try decoded.get() { rules.append(rule) }
            }
            result[chain] = ChainRuleListing(digest: digest, rules: rules)
        }
        return result
    }
}

/// One NEWRULE message of a dump: its chain, a hash of what makes the rule what it is, and its bytes.
struct ListedRuleMessage {
    // NFTA_RULE_* and NFTA_LIST_ELEM / NFTA_EXPR_* attribute types.
    static let tableAttribute: UInt16 = 1
    static let chainAttribute: UInt16 = 2
    static let handleAttribute: UInt16 = 3
    static let expressionsAttribute: UInt16 = 4
    static let positionAttribute: UInt16 = 6
    static let listElement: UInt16 = 1
    static let expressionName: UInt16 = 1
    static let counterName = Array("counter\0".utf8)

    let chain: String
    let hash: Int
    let bytes: [UInt8]

    /// nil for a rule of another table. Handles and positions are left out of the hash, and so is a counter's
    /// data: its values change with traffic.
    init?(_ message: UnsafePointer<nlmsghdr>, table: Table) {
        let length = Int(message.pointee.nlmsg_len)
        let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(message), count: length)
        let payloadStart = Netlink.headerSize + 4  // struct nfgenmsg
        guard payloadStart <= length else { return nil }
        var hasher = Hasher()
        var tableName: UnsafeRawBufferPointer?
        var chainName: UnsafeRawBufferPointer?
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: raw[payloadStart...])) { type, value in
            switch type {
            case Self.tableAttribute: tableName = value
            case Self.chainAttribute: chainName = value
            case Self.handleAttribute, Self.positionAttribute: break
            case Self.expressionsAttribute:
                hasher.combine(type)
                Netlink.forEachAttribute(in: value) { _, element in Self.hashExpression(element, into: &hasher) }
            default:
                hasher.combine(type)
                hasher.combine(bytes: value)
            }
        }
        guard let tableName, let chainName, Self.name(tableName) == table.name else { return nil }
        chain = Self.name(chainName)
        hash = hasher.finalize()
        bytes = Array(raw)
    }

    private static func hashExpression(_ element: UnsafeRawBufferPointer, into hasher: inout Hasher) {
        var isCounter = false
        Netlink.forEachAttribute(in: element) { type, value in
            if type == expressionName, value.elementsEqual(counterName) { isCounter = true }
        }
        hasher.combine(isCounter)
        if !isCounter { hasher.combine(bytes: element) }
    }

    private static func name(_ attribute: UnsafeRawBufferPointer) -> String {
        String(decoding: attribute.prefix { $0 != 0 }, as: UTF8.self)
    }
}
