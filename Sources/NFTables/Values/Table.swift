/// An nf_tables table: a family and a name. Everything else in the module lives in a table.
public struct Table: Hashable, Sendable, CustomStringConvertible {
    public var family: Family
    public var name: String

    public init(family: Family, name: String) {
        self.family = family
        self.name = name
    }

    /// "inet tabby", as `nft` names a table.
    public var description: String { "\(family) \(name)" }
}
