/// Base64 with the URL-safe alphabet and no padding (Go's `base64.RawURLEncoding`).
func base64URLEncoded(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    var output: [UInt8] = []
    output.reserveCapacity((bytes.count * 4 + 2) / 3)
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        var bits = UInt32(0)
        for (offset, byte) in chunk.enumerated() { bits |= UInt32(byte) << UInt32(16 - 8 * offset) }
        for character in 0..<(chunk.count + 1) {
            output.append(alphabet[Int(bits >> UInt32(18 - 6 * character) & 0x3f)])
        }
        index += 3
    }
    return String(decoding: output, as: UTF8.self)
}
