/// A rule in a chain: kernel expressions plus a user-data comment by which a reconciler recognises its own
/// rules. Listed rules carry the kernel's handle and their counter values.
public struct Rule: Hashable, Sendable, CustomStringConvertible {
    public var table: Table
    public var chain: String
    public var expressions: [Expression]
    /// Stored as nft's rule comment (user data TLV 0); `nft list` shows it. At most 128 bytes.
    public var comment: String?
    /// The kernel's handle; nil for a rule that was not read back.
    public var handle: UInt64?
    /// The values of the rule's first counter, when read back.
    public var counterValues: CounterValues?

    public init(table: Table, chain: String, comment: String? = nil, expressions: [Expression]) {
        self.table = table
        self.chain = chain
        self.comment = comment
        self.expressions = expressions
    }

    /// A rule built from statements: `Rule(in: chain, comment: "x", [.tcp(.dport, .eq, 22), .accept])`.
    public init(table: Table, chain: String, comment: String? = nil, _ statements: [Statement]) {
        self.init(table: table, chain: chain, comment: comment, expressions: statements.flatMap(\.expressions))
    }

    public init(in chain: Chain, comment: String? = nil, _ statements: [Statement]) {
        self.init(table: chain.table, chain: chain.name, comment: comment, statements)
    }

    /// True when both rules do the same thing in the same chain with the same comment, ignoring the
    /// handle and counter values that only listed rules have.
    public func hasSameContent(as other: Rule) -> Bool {
        table == other.table && chain == other.chain && comment == other.comment && expressions == other.expressions
    }

    /// "rule in chain inet tabby input (handle 4, comment "tabby:x")".
    public var description: String {
        var details: [String] = []
        if let handle { details.append("handle \(handle)") }
        if let comment { details.append("comment \"\(comment)\"") }
        return "rule in chain \(table) \(chain)" + (details.isEmpty ? "" : " (" + details.joined(separator: ", ") + ")")
    }
}

/// nft's rule user data: a list of (type: u8, length: u8, value) records; type 0 is the NUL-terminated comment.
enum RuleUserData {
    static let commentType: UInt8 = 0
    static let maximumCommentLength = 128

    static func encode(comment: String) -> [UInt8] {
        let value = Array(comment.utf8) + [0]
        return [commentType, UInt8(value.count)] + value
    }

    static func comment(in data: [UInt8]) -> String? {
        var offset = 0
        while offset + 2 <= data.count {
            let type = data[offset]
            let length = Int(data[offset + 1])
            let start = offset + 2
            guard start + length <= data.count else { return nil }
            if type == commentType {
                return String(decoding: data[start..<start + length].prefix { $0 != 0 }, as: UTF8.self)
            }
            offset = start + length
        }
        return nil
    }
}
