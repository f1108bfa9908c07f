/// An nf_tables register. Registers 1-4 are 16 bytes wide and alias the 32-bit registers 8-23 four at a time;
/// the kernel reports a 32-bit register that starts a 16-byte one under the 16-byte number, and so does this type.
public struct Register: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    /// The verdict register.
    public static let verdict = Register(canonical: 0)
    /// The first 16-byte register, where single matches load their operand.
    public static let r1 = Register(canonical: 1)

    /// The 32-bit register `index` (0...15), named the way the kernel reports it.
    public static func r32(_ index: Int) -> Register {
        precondition((0..<16).contains(index), "nf_tables has 16 32-bit registers")
        return index % 4 == 0 ? Register(canonical: UInt32(1 + index / 4)) : Register(canonical: UInt32(8 + index))
    }

    /// A register number as the kernel reports it (or as a caller sends it; 8, 12, 16, 20 become 1-4).
    public init(_ number: UInt32) {
        rawValue = number >= 8 && (number - 8) % 4 == 0 ? 1 + (number - 8) / 4 : number
    }

    private init(canonical: UInt32) { rawValue = canonical }

    public var description: String { "reg \(rawValue)" }
}

/// A `meta` key (`NFT_META_*`).
public enum MetaKey: UInt32, Hashable, Sendable {
    case length = 0
    case `protocol` = 1
    case priority = 2
    case mark = 3
    case iif = 4
    case oif = 5
    case iifname = 6
    case oifname = 7
    case iiftype = 8
    case oiftype = 9
    case skuid = 10
    case skgid = 11
    case nftrace = 12
    case nfproto = 15
    case l4proto = 16
}

/// Where a payload load starts counting (`NFT_PAYLOAD_*_HEADER`).
public enum PayloadBase: UInt32, Hashable, Sendable {
    case link = 0
    case network = 1
    case transport = 2
}

/// A compare operator (`NFT_CMP_*`).
public enum CompareOperator: UInt32, Hashable, Sendable {
    case eq = 0
    case neq = 1
    case lt = 2
    case lte = 3
    case gt = 4
    case gte = 5
}

/// A conntrack key (`NFT_CT_*`).
public enum ConntrackKey: UInt32, Hashable, Sendable {
    case state = 0
    case direction = 1
    case status = 2
    case mark = 3
}

/// The kind of address translation (`NFT_NAT_*`).
public enum NATType: UInt32, Hashable, Sendable {
    case snat = 0
    case dnat = 1
}

/// The values of a counter when read back.
public struct CounterValues: Hashable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64

    public init(packets: UInt64, bytes: UInt64) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// One kernel expression of a rule, as nf_tables evaluates it. Rules built with `Statement` lower to these;
/// listed rules decode to these, so desired and actual rules compare with `==`.
public enum Expression: Hashable, Sendable {
    /// Load packet metadata into a register.
    case meta(MetaKey, into: Register)
    /// Set packet metadata (such as the mark) from a register.
    case setMeta(MetaKey, from: Register)
    /// Load `length` bytes at `offset` from the start of a header.
    case payload(PayloadBase, offset: UInt32, length: UInt32, into: Register)
    /// Compare a register with bytes; a mismatch ends the rule.
    case compare(Register, CompareOperator, [UInt8])
    /// Compare a register with an inclusive range (`eq` or `neq`).
    case range(Register, CompareOperator, from: [UInt8], to: [UInt8])
    /// `destination = (source & mask) ^ xor`, over `mask.count` bytes.
    case bitwise(source: Register, destination: Register, mask: [UInt8], xor: [UInt8])
    /// Look the register up in a named set; with a destination, a map lookup (the verdict register for vmaps).
    case lookup(Register, set: String, destination: Register?, inverted: Bool)
    /// Load a conntrack key.
    case ct(ConntrackKey, into: Register)
    /// Count packets and bytes; listed values are in `Rule.counterValues`.
    case counter
    /// Log the packet with a prefix (syslog, or an nflog group).
    case log(prefix: String?, group: UInt16?)
    /// Load constant bytes into a register.
    case immediate([UInt8], into: Register)
    /// Set the verdict.
    case verdict(Verdict)
    /// Source or destination NAT to the address in `addressMin` (and `addressMax` for a range).
    case nat(NATType, family: Family, addressMin: Register?, addressMax: Register?, flags: UInt32)
    /// Source NAT to the outgoing interface's address.
    case masquerade(flags: UInt32)
    /// Reject with an ICMP error or a TCP reset (`NFT_REJECT_*` type and code).
    case reject(type: UInt32, code: UInt8)
    /// An expression this module does not decode, by its kernel name.
    case unknown(String)
}
