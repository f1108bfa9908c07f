import CNftnl

/// Converts expressions to and from libnftnl's `nftnl_expr` objects.
enum ExpressionCoding {
    /// NF_NAT_RANGE_MAP_IPS and NF_NAT_RANGE_PROTO_SPECIFIED: the kernel derives them from the registers
    /// and reports them back, so they are not part of an expression's identity.
    static let derivedNATFlags: UInt32 = 0x3
    static let lookupInverted: UInt32 = 0x1  // NFT_LOOKUP_F_INV

    /// A new `nftnl_expr`; the caller hands it to a rule, which then owns it.
    static func encode(_ expression: Expression) throws(NFTablesError) -> OpaquePointer {
        func make(_ name: String, _ configure: (OpaquePointer) -> Void) -> OpaquePointer {
            let object = nftnl_expr_alloc(name)!
            configure(object)
            return object
        }
        func u32(_ object: OpaquePointer, _ type: Int, _ value: UInt32) {
            nftnl_expr_set_u32(object, attribute(type), value)
        }
        func data(_ object: OpaquePointer, _ type: Int, _ value: [UInt8]) {
            value.withBytes { _ = nftnl_expr_set(object, attribute(type), $0, $1) }
        }
        switch expression {
        case .meta(let key, let register):
            return make("meta") {
                u32($0, NFTNL_EXPR_META_KEY, key.rawValue)
                u32($0, NFTNL_EXPR_META_DREG, register.rawValue)
            }
        case .setMeta(let key, let register):
            return make("meta") {
                u32($0, NFTNL_EXPR_META_KEY, key.rawValue)
                u32($0, NFTNL_EXPR_META_SREG, register.rawValue)
            }
        case .payload(let base, let offset, let length, let register):
            return make("payload") {
                u32($0, NFTNL_EXPR_PAYLOAD_DREG, register.rawValue)
                u32($0, NFTNL_EXPR_PAYLOAD_BASE, base.rawValue)
                u32($0, NFTNL_EXPR_PAYLOAD_OFFSET, offset)
                u32($0, NFTNL_EXPR_PAYLOAD_LEN, length)
            }
        case .compare(let register, let op, let value):
            guard !value.isEmpty, value.count <= 64 else { throw .invalid("compare with \(value.count) bytes") }
            return make("cmp") {
                u32($0, NFTNL_EXPR_CMP_SREG, register.rawValue)
                u32($0, NFTNL_EXPR_CMP_OP, op.rawValue)
                data($0, NFTNL_EXPR_CMP_DATA, value)
            }
        case .range(let register, let op, let from, let to):
            guard op == .eq || op == .neq, from.count == to.count, !from.isEmpty else {
                throw .invalid("range needs eq or neq and two bounds of one width")
            }
            return make("range") {
                u32($0, NFTNL_EXPR_RANGE_SREG, register.rawValue)
                u32($0, NFTNL_EXPR_RANGE_OP, op.rawValue)
                data($0, NFTNL_EXPR_RANGE_FROM_DATA, from)
                data($0, NFTNL_EXPR_RANGE_TO_DATA, to)
            }
        case .bitwise(let source, let destination, let mask, let xor):
            guard mask.count == xor.count, !mask.isEmpty else { throw .invalid("bitwise mask and xor widths differ") }
            return make("bitwise") {
                u32($0, NFTNL_EXPR_BITWISE_SREG, source.rawValue)
                u32($0, NFTNL_EXPR_BITWISE_DREG, destination.rawValue)
                u32($0, NFTNL_EXPR_BITWISE_LEN, UInt32(mask.count))
                data($0, NFTNL_EXPR_BITWISE_MASK, mask)
                data($0, NFTNL_EXPR_BITWISE_XOR, xor)
            }
        case .lookup(let register, let set, let destination, let inverted):
            return make("lookup") {
                u32($0, NFTNL_EXPR_LOOKUP_SREG, register.rawValue)
                nftnl_expr_set_str($0, attribute(NFTNL_EXPR_LOOKUP_SET), set)
                if let destination { u32($0, NFTNL_EXPR_LOOKUP_DREG, destination.rawValue) }
                if inverted { u32($0, NFTNL_EXPR_LOOKUP_FLAGS, lookupInverted) }
            }
        case .ct(let key, let register):
            return make("ct") {
                u32($0, NFTNL_EXPR_CT_KEY, key.rawValue)
                u32($0, NFTNL_EXPR_CT_DREG, register.rawValue)
            }
        case .counter:
            return make("counter") { _ in }
        case .log(let prefix, let group):
            return make("log") {
                if let prefix { nftnl_expr_set_str($0, attribute(NFTNL_EXPR_LOG_PREFIX), prefix) }
                if let group { nftnl_expr_set_u16($0, attribute(NFTNL_EXPR_LOG_GROUP), group) }
            }
        case .immediate(let value, let register):
            guard register != .verdict, !value.isEmpty, value.count <= 16 else {
                throw .invalid("immediate of \(value.count) bytes into \(register)")
            }
            return make("immediate") {
                u32($0, NFTNL_EXPR_IMM_DREG, register.rawValue)
                data($0, NFTNL_EXPR_IMM_DATA, value)
            }
        case .verdict(let verdict):
            return make("immediate") {
                u32($0, NFTNL_EXPR_IMM_DREG, Register.verdict.rawValue)
                u32($0, NFTNL_EXPR_IMM_VERDICT, UInt32(bitPattern: verdict.code))
                if let chain = verdict.chain { nftnl_expr_set_str($0, attribute(NFTNL_EXPR_IMM_CHAIN), chain) }
            }
        case .nat(let type, let family, let addressMin, let addressMax, let flags):
            return make("nat") {
                u32($0, NFTNL_EXPR_NAT_TYPE, type.rawValue)
                u32($0, NFTNL_EXPR_NAT_FAMILY, UInt32(family.rawValue))
                if let addressMin { u32($0, NFTNL_EXPR_NAT_REG_ADDR_MIN, addressMin.rawValue) }
                if let addressMax { u32($0, NFTNL_EXPR_NAT_REG_ADDR_MAX, addressMax.rawValue) }
                if flags != 0 { u32($0, NFTNL_EXPR_NAT_FLAGS, flags) }
            }
        case .masquerade(let flags):
            return make("masq") { if flags != 0 { u32($0, NFTNL_EXPR_MASQ_FLAGS, flags) } }
        case .reject(let type, let code):
            return make("reject") {
                u32($0, NFTNL_EXPR_REJECT_TYPE, type)
                nftnl_expr_set_u8($0, attribute(NFTNL_EXPR_REJECT_CODE), code)
            }
        case .unknown(let name):
            throw .invalid("expression \"\(name)\" is not one this module can send")
        }
    }

    /// Decodes a listed expression; counters also return their values.
    static func decode(_ object: OpaquePointer) -> (Expression, CounterValues?) {
        func u32(_ type: Int) -> UInt32 { nftnl_expr_get_u32(object, attribute(type)) }
        func isSet(_ type: Int) -> Bool { nftnl_expr_is_set(object, attribute(type)) }
        func data(_ type: Int) -> [UInt8] {
            var length: UInt32 = 0
            let pointer = nftnl_expr_get(object, attribute(type), &length)
            return bytes(pointer, length)
        }
        func string(_ type: Int) -> String? {
            guard isSet(type), let pointer = nftnl_expr_get_str(object, attribute(type)) else { return nil }
            return String(cString: pointer)
        }
        let name = String(cString: nftnl_expr_get_str(object, attribute(NFTNL_EXPR_NAME)))
        let unknown = Expression.unknown(name)
        switch name {
        case "meta":
            guard let key = MetaKey(rawValue: u32(NFTNL_EXPR_META_KEY)) else { return (unknown, nil) }
            if isSet(NFTNL_EXPR_META_DREG) { return (.meta(key, into: Register(u32(NFTNL_EXPR_META_DREG))), nil) }
            return (.setMeta(key, from: Register(u32(NFTNL_EXPR_META_SREG))), nil)
        case "payload":
            guard isSet(NFTNL_EXPR_PAYLOAD_DREG), let base = PayloadBase(rawValue: u32(NFTNL_EXPR_PAYLOAD_BASE)) else {
                return (unknown, nil)
            }
            let expression = Expression.payload(
                base, offset: u32(NFTNL_EXPR_PAYLOAD_OFFSET), length: u32(NFTNL_EXPR_PAYLOAD_LEN),
                into: Register(u32(NFTNL_EXPR_PAYLOAD_DREG)))
            return (expression, nil)
        case "cmp":
            guard let op = CompareOperator(rawValue: u32(NFTNL_EXPR_CMP_OP)) else { return (unknown, nil) }
            return (.compare(Register(u32(NFTNL_EXPR_CMP_SREG)), op, data(NFTNL_EXPR_CMP_DATA)), nil)
        case "range":
            guard let op = CompareOperator(rawValue: u32(NFTNL_EXPR_RANGE_OP)) else { return (unknown, nil) }
            let expression = Expression.range(
                Register(u32(NFTNL_EXPR_RANGE_SREG)), op, from: data(NFTNL_EXPR_RANGE_FROM_DATA),
                to: data(NFTNL_EXPR_RANGE_TO_DATA))
            return (expression, nil)
        case "bitwise":
            // Only the mask-and-xor form (NFT_BITWISE_BOOL, op 0); shifts stay unknown.
            guard !isSet(NFTNL_EXPR_BITWISE_OP) || u32(NFTNL_EXPR_BITWISE_OP) == 0 else { return (unknown, nil) }
            let expression = Expression.bitwise(
                source: Register(u32(NFTNL_EXPR_BITWISE_SREG)), destination: Register(u32(NFTNL_EXPR_BITWISE_DREG)),
                mask: data(NFTNL_EXPR_BITWISE_MASK), xor: data(NFTNL_EXPR_BITWISE_XOR))
            return (expression, nil)
        case "lookup":
            let expression = Expression.lookup(
                Register(u32(NFTNL_EXPR_LOOKUP_SREG)), set: string(NFTNL_EXPR_LOOKUP_SET) ?? "",
                destination: isSet(NFTNL_EXPR_LOOKUP_DREG) ? Register(u32(NFTNL_EXPR_LOOKUP_DREG)) : nil,
                inverted: u32(NFTNL_EXPR_LOOKUP_FLAGS) & lookupInverted != 0)
            return (expression, nil)
        case "ct":
            guard isSet(NFTNL_EXPR_CT_DREG), !isSet(NFTNL_EXPR_CT_DIR),
                let key = ConntrackKey(rawValue: u32(NFTNL_EXPR_CT_KEY))
            else { return (unknown, nil) }
            return (.ct(key, into: Register(u32(NFTNL_EXPR_CT_DREG))), nil)
        case "counter":
            let values = CounterValues(
                packets: nftnl_expr_get_u64(object, attribute(NFTNL_EXPR_CTR_PACKETS)),
                bytes: nftnl_expr_get_u64(object, attribute(NFTNL_EXPR_CTR_BYTES)))
            return (.counter, values)
        case "log":
            let group = isSet(NFTNL_EXPR_LOG_GROUP) ? nftnl_expr_get_u16(object, attribute(NFTNL_EXPR_LOG_GROUP)) : nil
            return (.log(prefix: string(NFTNL_EXPR_LOG_PREFIX), group: group), nil)
        case "immediate":
            let register = Register(u32(NFTNL_EXPR_IMM_DREG))
            guard register == .verdict else { return (.immediate(data(NFTNL_EXPR_IMM_DATA), into: register), nil) }
            let code = Int32(bitPattern: u32(NFTNL_EXPR_IMM_VERDICT))
            guard let verdict = Verdict(code: code, chain: string(NFTNL_EXPR_IMM_CHAIN)) else { return (unknown, nil) }
            return (.verdict(verdict), nil)
        case "nat":
            guard let type = NATType(rawValue: u32(NFTNL_EXPR_NAT_TYPE)),
                let family = Family(rawValue: UInt8(truncatingIfNeeded: u32(NFTNL_EXPR_NAT_FAMILY)))
            else { return (unknown, nil) }
            let minimum = isSet(NFTNL_EXPR_NAT_REG_ADDR_MIN) ? Register(u32(NFTNL_EXPR_NAT_REG_ADDR_MIN)) : nil
            var maximum = isSet(NFTNL_EXPR_NAT_REG_ADDR_MAX) ? Register(u32(NFTNL_EXPR_NAT_REG_ADDR_MAX)) : nil
            if maximum == minimum { maximum = nil }  // the kernel reports min as max when no max was sent
            let flags = u32(NFTNL_EXPR_NAT_FLAGS) & ~derivedNATFlags
            return (.nat(type, family: family, addressMin: minimum, addressMax: maximum, flags: flags), nil)
        case "masq":
            return (.masquerade(flags: u32(NFTNL_EXPR_MASQ_FLAGS)), nil)
        case "reject":
            let code = nftnl_expr_get_u8(object, attribute(NFTNL_EXPR_REJECT_CODE))
            return (.reject(type: u32(NFTNL_EXPR_REJECT_TYPE), code: code), nil)
        default:
            return (unknown, nil)
        }
    }
}
