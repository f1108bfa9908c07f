import Glibc
import NetworkAddress

// The address module numbers families as Calico does (4 and 6); rtnetlink carries AF_INET and AF_INET6.

extension IPFamily {
    /// The kernel's number for the family, as in `rtm_family`, `ifa_family` and `ndm_family`: `AF_INET` (2) or
    /// `AF_INET6` (10).
    public var kernelFamily: UInt8 {
        switch self {
        case .v4: UInt8(AF_INET)
        case .v6: UInt8(AF_INET6)
        }
    }

    /// The family of a kernel family number; nil for anything but `AF_INET` and `AF_INET6`.
    public init?(kernelFamily: UInt8) {
        switch Int32(kernelFamily) {
        case AF_INET: self = .v4
        case AF_INET6: self = .v6
        default: return nil
        }
    }

    /// The name `ip` uses for the family (`inet`, `inet6`), for operation names in errors.
    public var kernelName: String {
        switch self {
        case .v4: "inet"
        case .v6: "inet6"
        }
    }
}
