import CNftnl

/// Where a message of a sent batch came from, to name the operation (and element) an error is about.
struct MessageOrigin {
    let operation: Int
    /// For element messages, the ordinal of the first kernel element the message carries.
    let firstKernelElement: Int
    /// The message bytes, kept until the replies are read, to resolve extended-ack offsets.
    var header: UnsafeMutablePointer<nlmsghdr>?
}

/// Encodes a transaction into one nfnetlink batch (BEGIN, the operations, END) with libnftnl.
///
/// Non-Sendable: it owns the libnftnl batch, whose pages hold the messages until the replies are read.
final class BatchEncoder {
    /// Pages are this large; a message may overrun a page by up to `pageOverrun` bytes, and element
    /// messages are kept under 64 KiB, so a message always fits.
    static let pageSize: UInt32 = 256 * 1024
    static let pageOverrun: UInt32 = 128 * 1024
    /// The element list nests under a 16-bit attribute length.
    static let maximumNestLength = Int(UInt16.max)

    private let batch: OpaquePointer
    let firstSequence: UInt32
    private(set) var nextSequence: UInt32
    /// Origins of the operation messages, by sequence number minus `firstSequence + 1`.
    private(set) var origins: [MessageOrigin] = []

    init(firstSequence: UInt32) {
        batch = nftnl_batch_alloc(Self.pageSize, Self.pageOverrun)
        self.firstSequence = firstSequence
        nextSequence = firstSequence
    }

    deinit { nftnl_batch_free(batch) }

    var beginSequence: UInt32 { firstSequence }
    var endSequence: UInt32 { nextSequence &- 1 }

    func origin(ofSequence sequence: UInt32) -> MessageOrigin? {
        let index = Int(sequence &- firstSequence) - 1
        return origins.indices.contains(index) ? origins[index] : nil
    }

    // MARK: Building

    func encode(_ transaction: Transaction) throws(NFTablesError) {
        nftnl_batch_begin(buffer, takeSequence())
        nftnl_batch_update(batch)
        for (index, operation) in transaction.operations.enumerated() {
            try encode(operation, index: index)
        }
        nftnl_batch_end(buffer, takeSequence())
        nftnl_batch_update(batch)
    }

    private var buffer: UnsafeMutablePointer<CChar> {
        nftnl_batch_buffer(batch).assumingMemoryBound(to: CChar.self)
    }

    private func takeSequence() -> UInt32 {
        defer { nextSequence &+= 1 }
        return nextSequence
    }

    private func header(_ type: nf_tables_msg_types, family: Family, flags: Int32, operation: Int, element: Int = 0)
        -> UnsafeMutablePointer<nlmsghdr>
    {
        origins.append(MessageOrigin(operation: operation, firstKernelElement: element, header: nil))
        return nftnl_nlmsg_build_hdr(
            buffer, UInt16(type.rawValue), UInt16(family.rawValue), UInt16(flags), takeSequence())
    }

    private func encode(_ operation: Operation, index: Int) throws(NFTablesError) {
        let create = NLM_F_CREATE
        switch operation {
        case .addTable(let table):
            let object = ObjectEncoding.table(table)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_table_nlmsg_build_payload(
                header(NFT_MSG_NEWTABLE, family: table.family, flags: create, operation: index), object.pointer)
        case .deleteTable(let table):
            let object = ObjectEncoding.table(table)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_table_nlmsg_build_payload(
                header(NFT_MSG_DELTABLE, family: table.family, flags: 0, operation: index), object.pointer)
        case .flushTable(let table):
            let object = ObjectEncoding.ruleScope(table: table, chain: nil)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_rule_nlmsg_build_payload(
                header(NFT_MSG_DELRULE, family: table.family, flags: 0, operation: index), object.pointer)
        case .addChain(let chain):
            let object = ObjectEncoding.chain(chain, withHook: true)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            let message = header(NFT_MSG_NEWCHAIN, family: chain.table.family, flags: create, operation: index)
            nftnl_chain_nlmsg_build_payload(message, object.pointer)
        case .deleteChain(let chain):
            let object = ObjectEncoding.chain(chain, withHook: false)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_chain_nlmsg_build_payload(
                header(NFT_MSG_DELCHAIN, family: chain.table.family, flags: 0, operation: index), object.pointer)
        case .flushChain(let chain):
            let object = ObjectEncoding.ruleScope(table: chain.table, chain: chain.name)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_rule_nlmsg_build_payload(
                header(NFT_MSG_DELRULE, family: chain.table.family, flags: 0, operation: index), object.pointer)
        case .addSet(let set):
            let object = try ObjectEncoding.set(set, definition: true)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            // NEWSET requires a transaction-unique id (NFTA_SET_ID), even when nothing refers to it.
            nftnl_set_set_u32(object.pointer, attribute(NFTNL_SET_ID), UInt32(index + 1))
            nftnl_set_nlmsg_build_payload(
                header(NFT_MSG_NEWSET, family: set.table.family, flags: create, operation: index), object.pointer)
        case .deleteSet(let set):
            let object = try ObjectEncoding.set(set, definition: false)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_set_nlmsg_build_payload(
                header(NFT_MSG_DELSET, family: set.table.family, flags: 0, operation: index), object.pointer)
        case .flushSet(let set):
            let object = try ObjectEncoding.set(set, definition: false)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            let message = header(NFT_MSG_DELSETELEM, family: set.table.family, flags: 0, operation: index)
            nftnl_set_elems_nlmsg_build_payload(message, object.pointer)
        case .addElements(let elements, let set):
            try encodeElements(elements, of: set, type: NFT_MSG_NEWSETELEM, flags: create, operation: index)
            return  // encodeElements completes its own messages
        case .deleteElements(let elements, let set):
            try encodeElements(elements, of: set, type: NFT_MSG_DELSETELEM, flags: 0, operation: index)
            return
        case .addRule(let rule):
            let object = try ObjectEncoding.rule(rule)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            let message = header(
                NFT_MSG_NEWRULE, family: rule.table.family, flags: create | NLM_F_APPEND, operation: index)
            nftnl_rule_nlmsg_build_payload(message, object.pointer)
        case .deleteRule(let rule):
            guard let handle = rule.handle else {
                throw .invalid("delete \(rule): a rule is deleted by handle; list it first")
            }
            let object = ObjectEncoding.ruleScope(table: rule.table, chain: rule.chain)
            defer { withExtendedLifetime(object) {} }  // the C calls below use its pointer
            nftnl_rule_set_u64(object.pointer, attribute(NFTNL_RULE_HANDLE), handle)
            nftnl_rule_nlmsg_build_payload(
                header(NFT_MSG_DELRULE, family: rule.table.family, flags: 0, operation: index), object.pointer)
        }
        nftnl_batch_update(batch)
    }

    // MARK: Set elements

    /// Elements go one reused `nftnl_set_elem` at a time into as many messages as the 16-bit nest needs.
    private func encodeElements(
        _ elements: [SetElement], of set: NamedSet, type: nf_tables_msg_types, flags: Int32, operation: Int
    ) throws(NFTablesError) {
        guard !elements.isEmpty else { return }
        let reference = try ObjectEncoding.set(set, definition: false)
        defer { withExtendedLifetime(reference) {} }  // the C calls below use its pointer
        let element = NftnlSetElement()
        defer { withExtendedLifetime(element) {} }  // the C calls below use its pointer
        var kernelOrdinal = 0
        var message: UnsafeMutablePointer<nlmsghdr>?
        var list: UnsafeMutablePointer<nlattr>?
        var inMessage = 0

        func open() {
            let opened = header(
                type, family: set.table.family, flags: flags, operation: operation, element: kernelOrdinal)
            nftnl_set_elems_nlmsg_build_payload(opened, reference.pointer)
            message = opened
            list = mnl_attr_nest_start(opened, UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue))
            inMessage = 0
        }
        func close() {
            guard let opened = message, let nest = list else { return }
            mnl_attr_nest_end(opened, nest)
            nftnl_batch_update(batch)
            message = nil
        }
        func append(_ kernel: KernelElement) {
            kernel.configure(element.pointer)
            if message == nil { open() }
            let before = message!.pointee.nlmsg_len
            nftnl_set_elem_nlmsg_build(message!, element.pointer, Int32(inMessage + 1))
            if nestLength(message!, list!) > Self.maximumNestLength {
                // Take the element back out and start the next message with it.
                message!.pointee.nlmsg_len = before
                close()
                open()
                nftnl_set_elem_nlmsg_build(message!, element.pointer, Int32(inMessage + 1))
            }
            inMessage += 1
            kernelOrdinal += 1
        }

        for (index, value) in elements.enumerated() {
            let expansion = try KernelElement.expand(value, in: set, index: index)
            append(expansion.0)
            if let end = expansion.1 { append(end) }
        }
        close()
    }

    private func nestLength(_ message: UnsafeMutablePointer<nlmsghdr>, _ nest: UnsafeMutablePointer<nlattr>) -> Int {
        let tail = UnsafeRawPointer(message) + Netlink.align(Int(message.pointee.nlmsg_len))
        return tail - UnsafeRawPointer(nest)
    }

    // MARK: Sending

    /// Sets NLM_F_ACK, records where each message lies and returns the pages to send in one sendmsg.
    /// Every message is acknowledged when there are at most `ackEveryMessageUpTo`; otherwise only the
    /// last one is (errors are reported regardless), which keeps the replies inside the receive buffer.
    func finish(ackEveryMessageUpTo limit: Int) -> (iovecs: [iovec], length: Int, barrier: UInt32) {
        let count = Int(nftnl_batch_iovec_len(batch))
        var iovecs = [iovec](repeating: iovec(), count: count)
        nftnl_batch_iovec(batch, &iovecs, UInt32(count))
        let ackAll = origins.count <= limit
        var length = 0
        var index = 0
        for page in iovecs {
            length += page.iov_len
            var offset = 0
            while offset + Netlink.headerSize <= page.iov_len {
                let message = (page.iov_base! + offset).assumingMemoryBound(to: nlmsghdr.self)
                let sequence = message.pointee.nlmsg_seq
                if sequence != beginSequence && sequence != endSequence {
                    origins[index].header = message
                    if ackAll || index == origins.count - 1 {
                        message.pointee.nlmsg_flags |= UInt16(NLM_F_ACK)
                    }
                    index += 1
                }
                offset += Netlink.align(Int(message.pointee.nlmsg_len))
            }
        }
        return (iovecs, length, endSequence &- 1)
    }
}

/// One element as the kernel takes it. A range in a single-field interval set becomes two: its start,
/// and the key after its end flagged as an interval end; concatenated ranges carry their end as KEY_END.
struct KernelElement {
    static let intervalEnd: UInt32 = 0x1  // NFT_SET_ELEM_INTERVAL_END

    var key: [UInt8]
    var keyEnd: [UInt8]?
    var flags: UInt32
    var verdict: Verdict?

    func configure(_ element: OpaquePointer) {
        key.withBytes { _ = nftnl_set_elem_set(element, attribute(NFTNL_SET_ELEM_KEY), $0, $1) }
        if let keyEnd {
            keyEnd.withBytes { _ = nftnl_set_elem_set(element, attribute(NFTNL_SET_ELEM_KEY_END), $0, $1) }
        } else {
            nftnl_set_elem_unset(element, attribute(NFTNL_SET_ELEM_KEY_END))
        }
        if flags != 0 {
            nftnl_set_elem_set_u32(element, attribute(NFTNL_SET_ELEM_FLAGS), flags)
        } else {
            nftnl_set_elem_unset(element, attribute(NFTNL_SET_ELEM_FLAGS))
        }
        nftnl_set_elem_unset(element, attribute(NFTNL_SET_ELEM_CHAIN))
        if let verdict {
            nftnl_set_elem_set_u32(element, attribute(NFTNL_SET_ELEM_VERDICT), UInt32(bitPattern: verdict.code))
            if let chain = verdict.chain { nftnl_set_elem_set_str(element, attribute(NFTNL_SET_ELEM_CHAIN), chain) }
        } else {
            nftnl_set_elem_unset(element, attribute(NFTNL_SET_ELEM_VERDICT))
        }
    }

    /// The kernel elements for one element of `set`, after checking it fits the set.
    static func expand(_ element: SetElement, in set: NamedSet, index: Int) throws(NFTablesError) -> (
        KernelElement, KernelElement?
    ) {
        let length = set.keyType.kernelLength
        func refuse(_ why: String) -> NFTablesError {
            .invalid("element \(index) (\(element.description(keyType: set.keyType))) of \(set): \(why)")
        }
        guard element.key.count == length, element.keyEnd.map({ $0.count == length }) ?? true else {
            throw refuse("key of \(element.key.count) bytes, the set's key type \(set.keyType) takes \(length)")
        }
        switch set.mapData {
        case .verdict where element.verdict == nil: throw refuse("a verdict map element needs a verdict")
        case .none where element.verdict != nil: throw refuse("a set that is not a verdict map takes no verdict")
        default: break
        }
        guard set.isInterval else {
            if element.keyEnd != nil { throw refuse("a range needs a set with the interval flag") }
            return (KernelElement(key: element.key, keyEnd: nil, flags: 0, verdict: element.verdict), nil)
        }
        let last = element.keyEnd ?? element.key
        guard element.key.lexicographicallyPrecedes(last) || element.key == last else {
            throw refuse("range ends before it starts")
        }
        if set.keyType.isConcatenation {
            return (KernelElement(key: element.key, keyEnd: last, flags: 0, verdict: element.verdict), nil)
        }
        let start = KernelElement(key: element.key, keyEnd: nil, flags: 0, verdict: element.verdict)
        guard let after = successor(of: last) else { return (start, nil) }  // the range runs to the top
        return (start, KernelElement(key: after, keyEnd: nil, flags: intervalEnd, verdict: nil))
    }

    /// The big-endian successor of a key, or nil when the key is all ones.
    static func successor(of key: [UInt8]) -> [UInt8]? {
        var next = key
        for index in next.indices.reversed() {
            if next[index] == 0xff {
                next[index] = 0
            } else {
                next[index] += 1
                return next
            }
        }
        return nil
    }
}
