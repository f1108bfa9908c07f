/// An IP address family, with Calico's and the kernel's numbering (`ipVersion: 4`, `ipVersion: 6`).
public enum IPFamily: Int, Sendable, Hashable, Codable, CustomStringConvertible {
    case v4 = 4
    case v6 = 6

    /// The number of bits in an address of this family: 32 or 128.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    public var description: String {
        switch self {
        case .v4: "IPv4"
        case .v6: "IPv6"
        }
    }
}
