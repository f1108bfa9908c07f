/// Why a piece of text is not an address; the reason is phrased for the person who wrote the text.
struct AddressSyntaxError: Error, Sendable, Equatable {
    var reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}

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
