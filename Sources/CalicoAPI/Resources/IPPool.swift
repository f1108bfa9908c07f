import NetworkAddress

/// How traffic to a pool's addresses on other nodes is encapsulated.
public enum EncapsulationMode: String, Codable, Sendable, CaseIterable {
    case never = "Never"
    case always = "Always"
    case crossSubnet = "CrossSubnet"
}

/// What addresses of a pool may be used for.
public enum IPPoolAllowedUse: String, Codable, Sendable, CaseIterable {
    case workload = "Workload"
    case tunnel = "Tunnel"
    case loadBalancer = "LoadBalancer"
}

public enum IPPoolAssignmentMode: String, Codable, Sendable, CaseIterable {
    case automatic = "Automatic"
    case manual = "Manual"
}

/// An IPPool: a range of addresses that nodes claim blocks from.
public typealias IPPool = Resource<IPPoolSpec>

public struct IPPoolSpec: ResourceSpec {
    public static let kind = ResourceKind.ipPool
    public static let defaultBlockSizeV4 = 26
    public static let defaultBlockSizeV6 = 122

    /// The pool's network; nil only in a spec decoded from a manifest without `spec:` (validation rejects it).
    public var cidr: CIDR?
    public var blockSize: Int?
    public var ipipMode: EncapsulationMode?
    public var vxlanMode: EncapsulationMode?
    public var natOutgoing: Bool?
    public var disabled: Bool?
    public var disableBGPExport: Bool?
    public var nodeSelector: String?
    public var namespaceSelector: String?
    public var allowedUses: [IPPoolAllowedUse]?
    public var assignmentMode: IPPoolAssignmentMode?

    public init() {}

    public init(cidr: CIDR) { self.cidr = cidr }

    private enum CodingKeys: String, CodingKey {
        case cidr, blockSize, ipipMode, vxlanMode, natOutgoing, disabled, disableBGPExport, nodeSelector,
            namespaceSelector, allowedUses, assignmentMode
    }

    /// Decodes a spec; unlike the other fields, `cidr` must be present.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cidr = try container.decode(CIDR.self, forKey: .cidr)
        blockSize = try container.decodeIfPresent(Int.self, forKey: .blockSize)
        ipipMode = try container.decodeIfPresent(EncapsulationMode.self, forKey: .ipipMode)
        vxlanMode = try container.decodeIfPresent(EncapsulationMode.self, forKey: .vxlanMode)
        natOutgoing = try container.decodeIfPresent(Bool.self, forKey: .natOutgoing)
        disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled)
        disableBGPExport = try container.decodeIfPresent(Bool.self, forKey: .disableBGPExport)
        nodeSelector = try container.decodeIfPresent(String.self, forKey: .nodeSelector)
        namespaceSelector = try container.decodeIfPresent(String.self, forKey: .namespaceSelector)
        allowedUses = try container.decodeIfPresent([IPPoolAllowedUse].self, forKey: .allowedUses)
        assignmentMode = try container.decodeIfPresent(IPPoolAssignmentMode.self, forKey: .assignmentMode)
    }

    /// The block size in effect (the default for the family when not set).
    public var effectiveBlockSize: Int {
        blockSize ?? (cidr?.family == .v6 ? Self.defaultBlockSizeV6 : Self.defaultBlockSizeV4)
    }

    public var effectiveIPIPMode: EncapsulationMode { ipipMode ?? .never }
    public var effectiveVXLANMode: EncapsulationMode { vxlanMode ?? .never }
    /// Neither VXLAN nor IPIP (which never applies to IPv6): with BGP on, BIRD carries the routes to other nodes'
    /// blocks of this pool and tabbyd leaves them alone (Docs/bgp.md). A block outside every pool counts as such.
    public var isUnencapsulated: Bool {
        effectiveVXLANMode == .never && (effectiveIPIPMode == .never || cidr?.family == .v6)
    }
    public var isDisabled: Bool { disabled ?? false }
    public var effectiveAllowedUses: [IPPoolAllowedUse] { allowedUses ?? [.workload, .tunnel] }

    public mutating func applyDefaults(metadata: ObjectMeta) {
        if blockSize == nil, let network = cidr { blockSize = network.family == .v6 ? 122 : 26 }
        if ipipMode == nil { ipipMode = .never }
        if vxlanMode == nil { vxlanMode = .never }
        if natOutgoing == nil { natOutgoing = false }
        if nodeSelector == nil || nodeSelector?.allSatisfy({ $0 == " " || $0 == "\t" }) == true {
            nodeSelector = "all()"
        }
        if allowedUses == nil || allowedUses?.isEmpty == true { allowedUses = [.workload, .tunnel] }
        if assignmentMode == nil { assignmentMode = .automatic }
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        guard let network = cidr else {
            validator.error("cidr", "a cidr is required")
            return
        }
        validator.networkAddress("cidr", network)
        let linkLocal = network.family == .v4 ? "169.254.0.0/16" : "fe80::/10"
        if let reserved = try? CIDR(parsing: linkLocal), network.overlaps(reserved) {
            validator.error("cidr", "\(network) overlaps the link-local range \(linkLocal)")
        }
        let range = network.family == .v4 ? 20...32 : 116...128
        if let blockSize {
            if !range.contains(blockSize) {
                validator.error(
                    "blockSize",
                    "must be between \(range.lowerBound) and \(range.upperBound) for an IPv\(network.family.rawValue) "
                        + "pool (got \(blockSize))")
            } else if network.prefixLength > blockSize && !isDisabled {
                validator.error(
                    "blockSize",
                    "the pool \(network) is smaller than one block of /\(blockSize); use a blockSize of at least "
                        + "\(network.prefixLength)")
            }
        } else if network.prefixLength > (network.family == .v4 ? 26 : 122) && !isDisabled {
            validator.error(
                "blockSize",
                "the pool \(network) is smaller than the default block size /\(effectiveBlockSize); "
                    + "set blockSize to at least \(network.prefixLength)")
        }
        if effectiveIPIPMode != .never && effectiveVXLANMode != .never {
            validator.error("ipipMode", "ipipMode and vxlanMode cannot both be enabled; choose one encapsulation")
        }
        if network.family == .v6 && effectiveIPIPMode != .never {
            validator.error("ipipMode", "IPIP is not supported on IPv6 pools; use vxlanMode")
        }
        validator.selector("nodeSelector", nodeSelector)
        validator.selector("namespaceSelector", namespaceSelector)
        if let allowedUses {
            if Set(allowedUses).count != allowedUses.count {
                validator.error("allowedUses", "lists a use more than once")
            }
            if allowedUses.contains(.loadBalancer) {
                if allowedUses.count > 1 {
                    validator.error("allowedUses", "LoadBalancer cannot be combined with other uses")
                }
                if let nodeSelector, let parsed = try? Selector(parsing: nodeSelector), parsed != Selector.all {
                    validator.error("nodeSelector", "a LoadBalancer pool must use nodeSelector all()")
                }
                if effectiveIPIPMode != .never || effectiveVXLANMode != .never {
                    validator.error("allowedUses", "a LoadBalancer pool cannot use encapsulation")
                }
                if disableBGPExport == true {
                    validator.error(
                        "disableBGPExport",
                        "a LoadBalancer pool's addresses are reached by BGP; it cannot disable export")
                }
            }
        }
        if let namespaceSelector, !namespaceSelector.allSatisfy({ $0 == " " || $0 == "\t" }),
            effectiveAllowedUses.contains(.tunnel)
        {
            validator.error(
                "namespaceSelector",
                "a pool that allows Tunnel use cannot have a namespaceSelector (tunnel addresses belong to no "
                    + "namespace); set allowedUses to [Workload] (the default is [Workload, Tunnel])")
        }
    }
}
