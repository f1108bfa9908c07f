/// Set flags the caller chooses. The map and concatenation flags follow from the set's data and key type.
public struct SetFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Elements cannot change after the set is created (`NFT_SET_CONSTANT`).
    public static let constant = SetFlags(rawValue: 0x2)
    /// Elements are ranges or prefixes (`NFT_SET_INTERVAL`).
    public static let interval = SetFlags(rawValue: 0x4)
    /// Elements may carry a timeout (`NFT_SET_TIMEOUT`).
    public static let timeout = SetFlags(rawValue: 0x10)

    static let map: UInt32 = 0x8
    static let concatenation: UInt32 = 0x80
    static let derived: UInt32 = map | concatenation
}

/// What the elements of a map point to.
public enum MapData: Hashable, Sendable {
    /// A verdict map: `type K : verdict`.
    case verdict
    /// A data type this module does not model, as the kernel reported it.
    case other(typeID: UInt32, length: Int)

    static let verdictTypeID: UInt32 = 0xffff_ff00
}

/// A named set or map in a table.
public struct NamedSet: Hashable, Sendable, CustomStringConvertible {
    public var table: Table
    public var name: String
    public var keyType: SetKeyType
    public var flags: SetFlags
    /// Non-nil for a map.
    public var mapData: MapData?

    public init(table: Table, name: String, keyType: SetKeyType, flags: SetFlags = [], mapData: MapData? = nil) {
        self.table = table
        self.name = name
        self.keyType = keyType
        self.flags = flags
        self.mapData = mapData
    }

    /// A verdict map, `map NAME { type KEY : verdict }`.
    public static func verdictMap(table: Table, name: String, keyType: SetKeyType, flags: SetFlags = []) -> NamedSet {
        NamedSet(table: table, name: name, keyType: keyType, flags: flags, mapData: .verdict)
    }

    public var isMap: Bool { mapData != nil }
    public var isInterval: Bool { flags.contains(.interval) }

    /// The flags word sent to the kernel, derived flags included.
    var kernelFlags: UInt32 {
        var value = flags.rawValue
        if mapData != nil { value |= SetFlags.map }
        if keyType.isConcatenation && isInterval { value |= SetFlags.concatenation }
        return value
    }

    /// "set inet tabby allowed" or "map inet tabby dispatch".
    public var description: String { "\(isMap ? "map" : "set") \(table) \(name)" }
}
