// Byte-level helpers shared by the address parsers and formatters.

extension UInt8 {
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

    /// The value of an ASCII hexadecimal digit in either case, or nil.
    var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The lower-case hex digits, indexed by value, for writing IPv6 groups and MAC bytes.
let lowerHexDigits = Array("0123456789abcdef".utf8)

/// Renders one byte of user input for an error message: printable ASCII as itself, anything else escaped.
func quotedCharacter(_ byte: UInt8) -> String {
    switch byte {
    case 0x20...0x7e: "\"\(Character(Unicode.Scalar(byte)))\""
    case UInt8(ascii: "\n"): "\"\\n\""
    case UInt8(ascii: "\r"): "\"\\r\""
    case UInt8(ascii: "\t"): "\"\\t\""
    default: "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }
}
