import NetworkAddress

/// A typed value for one field of a set key; ranges and prefixes make interval elements.
public enum SetKeyValue: Hashable, Sendable {
    case ipv4(IPv4Address)
    case ipv4Range(IPv4Address, IPv4Address)
    case ipv6(IPv6Address)
    case ipv6Range(IPv6Address, IPv6Address)
    /// Every address of the prefix (its host bits ignored): 4 key bytes for IPv4, 16 for IPv6, so it belongs in
    /// a set of its family's address key type.
    case prefix(CIDR)
    case inetProtocol(UInt8)
    case inetService(UInt16)
    case inetServiceRange(UInt16, UInt16)
    case mark(UInt32)
    case ifname(String)

    /// The first and last key bytes this value covers, in the kernel's layout for its field.
    var bounds: (first: [UInt8], last: [UInt8]) {
        switch self {
        case .ipv4(let address): (address.bytes, address.bytes)
        case .ipv4Range(let first, let last): (first.bytes, last.bytes)
        case .ipv6(let address): (address.bytes, address.bytes)
        case .ipv6Range(let first, let last): (first.bytes, last.bytes)
        case .prefix(let prefix): (prefix.networkAddress.bytes, prefix.lastAddress.bytes)
        case .inetProtocol(let proto): ([proto], [proto])
        case .inetService(let port): (port.networkBytes, port.networkBytes)
        case .inetServiceRange(let first, let last): (first.networkBytes, last.networkBytes)
        case .mark(let mark): (mark.hostBytes, mark.hostBytes)
        case .ifname(let name): (InterfaceName.bytes(name), InterfaceName.bytes(name))
        }
    }
}

/// An element of a set or map, as the kernel stores it: key bytes, an optional inclusive range end and,
/// in a verdict map, a verdict.
///
/// Keys are raw bytes so that listed elements compare equal to desired ones; build them from typed values
/// with `init(_:verdict:)`.
public struct SetElement: Hashable, Sendable {
    /// Key bytes; in a concatenation every field is padded to a multiple of 4 bytes.
    public var key: [UInt8]
    /// The last key of a range (inclusive); nil for a single key.
    public var keyEnd: [UInt8]?
    /// The verdict of a verdict-map element.
    public var verdict: Verdict?

    /// An element from raw key bytes. A `keyEnd` equal to `key` is dropped, so a range of one is a single key.
    public init(key: [UInt8], keyEnd: [UInt8]? = nil, verdict: Verdict? = nil) {
        self.key = key
        self.keyEnd = keyEnd == key ? nil : keyEnd
        self.verdict = verdict
    }

    /// An element from one value per key field, such as `SetElement(.ipv4(a), .inetProtocol(6), .inetService(80))`.
    public init(_ values: [SetKeyValue], verdict: Verdict? = nil) {
        let concatenated = values.count > 1
        var first: [UInt8] = []
        var last: [UInt8] = []
        for value in values {
            let bounds = value.bounds
            first += concatenated ? Self.padded(bounds.first) : bounds.first
            last += concatenated ? Self.padded(bounds.last) : bounds.last
        }
        self.init(key: first, keyEnd: last, verdict: verdict)
    }

    public init(_ values: SetKeyValue..., verdict: Verdict? = nil) { self.init(values, verdict: verdict) }

    /// The element read as the given key type, for messages and logs: "192.0.2.0-192.0.2.255 . 6 . 80".
    public func description(keyType: SetKeyType) -> String {
        let firsts = Self.split(key, keyType: keyType)
        let lasts = keyEnd.map { Self.split($0, keyType: keyType) } ?? firsts
        guard let firsts, let lasts else { return "0x" + key.hex + (keyEnd.map { "-0x" + $0.hex } ?? "") }
        var text = zip(keyType.fields, zip(firsts, lasts)).map { field, pair in
            let first = Self.render(pair.0, as: field)
            return pair.0 == pair.1 ? first : first + "-" + Self.render(pair.1, as: field)
        }.joined(separator: " . ")
        if let verdict { text += " : \(verdict)" }
        return text
    }

    static func padded(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: SetKeyType.registerAligned(bytes.count) - bytes.count)
    }

    private static func split(_ bytes: [UInt8], keyType: SetKeyType) -> [[UInt8]]? {
        guard bytes.count == keyType.kernelLength else { return nil }
        if !keyType.isConcatenation { return [bytes] }
        var parts: [[UInt8]] = []
        var offset = 0
        for field in keyType.fields {
            parts.append(Array(bytes[offset..<offset + field.length]))
            offset += SetKeyType.registerAligned(field.length)
        }
        return parts
    }

    private static func render(_ bytes: [UInt8], as field: SetField) -> String {
        switch field {
        case .ipv4Address: IPv4Address(bytes: bytes)!.description
        case .ipv6Address: IPv6Address(bytes: bytes)!.description
        case .inetProtocol: String(bytes[0])
        case .inetService: String(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        case .mark: "0x" + String(UInt32(hostBytes: bytes), radix: 16)
        case .ifname: "\"" + InterfaceName.string(bytes) + "\""
        case .etherAddress: bytes.map { String($0, radix: 16) }.joined(separator: ":")
        case .other: "0x" + bytes.hex
        }
    }
}

/// Interface names as nf_tables compares them: IFNAMSIZ (16) bytes, NUL padded.
enum InterfaceName {
    static let size = 16

    /// The padded form of a full name; names of 16 bytes or more stay too long, so the kernel length check names them.
    static func bytes(_ name: String) -> [UInt8] {
        let utf8 = Array(name.utf8)
        return utf8 + [UInt8](repeating: 0, count: max(size - utf8.count, 1))
    }

    static func string(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension UInt16 {
    var networkBytes: [UInt8] { [UInt8(self >> 8), UInt8(self & 0xff)] }
}

extension UInt32 {
    /// Marks, conntrack state bits and other host-order kernel words.
    var hostBytes: [UInt8] { withUnsafeBytes(of: self) { Array($0) } }

    init(hostBytes bytes: [UInt8]) {
        var value: UInt32 = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for index in 0..<Swift.min(4, bytes.count) { raw[index] = bytes[index] }
        }
        self = value
    }
}

extension Array where Element == UInt8 {
    var hex: String {
        map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
