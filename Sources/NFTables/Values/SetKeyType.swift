/// One field of a set key: an nft data type with its kernel type number and width.
public enum SetField: Hashable, Sendable, CustomStringConvertible {
    case ipv4Address
    case ipv6Address
    case etherAddress
    case inetProtocol
    case inetService
    case mark
    case ifname
    /// A data type this module does not model, kept as the kernel reported it.
    case other(typeID: UInt32, length: Int)

    /// nft's data type number (`TYPE_IPADDR` is 7, ...), which the kernel stores without interpreting.
    public var typeID: UInt32 {
        switch self {
        case .ipv4Address: 7
        case .ipv6Address: 8
        case .etherAddress: 9
        case .inetProtocol: 12
        case .inetService: 13
        case .mark: 19
        case .ifname: 41
        case .other(let typeID, _): typeID
        }
    }

    /// Width in bytes of one value.
    public var length: Int {
        switch self {
        case .ipv4Address, .mark: 4
        case .ipv6Address, .ifname: 16
        case .etherAddress: 6
        case .inetProtocol: 1
        case .inetService: 2
        case .other(_, let length): length
        }
    }

    /// The name `nft` prints ("ipv4_addr").
    public var description: String {
        switch self {
        case .ipv4Address: "ipv4_addr"
        case .ipv6Address: "ipv6_addr"
        case .etherAddress: "ether_addr"
        case .inetProtocol: "inet_proto"
        case .inetService: "inet_service"
        case .mark: "mark"
        case .ifname: "ifname"
        case .other(let typeID, _): "type#\(typeID)"
        }
    }

    static let known: [SetField] = [
        .ipv4Address, .ipv6Address, .etherAddress, .inetProtocol, .inetService, .mark, .ifname,
    ]
}

/// The key of a set: one field, or a concatenation such as `ipv4_addr . inet_proto . inet_service`.
public struct SetKeyType: Hashable, Sendable, CustomStringConvertible {
    public var fields: [SetField]

    public init(_ fields: [SetField]) {
        precondition(!fields.isEmpty, "a set key has at least one field")
        self.fields = fields
    }

    public init(_ fields: SetField...) { self.init(fields) }

    public static let ipv4Address = SetKeyType(.ipv4Address)
    public static let ipv6Address = SetKeyType(.ipv6Address)
    public static let ifname = SetKeyType(.ifname)
    public static let inetService = SetKeyType(.inetService)

    public var isConcatenation: Bool { fields.count > 1 }

    /// nft packs a concatenation's type numbers 6 bits apart, first field highest.
    public var kernelType: UInt32 { fields.reduce(0) { $0 << 6 | $1.typeID } }

    /// In a concatenation each field fills whole 32-bit registers.
    public var kernelLength: Int {
        isConcatenation ? fields.reduce(0) { $0 + Self.registerAligned($1.length) } : fields[0].length
    }

    /// Byte widths of the fields as the kernel lays them out (`NFTA_SET_DESC_CONCAT`).
    var fieldLengths: [Int] { fields.map(\.length) }

    /// Rebuilds a key type from what the kernel stores; unknown type numbers become `.other`.
    init(kernelType: UInt32, length: Int) {
        var parts: [UInt32] = []
        var rest = kernelType
        while rest != 0 {
            parts.insert(rest & 0x3f, at: 0)
            rest >>= 6
        }
        let decoded = parts.map { id in SetField.known.first { $0.typeID == id } }
        if parts.count == 1, let field = decoded[0], field.length == length {
            fields = [field]
        } else if parts.count > 1, decoded.allSatisfy({ $0 != nil }),
            decoded.reduce(0, { $0 + Self.registerAligned($1!.length) }) == length
        {
            fields = decoded.map { $0! }
        } else {
            fields = [.other(typeID: kernelType, length: length)]
        }
    }

    public var description: String { fields.map(\.description).joined(separator: " . ") }

    static func registerAligned(_ length: Int) -> Int { (length + 3) & ~3 }
}
