/// An IPv4 address, stored as a host-order `UInt32` (`192.0.2.1` is `0xC000_0201`).
///
/// Text form is the strict dotted quad: four decimal numbers 0-255 without leading zeros, because
/// `010.1.1.1` means 8.1.1.1 to some parsers and 10.1.1.1 to others.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public var value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// An address from its four bytes in network order; nil unless exactly four bytes are given.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses a strict dotted quad such as `192.0.2.1`; nil for anything else.
    public init?(_ text: String) {
        guard let address = try? Self.parse(Array(text.utf8)[...]) else { return nil }
        self = address
    }

    /// The four bytes in network order.
    public var bytes: [UInt8] {
        [
            UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
            UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
        ]
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool {
        lhs.value < rhs.value
    }

    /// Parses a dotted quad from UTF-8 bytes, saying what is wrong when it is not one.
    static func parse(_ text: ArraySlice<UInt8>) throws(AddressSyntaxError) -> IPv4Address {
        guard !text.isEmpty else { throw AddressSyntaxError("the address is empty") }
        var value: UInt32 = 0
        var part = 0
        var index = text.startIndex
        while true {
            let start = index
            var number: UInt32 = 0
            while index < text.endIndex, text[index].isASCIIDigit {
                // Saturate so that a long run of digits cannot overflow; anything over 255 is rejected below.
                number = min(number * 10 + UInt32(text[index] - UInt8(ascii: "0")), 1000)
                index += 1
            }
            let digits = text[start..<index]
            if digits.isEmpty {
                if index < text.endIndex, text[index] != UInt8(ascii: ".") {
                    throw AddressSyntaxError("unexpected character \(quotedCharacter(text[index])) in an IPv4 address")
                }
                throw AddressSyntaxError("part \(part + 1) of the dotted quad is empty")
            }
            let partText = String(decoding: digits, as: UTF8.self)
            if digits.count > 1, digits.first == UInt8(ascii: "0") {
                throw AddressSyntaxError("\"\(partText)\" has a leading zero, which is ambiguous (octal or decimal)")
            }
            if number > 255 {
                throw AddressSyntaxError("\"\(partText)\" is greater than 255")
            }
            value = value << 8 | number
            part += 1
            if index == text.endIndex { break }
            guard text[index] == UInt8(ascii: ".") else {
                throw AddressSyntaxError("unexpected character \(quotedCharacter(text[index])) in an IPv4 address")
            }
            guard part < 4 else { throw AddressSyntaxError("an IPv4 address has 4 parts, this one has more") }
            index += 1
        }
        guard part == 4 else {
            throw AddressSyntaxError("an IPv4 address has 4 parts, this one has \(part)")
        }
        return IPv4Address(value)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self.parse(Array(text.utf8)[...])
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not an IPv4 address: \(error.reason)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
