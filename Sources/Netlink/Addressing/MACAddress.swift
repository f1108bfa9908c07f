/// A 48-bit Ethernet (link-layer) address.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The six bytes as a number: aa:bb:cc:dd:ee:ff is 0xaabb_ccdd_eeff.
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value & 0xffff_ffff_ffff }

    /// Parses six colon-separated hex bytes ("66:e4:5a:c9:41:2b").
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard (1...2).contains(part.count), let byte = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(byte)
        }
        self.value = value
    }

    /// Reads six bytes in wire order.
    init(bytes: UnsafeRawBufferPointer) {
        var value: UInt64 = 0
        for index in 0..<6 { value = value << 8 | UInt64(bytes[index]) }
        self.value = value
    }

    /// The six bytes in wire order.
    var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: value >> (40 - 8 * UInt64($0))) } }

    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}
