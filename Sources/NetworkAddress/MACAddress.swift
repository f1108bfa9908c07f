/// A 48-bit Ethernet (link-layer) address.
///
/// Text is read as six two-digit hex bytes separated by colons or dashes, in either case
/// (`66:E4:5A:C9:41:2B`, `66-e4-5a-c9-41-2b`), and written in the lower-case colon form (`66:e4:5a:c9:41:2b`).
public struct MACAddress: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The six bytes as a number: `aa:bb:cc:dd:ee:ff` is `0xaabb_ccdd_eeff`.
    public let value: UInt64

    /// An address from its number; bits above the low 48 are dropped.
    public init(_ value: UInt64) {
        self.value = value & 0xffff_ffff_ffff
    }

    /// An address from its six bytes in wire order; nil unless exactly six bytes are given.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Parses six colon- or dash-separated hex pairs; nil for anything else.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        // "aa:bb:cc:dd:ee:ff" is 17 bytes: six pairs and five separators, all the same.
        guard utf8.count == 17 else { return nil }
        let separator = utf8[2]
        guard separator == UInt8(ascii: ":") || separator == UInt8(ascii: "-") else { return nil }
        var value: UInt64 = 0
        for pair in 0..<6 {
            let start = pair * 3
            if pair > 0, utf8[start - 1] != separator { return nil }
            guard let high = utf8[start].hexDigitValue, let low = utf8[start + 1].hexDigitValue else { return nil }
            value = value << 8 | UInt64(high << 4 | low)
        }
        self.value = value
    }

    /// The six bytes in wire order.
    public var bytes: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64($0))) }
    }

    /// The lower-case colon form: `66:e4:5a:c9:41:2b`.
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(17)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { text.append(UInt8(ascii: ":")) }
            text.append(lowerHexDigits[Int(byte >> 4)])
            text.append(lowerHexDigits[Int(byte & 0xf)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool {
        lhs.value < rhs.value
    }

    /// Decodes the text form; a bad address is reported as `invalid MAC address "..."` with the expected form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let address = MACAddress(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "invalid MAC address \"\(text)\" (expected six hex pairs like ee:ee:ee:ee:ee:ee)")
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
