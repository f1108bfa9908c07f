import CalicoAPI
import NetworkAddress

/// The IPPools tabbyd creates on its first start when the datastore has none of a family, as calico-node does
/// from `CALICO_IPV4POOL_*`, `CALICO_IPV6POOL_*` and `NO_DEFAULT_POOLS` (see ``DefaultPoolBootstrap``).
public struct DefaultPoolSettings: Sendable, Equatable {
    public static let defaultIPv4CIDR = CIDR("192.168.0.0/16")!
    public static let ipv4PoolName = "default-ipv4-ippool"
    public static let ipv6PoolName = "default-ipv6-ippool"

    /// The pool of one family, as it will be created.
    public struct Template: Sendable, Equatable {
        /// The pool's network; nil means chosen at start-up (IPv4: 192.168.0.0/16 unless a host address is in
        /// it; IPv6: a random ULA /48).
        public var cidr: CIDR?
        public var blockSize: Int
        public var ipipMode: EncapsulationMode = .never
        public var vxlanMode: EncapsulationMode = .never
        public var natOutgoing: Bool
        public var nodeSelector: String = "all()"
        public var disableBGPExport = false
    }

    /// `NO_DEFAULT_POOLS`: create no pool at all.
    public var noDefaultPools = false
    /// nil when the CIDR setting is `none`.
    public var ipv4: Template? = Template(blockSize: IPPoolSpec.defaultBlockSizeV4, natOutgoing: true)
    public var ipv6: Template? = Template(blockSize: IPPoolSpec.defaultBlockSizeV6, natOutgoing: false)

    public init() {}

    /// The settings checked as calico-node checks its environment; the first problem names the setting.
    static func validated(_ layer: SettingsLayer) throws(ConfigurationError) -> DefaultPoolSettings {
        var settings = DefaultPoolSettings()
        settings.noDefaultPools = layer.noDefaultPools?.value ?? false
        if settings.noDefaultPools {
            if let cidr = layer.ipv4PoolCIDR ?? layer.ipv6PoolCIDR {
                let field = layer.ipv4PoolCIDR != nil ? "ipv4PoolCIDR" : "ipv6PoolCIDR"
                throw ConfigurationError(
                    source: cidr.source, field: field,
                    reason: "cannot be set together with noDefaultPools (NO_DEFAULT_POOLS) true")
            }
            settings.ipv4 = nil
            settings.ipv6 = nil
            return settings
        }
        settings.ipv4 = try template(
            family: .v4, defaults: settings.ipv4!, cidr: layer.ipv4PoolCIDR, blockSize: layer.ipv4PoolBlockSize,
            ipip: layer.ipv4PoolIPIP, vxlan: layer.ipv4PoolVXLAN, natOutgoing: layer.ipv4PoolNATOutgoing,
            nodeSelector: layer.ipv4PoolNodeSelector, disableBGPExport: layer.ipv4PoolDisableBGPExport)
        settings.ipv6 = try template(
            family: .v6, defaults: settings.ipv6!, cidr: layer.ipv6PoolCIDR, blockSize: layer.ipv6PoolBlockSize,
            ipip: nil, vxlan: layer.ipv6PoolVXLAN, natOutgoing: layer.ipv6PoolNATOutgoing,
            nodeSelector: layer.ipv6PoolNodeSelector, disableBGPExport: layer.ipv6PoolDisableBGPExport)
        return settings
    }

    private static func template(
        family: IPFamily, defaults: Template, cidr: Setting<String>?, blockSize: Setting<Int>?,
        ipip: Setting<String>?, vxlan: Setting<String>?, natOutgoing: Setting<Bool>?,
        nodeSelector: Setting<String>?, disableBGPExport: Setting<Bool>?
    ) throws(ConfigurationError) -> Template? {
        let prefix = "ipv\(family.rawValue)Pool"
        var template = defaults
        if let cidr {
            let text = cidr.value.trimmingSpaces()
            if text.lowercased() == "none" { return nil }
            if !text.isEmpty {
                let network: CIDR
                do {
                    network = try CIDR(parsing: text)
                } catch {
                    throw ConfigurationError(source: cidr.source, field: prefix + "CIDR", reason: error.reason)
                }
                guard network.family == family else {
                    throw ConfigurationError(
                        source: cidr.source, field: prefix + "CIDR",
                        reason: "must be an IPv\(family.rawValue) network (got \(network))")
                }
                // calico-node keeps the network of what was written (192.168.3.1/16 is 192.168.0.0/16).
                template.cidr = network.masked
            }
        }
        if let blockSize {
            let range = family == .v4 ? 20...32 : 116...128
            guard range.contains(blockSize.value) else {
                throw ConfigurationError(
                    source: blockSize.source, field: prefix + "BlockSize",
                    reason: "must be from \(range.lowerBound) to \(range.upperBound) for IPv\(family.rawValue) "
                        + "(got \(blockSize.value))")
            }
            template.blockSize = blockSize.value
        }
        if let network = template.cidr, network.prefixLength > template.blockSize {
            let setting = blockSize ?? Setting(value: template.blockSize, source: cidr!.source)
            throw ConfigurationError(
                source: setting.source, field: prefix + "BlockSize",
                reason: "the pool \(network) is smaller than one block of /\(template.blockSize); "
                    + "use a block size of at least \(network.prefixLength)")
        }
        if let ipip { template.ipipMode = try mode(ipip, field: prefix + "IPIP") }
        if let vxlan { template.vxlanMode = try mode(vxlan, field: prefix + "VXLAN") }
        if template.ipipMode != .never && template.vxlanMode != .never {
            throw ConfigurationError(
                source: vxlan?.source, field: prefix + "VXLAN",
                reason: "IPIP and VXLAN cannot both be enabled on the pool; set one of them to Never")
        }
        if let natOutgoing { template.natOutgoing = natOutgoing.value }
        if let disableBGPExport { template.disableBGPExport = disableBGPExport.value }
        if let nodeSelector {
            let text = nodeSelector.value.trimmingSpaces()
            if !text.isEmpty {
                do {
                    _ = try Selector(parsing: text)
                } catch {
                    throw ConfigurationError(
                        source: nodeSelector.source, field: prefix + "NodeSelector", reason: "\(error)")
                }
                template.nodeSelector = text
            }
        }
        return template
    }

    /// calico-node's spellings of an encapsulation mode, in any case.
    private static func mode(_ setting: Setting<String>, field: String) throws(ConfigurationError)
        -> EncapsulationMode
    {
        switch setting.value.trimmingSpaces().lowercased() {
        case "", "off", "never": return .never
        case "always": return .always
        case "crosssubnet", "cross-subnet": return .crossSubnet
        default:
            throw ConfigurationError(
                source: setting.source, field: field,
                reason: "must be Always, CrossSubnet or Never (got \"\(setting.value)\")")
        }
    }
}
