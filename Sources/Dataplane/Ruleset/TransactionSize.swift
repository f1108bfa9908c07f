import NFTables

/// How many netlink messages a transaction takes between the batch's BEGIN and END, counted with the
/// NFTables encoder's rules: one message per operation, except element lists, which fill messages up to the
/// 16-bit length of their nest (about 4,000 IPv4 keys each). Used for the status and the benchmark.
public enum TransactionSize {
    /// The nest that holds a message's element list is limited by its 16-bit attribute length.
    static let maximumNestLength = Int(UInt16.max)
    /// A netlink attribute header.
    static let attributeHeader = 4

    /// Messages of the whole transaction, BEGIN and END not counted.
    public static func messages(_ transaction: Transaction) -> Int {
        transaction.operations.reduce(0) { $0 + messages($1) }
    }

    /// Messages of one operation.
    public static func messages(_ operation: Operation) -> Int {
        switch operation {
        case .addElements(let elements, let set), .deleteElements(let elements, let set):
            return elementMessages(elements, of: set)
        default:
            return 1
        }
    }

    private static func elementMessages(_ elements: [SetElement], of set: NamedSet) -> Int {
        guard !elements.isEmpty else { return 0 }
        var messages = 1
        var nest = attributeHeader
        func append(_ size: Int) {
            if nest + size > maximumNestLength {
                messages += 1
                nest = attributeHeader
            }
            nest += size
        }
        for element in elements {
            for size in kernelElementSizes(element, of: set) { append(size) }
        }
        return messages
    }

    /// Encoded sizes of the kernel elements one element becomes: a range in a single-field interval set is a
    /// start and an end element (none when the range reaches the top of the key space).
    static func kernelElementSizes(_ element: SetElement, of set: NamedSet) -> [Int] {
        let key = dataAttribute(element.key.count)
        var start = attributeHeader + key + verdictSize(element.verdict)
        guard set.isInterval else { return [start] }
        let last = element.keyEnd ?? element.key
        if set.keyType.isConcatenation {
            start += dataAttribute(last.count)
            return [start]
        }
        guard last.contains(where: { $0 != 0xff }) else { return [start] }
        let end = attributeHeader + 8 + key  // flags (INTERVAL_END) and the key after the range
        return [start, end]
    }

    /// A nested NFTA_DATA_VALUE holding `length` bytes.
    private static func dataAttribute(_ length: Int) -> Int { attributeHeader + attributeHeader + aligned(length) }

    private static func verdictSize(_ verdict: Verdict?) -> Int {
        guard let verdict else { return 0 }
        var size = attributeHeader + attributeHeader + 8  // data nest, verdict nest, code
        if let chain = verdict.chain { size += attributeHeader + aligned(chain.utf8.count + 1) }
        return size
    }

    private static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }
}
