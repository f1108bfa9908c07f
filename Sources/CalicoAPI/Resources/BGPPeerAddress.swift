import NetworkAddress

/// A BGPPeer's `peerIP`: an address with an optional port, as Calico writes it: `192.0.2.1`, `192.0.2.1:1790`,
/// `2001:db8::1`, `[2001:db8::1]:1790`.
public struct BGPPeerAddress: Sendable, Equatable, Hashable {
    public var address: IPAddress
    public var port: UInt16?

    public init(address: IPAddress, port: UInt16? = nil) {
        self.address = address
        self.port = port
    }

    /// Parses `peerIP`; nil when it is neither an address nor an address with a port from 1 to 65535.
    public init?(_ text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), let address = IPAddress(String(text[text.index(after: text.startIndex)..<close])),
                address.family == .v6
            else { return nil }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                self.init(address: address)
                return
            }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()), port > 0 else { return nil }
            self.init(address: address, port: port)
            return
        }
        if let address = IPAddress(text) {
            self.init(address: address)
            return
        }
        // An IPv4 address with a port (an IPv6 address with a port needs brackets).
        guard let colon = text.lastIndex(of: ":"), let address = IPAddress(String(text[..<colon])),
            address.family == .v4, let port = UInt16(text[text.index(after: colon)...]), port > 0
        else { return nil }
        self.init(address: address, port: port)
    }
}
