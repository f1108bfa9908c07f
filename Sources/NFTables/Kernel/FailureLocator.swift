import CNftnl

/// Turns the extended-ack offset of a refused message into the element or expression it points at.
enum FailureLocator {
    static func locate(_ offset: UInt32?, in origin: MessageOrigin, operation: Operation) -> (
        object: ObjectReference, detail: String?
    ) {
        guard let offset, let message = origin.header else { return (operation.object, nil) }
        let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(message), count: Int(message.pointee.nlmsg_len))
        switch operation {
        case .addElements(let elements, let set), .deleteElements(let elements, let set):
            let listType = UInt16(NFTA_SET_ELEM_LIST_ELEMENTS.rawValue)
            guard let position = nestedIndex(containing: Int(offset), in: raw, listAttribute: listType),
                let element = callerElement(ordinal: origin.firstKernelElement + position, of: elements, in: set)
            else { return (operation.object, nil) }
            let text = element.description(keyType: set.keyType)
            return (.elements(set.table, set: set.name, element: text), nil)
        case .addRule(let rule):
            let listType = UInt16(NFTA_RULE_EXPRESSIONS.rawValue)
            guard let position = nestedIndex(containing: Int(offset), in: raw, listAttribute: listType),
                rule.expressions.indices.contains(position)
            else { return (operation.object, nil) }
            return (operation.object, "expression \(position + 1) (\(name(of: rule.expressions[position])))")
        default:
            return (operation.object, nil)
        }
    }

    /// The index of the attribute inside the top-level nest `listAttribute` whose bytes contain `offset`.
    static func nestedIndex(containing offset: Int, in message: UnsafeRawBufferPointer, listAttribute: UInt16) -> Int? {
        let payloadStart = Netlink.headerSize + 4  // struct nfgenmsg
        guard payloadStart <= message.count else { return nil }
        var result: Int?
        let base = message.baseAddress!
        Netlink.forEachAttribute(in: UnsafeRawBufferPointer(rebasing: message[payloadStart...])) { type, list in
            guard type == listAttribute, result == nil else { return }
            var index = 0
            Netlink.forEachAttribute(in: list) { _, item in
                let start = item.baseAddress! - base - 4
                if result == nil, offset >= start, offset < start + 4 + item.count { result = index }
                index += 1
            }
        }
        return result
    }

    /// Maps a kernel element ordinal back to the caller's element, following `KernelElement.expand`.
    private static func callerElement(ordinal: Int, of elements: [SetElement], in set: NamedSet) -> SetElement? {
        var count = 0
        for (index, element) in elements.enumerated() {
            guard let expansion = try? KernelElement.expand(element, in: set, index: index) else { return nil }
            count += expansion.1 == nil ? 1 : 2
            if ordinal < count { return element }
        }
        return nil
    }

    private static func name(of expression: Expression) -> String {
        switch expression {
        case .meta, .setMeta: "meta"
        case .payload: "payload"
        case .compare: "cmp"
        case .range: "range"
        case .bitwise: "bitwise"
        case .lookup(_, let set, _, _): "lookup @\(set)"
        case .ct: "ct"
        case .counter: "counter"
        case .log: "log"
        case .immediate: "immediate"
        case .verdict(let verdict): "verdict \(verdict)"
        case .nat: "nat"
        case .masquerade: "masq"
        case .reject: "reject"
        case .unknown(let name): name
        }
    }
}
