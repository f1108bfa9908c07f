/// An IPv6 address as two host-order halves: `high` holds bits 0-63 (the first 8 bytes), `low` bits 64-127.
///
/// Parsing accepts every RFC 4291 text form: full, `::`-compressed, either case, and an embedded IPv4
/// address in the last 32 bits (`::ffff:192.0.2.1`). Zone identifiers (`fe80::1%eth0`) are not addresses
/// and are rejected. `description` is the RFC 5952 canonical form.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An address from its sixteen bytes in network order; nil unless exactly sixteen bytes are given.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                high = high << 8 | UInt64(byte)
            } else {
                low = low << 8 | UInt64(byte)
            }
        }
        self.init(high: high, low: low)
    }

    /// An address from its eight 16-bit groups, as written left to right.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has 8 groups, not \(groups.count)")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<4 {
            high = high << 16 | UInt64(groups[index])
            low = low << 16 | UInt64(groups[index + 4])
        }
        self.init(high: high, low: low)
    }

    /// The IPv4-mapped address `::ffff:a.b.c.d` for an IPv4 address.
    public init(ipv4Mapped address: IPv4Address) {
        self.init(high: 0, low: 0xffff_0000_0000 | UInt64(address.value))
    }

    /// Parses any RFC 4291 text form; nil for anything else.
    public init?(_ text: String) {
        guard let address = try? Self.parse(Array(text.utf8)[...]) else { return nil }
        self = address
    }

    /// The sixteen bytes in network order.
    public var bytes: [UInt8] {
        var result = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            result[index] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * index))
            result[index + 8] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * index))
        }
        return result
    }

    /// The eight 16-bit groups, left to right.
    public var groups: [UInt16] {
        (0..<8).map { index in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (index % 4)))
        }
    }

    /// The IPv4 address inside an IPv4-mapped address (`::ffff:0:0/96`), or nil.
    public var ipv4Mapped: IPv4Address? {
        guard high == 0, low >> 32 == 0xffff else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: low))
    }

    /// RFC 5952 text: lowercase hex without leading zeros, the longest run of two or more zero groups
    /// (the first one on a tie) written as `::`, and IPv4-mapped addresses in mixed notation
    /// (`::ffff:192.0.2.1`, RFC 5952 section 5).
    public var description: String {
        if let mapped = ipv4Mapped {
            return "::ffff:" + mapped.description
        }
        let groups = self.groups
        var bestStart = -1
        var bestLength = 1  // a single zero group is never compressed
        var runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
                continue
            }
            if runStart >= 0, index - runStart > bestLength {
                bestStart = runStart
                bestLength = index - runStart
            }
            runStart = -1
        }
        var text: [UInt8] = []
        text.reserveCapacity(39)
        var index = 0
        while index < 8 {
            if index == bestStart {
                // Groups are written with a leading ":" except the first, so the run becomes exactly "::".
                text.append(UInt8(ascii: ":"))
                text.append(UInt8(ascii: ":"))
                index += bestLength
                if index == 8 { break }
                appendHex(groups[index], to: &text)
                index += 1
                continue
            }
            if index > 0 { text.append(UInt8(ascii: ":")) }
            appendHex(groups[index], to: &text)
            index += 1
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Parses an RFC 4291 address from UTF-8 bytes, saying what is wrong when it is not one.
    static func parse(_ text: ArraySlice<UInt8>) throws(AddressSyntaxError) -> IPv6Address {
        guard !text.isEmpty else { throw AddressSyntaxError("the address is empty") }
        if text.contains(UInt8(ascii: "%")) {
            throw AddressSyntaxError("zone identifiers (\"%...\") are not part of an address")
        }
        var head: [UInt16] = []  // groups before "::" (all of them when there is no "::")
        var tail: [UInt16] = []  // groups after "::"
        var compressed = false
        var index = text.startIndex
        let end = text.endIndex
        if text.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            compressed = true
            index += 2
        } else if text[index] == UInt8(ascii: ":") {
            throw AddressSyntaxError("an address cannot start with a single \":\"")
        }
        while index < end {
            let start = index
            var group: UInt32 = 0
            while index < end, let digit = text[index].hexDigitValue {
                group = (group << 4 | UInt32(digit)) & 0xf_ffff
                index += 1
            }
            if index < end, text[index] == UInt8(ascii: ".") {
                // An embedded IPv4 address fills the last 32 bits, so it must end the text.
                let ipv4 = try IPv4Address.parse(text[start..<end])
                let groups = [UInt16(truncatingIfNeeded: ipv4.value >> 16), UInt16(truncatingIfNeeded: ipv4.value)]
                if compressed { tail += groups } else { head += groups }
                index = end
                break
            }
            let digits = index - start
            if digits == 0 {
                if index < end, text[index] != UInt8(ascii: ":") {
                    throw AddressSyntaxError("unexpected character \(quotedCharacter(text[index])) in an IPv6 address")
                }
                throw AddressSyntaxError("\":::\" is not valid; \"::\" may stand for zero groups only once")
            }
            if digits > 4 {
                let groupText = String(decoding: text[start..<index], as: UTF8.self)
                throw AddressSyntaxError("group \"\(groupText)\" has more than 4 hex digits")
            }
            if compressed { tail.append(UInt16(group)) } else { head.append(UInt16(group)) }
            if head.count + tail.count > 8 {
                throw AddressSyntaxError("an IPv6 address has at most 8 groups")
            }
            if index == end { break }
            guard text[index] == UInt8(ascii: ":") else {
                throw AddressSyntaxError("unexpected character \(quotedCharacter(text[index])) in an IPv6 address")
            }
            index += 1
            if index == end {
                throw AddressSyntaxError("an address cannot end with a single \":\"")
            }
            if text[index] == UInt8(ascii: ":") {
                if compressed { throw AddressSyntaxError("\"::\" may appear only once") }
                compressed = true
                index += 1
            }
        }
        let count = head.count + tail.count
        if compressed {
            guard count <= 7 else {
                throw AddressSyntaxError("\"::\" stands for at least one zero group, but 8 groups are already given")
            }
        } else if count != 8 {
            throw AddressSyntaxError("an IPv6 address without \"::\" has 8 groups, this one has \(count)")
        }
        let groups = head + [UInt16](repeating: 0, count: 8 - count) + tail
        return IPv6Address(groups: groups)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self.parse(Array(text.utf8)[...])
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not an IPv6 address: \(error.reason)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Appends a 16-bit group in lowercase hex without leading zeros.
private func appendHex(_ group: UInt16, to text: inout [UInt8]) {
    var started = false
    for shift in stride(from: 12, through: 0, by: -4) {
        let digit = Int(group >> UInt16(shift) & 0xf)
        if digit != 0 || started || shift == 0 {
            text.append(lowerHexDigits[digit])
            started = true
        }
    }
}
