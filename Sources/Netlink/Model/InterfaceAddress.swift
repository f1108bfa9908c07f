import NetworkAddress

/// An address assigned to an interface (`ip addr`).
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    public var interfaceIndex: Int32
    /// The address and its prefix length ("192.0.2.1/24"); host bits are kept.
    public var prefix: CIDR
    public var scope: RouteScope
    public var flags: AddressFlags
    /// The IPv4 label (`IFA_LABEL`); the interface name unless set otherwise.
    public var label: String?

    public init(
        interfaceIndex: Int32, prefix: CIDR, scope: RouteScope = .universe, flags: AddressFlags = [],
        label: String? = nil
    ) {
        self.interfaceIndex = interfaceIndex
        self.prefix = prefix
        self.scope = scope
        self.flags = flags
        self.label = label
    }

    public var description: String { describe { "if\($0)" } }

    /// "192.0.2.1/24 dev eth0", with interfaces named by `interfaceName`.
    public func describe(interfaceName: (Int32) -> String) -> String {
        "\(prefix) dev \(interfaceName(interfaceIndex))"
    }
}

/// Address flags (`IFA_F_*`).
public struct AddressFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let secondary = AddressFlags(rawValue: 0x01)
    /// Skip IPv6 duplicate address detection: the address is usable at once.
    public static let noDAD = AddressFlags(rawValue: 0x02)
    public static let optimistic = AddressFlags(rawValue: 0x04)
    public static let dadFailed = AddressFlags(rawValue: 0x08)
    public static let deprecated = AddressFlags(rawValue: 0x20)
    public static let tentative = AddressFlags(rawValue: 0x40)
    public static let permanent = AddressFlags(rawValue: 0x80)
    /// Do not add the prefix route that normally comes with an address.
    public static let noPrefixRoute = AddressFlags(rawValue: 0x200)
}
