import CNftnl

/// Turns the module's values into libnftnl objects.
enum ObjectEncoding {
    static func table(_ table: Table) -> NftnlTable {
        let object = NftnlTable()
        nftnl_table_set_str(object.pointer, attribute(NFTNL_TABLE_NAME), table.name)
        return object
    }

    static func chain(_ chain: Chain, withHook: Bool) -> NftnlChain {
        let object = NftnlChain()
        nftnl_chain_set_str(object.pointer, attribute(NFTNL_CHAIN_TABLE), chain.table.name)
        nftnl_chain_set_str(object.pointer, attribute(NFTNL_CHAIN_NAME), chain.name)
        if withHook, let base = chain.base {
            nftnl_chain_set_u32(object.pointer, attribute(NFTNL_CHAIN_HOOKNUM), base.hook.rawValue)
            nftnl_chain_set_s32(object.pointer, attribute(NFTNL_CHAIN_PRIO), base.priority)
            nftnl_chain_set_u32(object.pointer, attribute(NFTNL_CHAIN_POLICY), base.policy.rawValue)
            nftnl_chain_set_str(object.pointer, attribute(NFTNL_CHAIN_TYPE), base.type.rawValue)
        }
        return object
    }

    /// The chain whose rules a DELRULE without handle flushes; no chain means every chain of the table.
    static func ruleScope(table: Table, chain: String?) -> NftnlRule {
        let object = NftnlRule()
        nftnl_rule_set_str(object.pointer, attribute(NFTNL_RULE_TABLE), table.name)
        if let chain { nftnl_rule_set_str(object.pointer, attribute(NFTNL_RULE_CHAIN), chain) }
        return object
    }

    /// A set reference (table and name), or with `definition` the whole set for NEWSET.
    static func set(_ set: NamedSet, definition: Bool) throws(NFTablesError) -> NftnlSet {
        let object = NftnlSet()
        nftnl_set_set_str(object.pointer, attribute(NFTNL_SET_TABLE), set.table.name)
        nftnl_set_set_str(object.pointer, attribute(NFTNL_SET_NAME), set.name)
        guard definition else { return object }
        let keyLength = set.keyType.kernelLength
        guard keyLength <= 64 else {
            throw .invalid("\(set): key of \(keyLength) bytes is longer than the 64 bytes of nf_tables registers")
        }
        nftnl_set_set_u32(object.pointer, attribute(NFTNL_SET_FLAGS), set.kernelFlags)
        nftnl_set_set_u32(object.pointer, attribute(NFTNL_SET_KEY_TYPE), set.keyType.kernelType)
        nftnl_set_set_u32(object.pointer, attribute(NFTNL_SET_KEY_LEN), UInt32(keyLength))
        switch set.mapData {
        case .none: break
        case .verdict:
            // The kernel sizes verdict data itself; no data length is sent.
            nftnl_set_set_u32(object.pointer, attribute(NFTNL_SET_DATA_TYPE), MapData.verdictTypeID)
        case .other(let typeID, let length):
            nftnl_set_set_u32(object.pointer, attribute(NFTNL_SET_DATA_TYPE), typeID)
            nftnl_set_set_u32(object.pointer, attribute(NFTNL_SET_DATA_LEN), UInt32(length))
        }
        if !set.keyType.isConcatenation, let order = keyByteOrder(set.keyType.fields[0]) {
            // nft reads host-order keys (ifname, mark) back only when the set's user data says so.
            let userData: [UInt8] = [setKeyByteOrderType, 4] + order.hostBytes
            userData.withBytes { nftnl_set_set_data(object.pointer, attribute(NFTNL_SET_USERDATA), $0, $1) }
        }
        if set.keyType.isConcatenation && set.isInterval {
            // Field widths let the kernel pick the pipapo backend for concatenated ranges; the kernel refuses
            // them without NFT_SET_CONCAT, which it takes only with intervals.
            let lengths = set.keyType.fieldLengths.map { UInt8($0) }
            lengths.withBytes { nftnl_set_set_data(object.pointer, attribute(NFTNL_SET_DESC_CONCAT), $0, $1) }
        }
        return object
    }

    /// nft's set user data record for the key byte order (NFTNL_UDATA_SET_KEYBYTEORDER).
    static let setKeyByteOrderType: UInt8 = 0

    /// nft's byte order numbers: 1 host, 2 big endian.
    static func keyByteOrder(_ field: SetField) -> UInt32? {
        switch field {
        case .ifname, .mark: 1
        case .other: nil
        default: 2
        }
    }

    static func rule(_ rule: Rule) throws(NFTablesError) -> NftnlRule {
        let object = ruleScope(table: rule.table, chain: rule.chain)
        if let comment = rule.comment {
            guard comment.utf8.count <= RuleUserData.maximumCommentLength else {
                throw .invalid("\(rule): comment longer than \(RuleUserData.maximumCommentLength) bytes")
            }
            RuleUserData.encode(comment: comment).withBytes {
                nftnl_rule_set_data(object.pointer, attribute(NFTNL_RULE_USERDATA), $0, $1)
            }
        }
        for (index, expression) in rule.expressions.enumerated() {
            do {
                nftnl_rule_add_expr(object.pointer, try ExpressionCoding.encode(expression))
            } catch {
                throw .invalid("\(rule), expression \(index + 1): \(error)")
            }
        }
        return object
    }
}
