import Foundation

/// A JSON value as etcd's gateway sends it: objects, arrays, strings (keys and values in base64, int64s as
/// strings), numbers, booleans and null. Parsed from bytes by `GatewayJSON.parse`, a small parser written for
/// the gateway's answers: a range of 10,000 values is one 14 MB document, and Foundation's parser builds
/// bridged dictionaries that cost several times more.
enum GatewayJSON: Sendable, Equatable {
    case object([String: GatewayJSON])
    case array([GatewayJSON])
    case string(String)
    case number(Double, text: String)
    case bool(Bool)
    case null

    subscript(key: String) -> GatewayJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var array: [GatewayJSON]? {
        if case .array(let values) = self { return values }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// An int64 as the gateway writes it (a string) or as a plain number.
    var int64: Int64? {
        switch self {
        case .string(let text): Int64(text)
        case .number(_, let text): Int64(text)
        default: nil
        }
    }

    /// The bytes of a base64 string.
    var base64Bytes: [UInt8]? {
        guard case .string(let text) = self else { return nil }
        if text.isEmpty { return [] }
        // Foundation's decoder: a range of 10,000 1 KB values is 14 MB of base64.
        return Data(base64Encoded: text).map { [UInt8]($0) }
    }
}

/// Why a document is not JSON, with the byte offset.
struct GatewayJSONError: Error, CustomStringConvertible {
    var offset: Int
    var reason: String
    var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension GatewayJSON {
    /// Parses one JSON document (surrounding whitespace allowed). Nesting deeper than 64 levels is refused
    /// rather than recursed into.
    static func parse(_ bytes: some Collection<UInt8>) throws(GatewayJSONError) -> GatewayJSON {
        let contiguous = Array(bytes)
        return try contiguous.withUnsafeBufferPointer { buffer throws(GatewayJSONError) in
            var parser = Parser(bytes: buffer)
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            guard parser.position == buffer.count else { throw parser.error("trailing characters") }
            return value
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func error(_ reason: String) -> GatewayJSONError { GatewayJSONError(offset: position, reason: reason) }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0a, 0x0d: position += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(GatewayJSONError) -> GatewayJSON {
            guard depth < 64 else { throw error("nested too deeply") }
            guard position < bytes.count else { throw error("unexpected end") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws(GatewayJSONError) {
            let utf8 = Array(word.utf8)
            let count = utf8.count
            guard position + count <= bytes.count else { throw error("unexpected end") }
            for index in 0..<count where bytes[position + index] != utf8[index] {
                throw error("unexpected character")
            }
            position += count
        }

        mutating func object(depth: Int) throws(GatewayJSONError) -> GatewayJSON {
            position += 1
            var members: [String: GatewayJSON] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw error("expected a member name")
                }
                let name = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
                position += 1
                skipWhitespace()
                members[name] = try value(depth: depth + 1)
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                } else {
                    throw error("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws(GatewayJSONError) -> GatewayJSON {
            position += 1
            var values: [GatewayJSON] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(values)
            }
            while true {
                skipWhitespace()
                values.append(try value(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(values)
                } else {
                    throw error("expected ',' or ']'")
                }
            }
        }

        mutating func number() throws(GatewayJSONError) -> GatewayJSON {
            let start = position
            while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            guard let value = Double(text) else {
                position = start
                throw error("invalid number")
            }
            return .number(value, text: text)
        }

        static func isNumberByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                true
            default: false
            }
        }

        mutating func string() throws(GatewayJSONError) -> String {
            position += 1
            let start = position
            // The common case (base64, numbers as strings): no escapes, found with memchr and taken as one slice.
            if let base = bytes.baseAddress, position < bytes.count,
                let quote = memchr(base + position, Int32(UInt8(ascii: "\"")), bytes.count - position)
            {
                let end = UnsafePointer<UInt8>(quote.assumingMemoryBound(to: UInt8.self)) - base
                if memchr(base + position, Int32(UInt8(ascii: "\\")), end - position) == nil {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
                    position = end + 1
                    return text
                }
            }
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                    position += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                guard byte >= 0x20 else { throw error("control character in a string") }
                position += 1
            }
            var scalars = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: scalars, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { throw error("unexpected end") }
                    let escaped = bytes[position]
                    position += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escaped)
                    case UInt8(ascii: "b"): scalars.append(0x08)
                    case UInt8(ascii: "f"): scalars.append(0x0c)
                    case UInt8(ascii: "n"): scalars.append(0x0a)
                    case UInt8(ascii: "r"): scalars.append(0x0d)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xd800..<0xdc00).contains(code), position + 6 <= bytes.count,
                            bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                        {
                            position += 2
                            let low = try hex4()
                            guard (0xdc00..<0xe000).contains(low) else { throw error("invalid surrogate pair") }
                            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
                        }
                        let scalar = Unicode.Scalar(code) ?? "\u{fffd}"
                        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default:
                        throw error("invalid escape")
                    }
                default:
                    guard byte >= 0x20 else { throw error("control character in a string") }
                    scalars.append(byte)
                }
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws(GatewayJSONError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("unexpected end") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw error("invalid \\u escape")
                }
                code = code << 4 | digit
                position += 1
            }
            return code
        }
    }
}

/// Writes the JSON of a request: strings escaped, bytes in base64, int64s as strings (as the gateway reads them).
struct GatewayJSONWriter {
    private(set) var text = "{"
    private var first = true

    mutating func member(_ name: String, string value: String) {
        key(name)
        text += Self.quoted(value)
    }

    mutating func member(_ name: String, bytes value: [UInt8]) {
        key(name)
        text += "\"" + Base64.encode(value) + "\""
    }

    mutating func member(_ name: String, int64 value: Int64) {
        key(name)
        text += "\"\(value)\""
    }

    mutating func member(_ name: String, bool value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    /// A member whose value is JSON already written (an object or an array).
    mutating func member(_ name: String, raw value: String) {
        key(name)
        text += value
    }

    var finished: String { text + "}" }

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += "\"" + name + "\":"
    }

    static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
