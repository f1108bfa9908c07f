/// A 128-bit unsigned integer, just wide enough for CIDR arithmetic on both families.
///
/// IPv4 values live in the low 32 bits. The standard library's `UInt128` needs macOS 15, which the package
/// does not require, and only a handful of operations are needed here.
struct Bits128: Hashable, Comparable, Sendable {
    var high: UInt64
    var low: UInt64

    static let zero = Bits128(high: 0, low: 0)

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init(_ value: UInt64) {
        self.init(high: 0, low: value)
    }

    /// A value with the lowest `count` bits set (`count` in 0...128).
    static func lowOnes(_ count: Int) -> Bits128 {
        precondition((0...128).contains(count), "bit count \(count) out of range")
        switch count {
        case 0: return .zero
        case 1..<64: return Bits128(high: 0, low: (1 << UInt64(count)) - 1)
        case 64: return Bits128(high: 0, low: .max)
        case 65..<128: return Bits128(high: (1 << UInt64(count - 64)) - 1, low: .max)
        default: return Bits128(high: .max, low: .max)
        }
    }

    /// `value << shift` (`shift` in 0...128), dropping bits shifted past bit 127.
    static func shifted(_ value: UInt64, by shift: Int) -> Bits128 {
        precondition((0...128).contains(shift), "shift \(shift) out of range")
        switch shift {
        case 0: return Bits128(high: 0, low: value)
        case 1..<64: return Bits128(high: value >> UInt64(64 - shift), low: value << UInt64(shift))
        case 64..<128: return Bits128(high: value << UInt64(shift - 64), low: 0)
        default: return .zero
        }
    }

    static func & (lhs: Bits128, rhs: Bits128) -> Bits128 {
        Bits128(high: lhs.high & rhs.high, low: lhs.low & rhs.low)
    }

    static func | (lhs: Bits128, rhs: Bits128) -> Bits128 {
        Bits128(high: lhs.high | rhs.high, low: lhs.low | rhs.low)
    }

    static func ^ (lhs: Bits128, rhs: Bits128) -> Bits128 {
        Bits128(high: lhs.high ^ rhs.high, low: lhs.low ^ rhs.low)
    }

    static prefix func ~ (value: Bits128) -> Bits128 {
        Bits128(high: ~value.high, low: ~value.low)
    }

    /// Wrapping addition; the callers only add values that stay inside a prefix.
    static func &+ (lhs: Bits128, rhs: Bits128) -> Bits128 {
        let (low, carry) = lhs.low.addingReportingOverflow(rhs.low)
        return Bits128(high: lhs.high &+ rhs.high &+ (carry ? 1 : 0), low: low)
    }

    /// Wrapping subtraction.
    static func &- (lhs: Bits128, rhs: Bits128) -> Bits128 {
        let (low, borrow) = lhs.low.subtractingReportingOverflow(rhs.low)
        return Bits128(high: lhs.high &- rhs.high &- (borrow ? 1 : 0), low: low)
    }

    static func < (lhs: Bits128, rhs: Bits128) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The value as a `UInt64` when it fits.
    var uint64: UInt64? { high == 0 ? low : nil }
}
