import NetworkAddress

/// The state of a node's claim on a block.
public enum BlockAffinityState: String, Codable, Sendable, CaseIterable {
    case pending
    case confirmed
    case pendingDeletion
}

/// A BlockAffinity: a node's claim on one block of an IPPool.
public typealias BlockAffinity = Resource<BlockAffinitySpec>

public struct BlockAffinitySpec: ResourceSpec {
    public static let kind = ResourceKind.blockAffinity

    public var state: BlockAffinityState = .pending
    public var node: String = ""
    /// `host` (the default) or `virtual`.
    public var type: String?
    /// The block claimed; nil only in a spec decoded from a manifest without `spec:` (validation rejects it).
    public var cidr: CIDR?
    /// Soft-delete mark; `crd.projectcalico.org/v1` writes it as the string "true" or "false".
    public var deleted: Bool?

    public init() {}

    public init(state: BlockAffinityState, node: String, cidr: CIDR) {
        self.state = state
        self.node = node
        self.cidr = cidr
    }

    private enum CodingKeys: String, CodingKey { case state, node, type, cidr, deleted }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decode(BlockAffinityState.self, forKey: .state)
        node = try container.decode(String.self, forKey: .node)
        type = try container.decodeIfPresent(String.self, forKey: .type)
        cidr = try container.decode(CIDR.self, forKey: .cidr)
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .deleted) {
            deleted = flag
        } else if let text = try container.decodeIfPresent(String.self, forKey: .deleted) {
            guard let flag = Bool(text.lowercased()) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath + [CodingKeys.deleted],
                        debugDescription: "expected true or false, got \"\(text)\""))
            }
            deleted = flag
        }
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if node.isEmpty { validator.error("node", "the node is required") }
        if cidr == nil { validator.error("cidr", "a cidr is required") }
        validator.networkAddress("cidr", cidr)
        if let type, type != "host" && type != "virtual" {
            validator.error("type", "must be host or virtual (got \(type))")
        }
    }
}

/// An IPAMBlock: one block of addresses, its owner and its allocations, in Calico's block layout.
public typealias IPAMBlock = Resource<IPAMBlockSpec>

public struct IPAMBlockSpec: ResourceSpec {
    public static let kind = ResourceKind.ipamBlock

    public struct AllocationAttribute: Codable, Sendable, Equatable {
        public var handleID: String?
        public var secondary: [String: String]?
        public var alternateOwnerAttrs: [String: String]?
        public var releasedAt: String?

        public init(handleID: String?, secondary: [String: String]?) {
            self.handleID = handleID
            self.secondary = secondary
        }

        private enum CodingKeys: String, CodingKey {
            case handleID = "handle_id"
            case secondary, alternateOwnerAttrs, releasedAt
        }
    }

    /// The block's network; nil only in a spec decoded from a manifest without `spec:` (validation rejects it).
    public var cidr: CIDR?
    /// `host:<node>` or `virtual:<name>`; nil for a block no node owns.
    public var affinity: String?
    public var affinityClaimTime: String?
    /// Per ordinal in the block, the index into `attributes`; nil when the address is free.
    public var allocations: [Int?] = []
    /// Free ordinals, in the order they will be handed out.
    public var unallocated: [Int] = []
    public var attributes: [AllocationAttribute] = []
    /// Bumped on every write to the block.
    public var sequenceNumber: UInt64?
    /// The block's sequence number when each ordinal was allocated; a release naming another is stale.
    public var sequenceNumberForAllocation: [String: UInt64]?
    public var deleted: Bool?
    public var strictAffinity: Bool?

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case cidr, affinity, affinityClaimTime, allocations, unallocated, attributes, sequenceNumber,
            sequenceNumberForAllocation, deleted, strictAffinity
    }

    /// Decodes a spec; `cidr`, `allocations`, `unallocated` and `attributes` must be present.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cidr = try container.decode(CIDR.self, forKey: .cidr)
        affinity = try container.decodeIfPresent(String.self, forKey: .affinity)
        affinityClaimTime = try container.decodeIfPresent(String.self, forKey: .affinityClaimTime)
        allocations = try container.decode([Int?].self, forKey: .allocations)
        unallocated = try container.decode([Int].self, forKey: .unallocated)
        attributes = try container.decode([AllocationAttribute].self, forKey: .attributes)
        sequenceNumber = try container.decodeIfPresent(UInt64.self, forKey: .sequenceNumber)
        sequenceNumberForAllocation = try container.decodeIfPresent(
            [String: UInt64].self, forKey: .sequenceNumberForAllocation)
        deleted = try container.decodeIfPresent(Bool.self, forKey: .deleted)
        strictAffinity = try container.decodeIfPresent(Bool.self, forKey: .strictAffinity)
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        guard let block = cidr else {
            validator.error("cidr", "a cidr is required")
            return
        }
        validator.networkAddress("cidr", block)
        guard let size = block.addressCount, size <= 1 << 16 else {
            validator.error("cidr", "a block holds at most 65536 addresses")
            return
        }
        if allocations.count != Int(size) {
            validator.error("allocations", "must have one entry per address of the block (\(size), got \(allocations.count))")
        }
        for (ordinal, attribute) in allocations.enumerated() {
            if let attribute, !attributes.indices.contains(attribute) {
                validator.error("allocations[\(ordinal)]", "refers to attribute \(attribute), which does not exist")
            }
        }
        for (index, ordinal) in unallocated.enumerated() {
            if !(0..<Int(size)).contains(ordinal) {
                validator.error("unallocated[\(index)]", "ordinal \(ordinal) is outside the block")
            } else if ordinal < allocations.count, allocations[ordinal] != nil {
                validator.error("unallocated[\(index)]", "ordinal \(ordinal) is both allocated and free")
            }
        }
        if let affinity, !affinity.hasPrefix("host:") && !affinity.hasPrefix("virtual:") {
            validator.error("affinity", "must be host:<node> or virtual:<name> (got \(affinity))")
        }
    }
}

/// An IPAMHandle: the addresses allocated under one handle, counted per block.
public typealias IPAMHandle = Resource<IPAMHandleSpec>

public struct IPAMHandleSpec: ResourceSpec {
    public static let kind = ResourceKind.ipamHandle

    public var handleID: String = ""
    public var block: [String: Int] = [:]
    public var deleted: Bool?

    public init() {}

    public init(handleID: String) { self.handleID = handleID }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if handleID.isEmpty { validator.error("handleID", "a handle ID is required") }
        validator.within("block") {
            for cidr in block.keys.sorted() {
                validator.cidr(cidr, cidr, masked: true)
                if block[cidr]! < 0 { validator.error(cidr, "a count cannot be negative") }
            }
        }
    }
}

/// IPAMConfiguration (named `default`): cluster-wide IPAM settings.
public typealias IPAMConfiguration = Resource<IPAMConfigurationSpec>

public struct IPAMConfigurationSpec: ResourceSpec {
    public static let kind = ResourceKind.ipamConfiguration
    /// Calico's limit on blocks per host when `maxBlocksPerHost` is 0.
    public static let defaultMaxBlocksPerHost = 20

    public var strictAffinity: Bool?
    public var autoAllocateBlocks: Bool?
    public var maxBlocksPerHost: Int?
    public var ipCooldownSeconds: Int?
    public var kubeVirtVMAddressPersistence: String?

    public init() {}

    public var effectiveStrictAffinity: Bool { strictAffinity ?? false }
    public var effectiveAutoAllocateBlocks: Bool { autoAllocateBlocks ?? true }
    public var effectiveMaxBlocksPerHost: Int {
        (maxBlocksPerHost ?? 0) > 0 ? maxBlocksPerHost! : Self.defaultMaxBlocksPerHost
    }

    public mutating func applyDefaults(metadata: ObjectMeta) {
        if strictAffinity == nil { strictAffinity = false }
        if autoAllocateBlocks == nil { autoAllocateBlocks = true }
        if maxBlocksPerHost == nil { maxBlocksPerHost = 0 }
    }

    public func validate(metadata: ObjectMeta, into validator: Validator) {
        if metadata.name != "default" {
            validator.error("", "the IPAM configuration must be named \"default\" (got \"\(metadata.name)\")")
        }
        if !effectiveStrictAffinity && !effectiveAutoAllocateBlocks {
            validator.error(
                "autoAllocateBlocks", "autoAllocateBlocks: false needs strictAffinity: true, or no address can be found")
        }
        if let maxBlocksPerHost {
            if maxBlocksPerHost < 0 { validator.error("maxBlocksPerHost", "cannot be negative") }
            if maxBlocksPerHost > 0 && !effectiveStrictAffinity {
                validator.error("maxBlocksPerHost", "a per-host block limit needs strictAffinity: true")
            }
        }
        if let ipCooldownSeconds, !(0...1200).contains(ipCooldownSeconds) {
            validator.error("ipCooldownSeconds", "must be between 0 and 1200")
        }
        if let mode = kubeVirtVMAddressPersistence, mode != "Enabled" && mode != "Disabled" {
            validator.error("kubeVirtVMAddressPersistence", "must be Enabled or Disabled")
        }
    }
}
