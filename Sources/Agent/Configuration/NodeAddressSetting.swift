import NetworkAddress

/// How this node's address of one family is chosen, as calico-node's `IP` and `IP6` take it: an address with
/// its subnet, a bare address (the subnet is read from the interface that holds it), `autodetect` (by the
/// family's autodetection method), or for IPv6 also `none` (no IPv6 address; the default).
public enum NodeAddressSetting: Sendable, Equatable, CustomStringConvertible {
    /// Found by ``AutodetectionMethod``.
    case autodetect
    /// Written with its subnet (`192.0.2.10/24`): used as written.
    case network(CIDR)
    /// Written bare (`192.0.2.10`): the interface holding it gives the prefix length; an error if none does.
    case address(IPAddress)
    /// No address of this family (IPv6 only; IPv4 is required).
    case none

    public var description: String {
        switch self {
        case .autodetect: "autodetect"
        case .network(let cidr): cidr.description
        case .address(let address): address.description
        case .none: "none"
        }
    }

    /// Parses the setting for `family`; `field` names it in errors (`nodeIP`, `nodeIPv6`).
    static func parse(_ text: String, family: IPFamily, field: String, source: ConfigurationSource)
        throws(ConfigurationError) -> NodeAddressSetting
    {
        let value = text.trimmingSpaces()
        func fail(_ reason: String) -> ConfigurationError {
            ConfigurationError(source: source, field: field, reason: reason)
        }
        let example = family == .v4 ? "192.0.2.10 or 192.0.2.10/24" : "2001:db8::10 or 2001:db8::10/64"
        switch value.lowercased() {
        case "", "autodetect": return .autodetect
        case "none":
            guard family == .v6 else {
                throw fail(
                    "none is not supported for IPv4: Tabby needs the node's IPv4 address (\(example), or autodetect)")
            }
            return .none
        default: break
        }
        let address: IPAddress
        var prefixLength: Int?
        if value.contains("/") {
            let cidr: CIDR
            do {
                cidr = try CIDR(parsing: value)
            } catch {
                throw fail("\(error.reason) (write an address like \(example), or autodetect)")
            }
            address = cidr.address
            prefixLength = cidr.prefixLength
        } else {
            guard let parsed = IPAddress(value) else {
                throw fail("\"\(value)\" is not an IP address (write an address like \(example), or autodetect)")
            }
            address = parsed
        }
        guard address.family == family else {
            throw fail("must be an IPv\(family.rawValue) address (got \(value))")
        }
        if !address.isGlobalUnicast || prefixLength == 0 {
            throw fail("\(value) is not a unicast interface address with a subnet")
        }
        if let prefixLength, let cidr = try? CIDR(address: address, prefixLength: prefixLength) {
            return .network(cidr)
        }
        return .address(address)
    }
}

extension IPAddress {
    /// Whether this is a global unicast address in Go's sense (what calico-node's detection keeps): not
    /// unspecified, loopback, multicast, link-local or the IPv4 broadcast address. Private ranges and IPv6 ULAs
    /// count as global.
    var isGlobalUnicast: Bool {
        switch self {
        case .v4(let address):
            let value = address.value
            let first = value >> 24
            return value != 0 && first != 127 && first < 224 && (value >> 16) != 0xA9FE
        case .v6(let address):
            let top = address.high >> 48
            let unspecified = address.high == 0 && address.low == 0
            let loopback = address.high == 0 && address.low == 1
            return !unspecified && !loopback && (top >> 8) != 0xFF && (top & 0xFFC0) != 0xFE80
        }
    }
}
