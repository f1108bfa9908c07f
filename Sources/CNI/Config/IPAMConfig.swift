import NetworkAddress

/// The config's `ipam` section as Calico's plugins read it.
public struct IPAMConfig: Sendable, Equatable {
    /// The IPAM plugin: `tabby-ipam` (in process, no exec) or any other plugin found in `CNI_PATH`.
    public var type: String
    /// `assign_ipv4` (default true) and `assign_ipv6` (default false): Calico writes them as the strings
    /// `"true"`/`"false"`; JSON booleans are taken too.
    public var assignIPv4: Bool
    public var assignIPv6: Bool
    /// `ipv4_pools`, `ipv6_pools`: pool names or CIDRs to take addresses from, instead of every enabled pool
    /// selecting the node.
    public var ipv4Pools: [String]
    public var ipv6Pools: [String]

    /// The in-process IPAM plugin's name.
    public static let tabbyIPAM = "tabby-ipam"

    public init(
        type: String = IPAMConfig.tabbyIPAM, assignIPv4: Bool = true, assignIPv6: Bool = false,
        ipv4Pools: [String] = [],
        ipv6Pools: [String] = []
    ) {
        self.type = type
        self.assignIPv4 = assignIPv4
        self.assignIPv6 = assignIPv6
        self.ipv4Pools = ipv4Pools
        self.ipv6Pools = ipv6Pools
    }

    public var isTabbyIPAM: Bool { type == Self.tabbyIPAM }

    static func decode(_ field: JSONField) throws(CNIError) -> IPAMConfig {
        let object = try field.object()
        var config = IPAMConfig(type: try object.required("type").string())
        try checkPluginType(config.type, field: object.field("type"))
        if let flag = try object.optional("assign_ipv4") { config.assignIPv4 = try calicoBool(flag) }
        if let flag = try object.optional("assign_ipv6") { config.assignIPv6 = try calicoBool(flag) }
        if let pools = try object.optional("ipv4_pools") { config.ipv4Pools = try poolList(pools, family: .v4) }
        if let pools = try object.optional("ipv6_pools") { config.ipv6Pools = try poolList(pools, family: .v6) }
        if config.isTabbyIPAM, !config.assignIPv4, !config.assignIPv6 {
            throw field.invalid("assign_ipv4 and assign_ipv6 are both false: there is no address to assign")
        }
        return config
    }

    /// A plugin type names a file in `CNI_PATH`: not empty, no `/`, not `.` or `..`.
    static func checkPluginType(_ type: String, field: JSONField) throws(CNIError) {
        guard !type.isEmpty, type != ".", type != "..", !type.contains("/"), !type.contains("\0") else {
            throw field.invalid("\"\(type)\" cannot name a plugin file")
        }
    }

    /// Calico's flags are the strings "true" and "false"; a JSON boolean means the same.
    static func calicoBool(_ field: JSONField) throws(CNIError) -> Bool {
        switch field.value {
        case .bool(let flag): return flag
        case .string(let text):
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw field.invalid("\"\(text)\" is not \"true\" or \"false\"")
            }
        default: throw field.mismatch(expected: "\"true\" or \"false\"")
        }
    }

    /// Names or CIDRs; a CIDR must be of the list's family.
    static func poolList(_ field: JSONField, family: IPFamily) throws(CNIError) -> [String] {
        var pools: [String] = []
        for item in try field.array() {
            let text = try item.string()
            guard !text.isEmpty else { throw item.invalid("a pool name or CIDR is empty") }
            if text.contains("/"), let cidr = CIDR(text), cidr.family != family {
                throw item.invalid("\(text) is an \(cidr.family) CIDR in the \(family) pool list")
            }
            pools.append(text)
        }
        return pools
    }
}
