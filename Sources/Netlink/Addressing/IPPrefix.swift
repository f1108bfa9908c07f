/// An address and a prefix length: a route destination ("10.0.1.0/26") or an interface address
/// ("192.0.2.1/24"). The address keeps its host bits; `network` clears them.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var length: UInt8

    /// A prefix; nil when `length` exceeds the address width.
    public init?(_ address: IPAddress, length: UInt8) {
        guard length <= address.bitWidth else { return nil }
        self.address = address
        self.length = length
    }

    /// A host prefix (/32 or /128).
    public init(host address: IPAddress) {
        self.address = address
        length = address.bitWidth
    }

    /// Parses "address/length" or a bare address (a host prefix).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        if parts.count == 1 {
            self.init(host: address)
            return
        }
        guard let length = UInt8(parts[1]) else { return nil }
        self.init(address, length: length)
    }

    public var family: AddressFamily { address.family }

    /// The prefix with its host bits cleared, as the kernel stores a route destination.
    public var network: IPPrefix {
        var copy = self
        copy.address = address.masked(to: length)
        return copy
    }

    public var description: String { "\(address)/\(length)" }
}
