/// The JSON values Calico keeps under `/calico/ipam/v2/` (libcalico-go's backend model: `AllocationBlock`,
/// `BlockAffinity`, `IPAMHandle`, `IPAMConfig`), field for field. Reading is as lenient as Go's: a field left
/// out is its zero value.
enum CalicoIPAMModel {
    /// `model.AllocationBlock`.
    struct AllocationBlock: Codable, Equatable {
        struct Attribute: Codable, Equatable {
            var handleID: String?
            var secondary: [String: String]?
            var alternate: [String: String]?
            var releasedAt: String?

            init(handleID: String?, secondary: [String: String]?, alternate: [String: String]?, releasedAt: String?) {
                self.handleID = handleID
                self.secondary = secondary
                self.alternate = alternate
                self.releasedAt = releasedAt
            }

            private enum CodingKeys: String, CodingKey {
                case handleID = "handle_id"
                case secondary, alternate, releasedAt
            }
        }

        var cidr: String
        var affinity: String?
        var affinityClaimTime: String?
        var strictAffinity: Bool
        var allocations: [Int?]
        var unallocated: [Int]
        var attributes: [Attribute]
        var deleted: Bool
        var sequenceNumber: UInt64
        var sequenceNumberForAllocation: [String: UInt64]?
        /// Before `affinity` (`<node>` rather than `host:<node>`); read, never written.
        var hostAffinity: String?

        init(
            cidr: String, affinity: String?, affinityClaimTime: String?, strictAffinity: Bool, allocations: [Int?],
            unallocated: [Int], attributes: [Attribute], deleted: Bool, sequenceNumber: UInt64,
            sequenceNumberForAllocation: [String: UInt64]?
        ) {
            self.cidr = cidr
            self.affinity = affinity
            self.affinityClaimTime = affinityClaimTime
            self.strictAffinity = strictAffinity
            self.allocations = allocations
            self.unallocated = unallocated
            self.attributes = attributes
            self.deleted = deleted
            self.sequenceNumber = sequenceNumber
            self.sequenceNumberForAllocation = sequenceNumberForAllocation
        }

        private enum CodingKeys: String, CodingKey {
            case cidr, affinity, affinityClaimTime, strictAffinity, allocations, unallocated, attributes, deleted,
                sequenceNumber, sequenceNumberForAllocation, hostAffinity
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            cidr = try container.decode(String.self, forKey: .cidr)
            affinity = try container.decodeIfPresent(String.self, forKey: .affinity)
            affinityClaimTime = try container.decodeIfPresent(String.self, forKey: .affinityClaimTime)
            strictAffinity = try container.decodeIfPresent(Bool.self, forKey: .strictAffinity) ?? false
            allocations = try container.decodeIfPresent([Int?].self, forKey: .allocations) ?? []
            unallocated = try container.decodeIfPresent([Int].self, forKey: .unallocated) ?? []
            attributes = try container.decodeIfPresent([Attribute].self, forKey: .attributes) ?? []
            deleted = try container.decodeIfPresent(Bool.self, forKey: .deleted) ?? false
            sequenceNumber = try container.decodeIfPresent(UInt64.self, forKey: .sequenceNumber) ?? 0
            sequenceNumberForAllocation = try container.decodeIfPresent(
                [String: UInt64].self, forKey: .sequenceNumberForAllocation)
            hostAffinity = try container.decodeIfPresent(String.self, forKey: .hostAffinity)
        }

        /// As Go writes it: `affinity` and `sequenceNumberForAllocation` as null when unset,
        /// `affinityClaimTime` left out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(cidr, forKey: .cidr)
            try container.encode(affinity, forKey: .affinity)
            try container.encodeIfPresent(affinityClaimTime, forKey: .affinityClaimTime)
            try container.encode(strictAffinity, forKey: .strictAffinity)
            try container.encode(allocations, forKey: .allocations)
            try container.encode(unallocated, forKey: .unallocated)
            try container.encode(attributes, forKey: .attributes)
            try container.encode(deleted, forKey: .deleted)
            try container.encode(sequenceNumber, forKey: .sequenceNumber)
            try container.encode(sequenceNumberForAllocation, forKey: .sequenceNumberForAllocation)
        }
    }

    /// `model.BlockAffinity`: the node and block are in the key.
    struct BlockAffinity: Codable, Equatable {
        var state: String
        var deleted: Bool

        init(state: String, deleted: Bool) {
            self.state = state
            self.deleted = deleted
        }

        private enum CodingKeys: String, CodingKey { case state, deleted }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            state = try container.decodeIfPresent(String.self, forKey: .state) ?? ""
            // Older writers (and the v1 CRD) use the string "true"/"false".
            if let flag = try? container.decodeIfPresent(Bool.self, forKey: .deleted) {
                deleted = flag
            } else if let text = try container.decodeIfPresent(String.self, forKey: .deleted) {
                guard let flag = Bool(text.lowercased()) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .deleted, in: container, debugDescription: "expected true or false, got \"\(text)\"")
                }
                deleted = flag
            } else {
                deleted = false
            }
        }
    }

    /// `model.IPAMHandle`: the handle ID is in the key (Calico writes none in the value); Tabby adds `handleID`
    /// with the ID as given, since its key holds the lowercased name.
    struct IPAMHandle: Codable, Equatable {
        var handleID: String?
        var block: [String: Int]
        var deleted: Bool

        init(handleID: String?, block: [String: Int], deleted: Bool) {
            self.handleID = handleID
            self.block = block
            self.deleted = deleted
        }

        private enum CodingKeys: String, CodingKey { case handleID, block, deleted }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            handleID = try container.decodeIfPresent(String.self, forKey: .handleID)
            block = try container.decodeIfPresent([String: Int].self, forKey: .block) ?? [:]
            deleted = try container.decodeIfPresent(Bool.self, forKey: .deleted) ?? false
        }
    }

    /// `model.IPAMConfig`, with the v3 fields Calico added later.
    struct IPAMConfig: Codable, Equatable {
        var strictAffinity: Bool
        var autoAllocateBlocks: Bool
        var maxBlocksPerHost: Int
        var ipCooldownSeconds: Int?
        var kubeVirtVMAddressPersistence: String?

        init(
            strictAffinity: Bool, autoAllocateBlocks: Bool, maxBlocksPerHost: Int, ipCooldownSeconds: Int?,
            kubeVirtVMAddressPersistence: String?
        ) {
            self.strictAffinity = strictAffinity
            self.autoAllocateBlocks = autoAllocateBlocks
            self.maxBlocksPerHost = maxBlocksPerHost
            self.ipCooldownSeconds = ipCooldownSeconds
            self.kubeVirtVMAddressPersistence = kubeVirtVMAddressPersistence
        }

        private enum CodingKeys: String, CodingKey {
            case strictAffinity = "strict_affinity"
            case autoAllocateBlocks = "auto_allocate_blocks"
            case maxBlocksPerHost, ipCooldownSeconds, kubeVirtVMAddressPersistence
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // Go's `omitempty` leaves false and 0 out.
            strictAffinity = try container.decodeIfPresent(Bool.self, forKey: .strictAffinity) ?? false
            autoAllocateBlocks = try container.decodeIfPresent(Bool.self, forKey: .autoAllocateBlocks) ?? false
            maxBlocksPerHost = try container.decodeIfPresent(Int.self, forKey: .maxBlocksPerHost) ?? 0
            ipCooldownSeconds = try container.decodeIfPresent(Int.self, forKey: .ipCooldownSeconds)
            kubeVirtVMAddressPersistence = try container.decodeIfPresent(
                String.self, forKey: .kubeVirtVMAddressPersistence)
        }
    }
}
