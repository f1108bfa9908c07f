import CalicoAPI
import NetworkAddress

/// The secondary attributes of an allocation: who it is for (`node`, `namespace`, `pod`, `type`, ...).
public typealias AllocationAttributes = [String: String]

/// Pure operations on one block's allocation state. They change the value only; writing it back (with a
/// compare-and-swap) is the caller's job.
extension IPAMBlockSpec {
    /// A fresh block: every address free, handed out from the first.
    public static func empty(cidr: CIDR, affinity: String?, claimTime: String?, sequenceNumber: UInt64) -> IPAMBlockSpec {
        var block = IPAMBlockSpec()
        let size = Int(cidr.addressCount ?? 0)
        block.cidr = cidr
        block.affinity = affinity
        block.affinityClaimTime = claimTime
        block.allocations = Array(repeating: nil, count: size)
        block.unallocated = Array(0..<size)
        block.attributes = []
        block.sequenceNumber = sequenceNumber
        block.sequenceNumberForAllocation = [:]
        block.deleted = false
        return block
    }

    /// The node this block is affine to, when it is a host affinity.
    public var affineNode: String? {
        guard let affinity, affinity.hasPrefix("host:") else { return nil }
        return String(affinity.dropFirst(5))
    }

    public var freeCount: Int { unallocated.count }
    public var inUseCount: Int { allocations.count - unallocated.count }
    public var isEmpty: Bool { unallocated.count == allocations.count }

    /// Allocates up to `count` free addresses to `handle`, first free first; returns their ordinals.
    public mutating func allocate(count: Int, handle: String, attributes: AllocationAttributes) -> [Int] {
        let taken = Array(unallocated.prefix(count))
        guard !taken.isEmpty else { return [] }
        unallocated.removeFirst(taken.count)
        record(taken, handle: handle, attributes: attributes)
        return taken
    }

    /// Allocates one specific ordinal; false when it is already in use.
    public mutating func allocate(ordinal: Int, handle: String, attributes: AllocationAttributes) -> Bool {
        guard let position = unallocated.firstIndex(of: ordinal) else { return false }
        unallocated.remove(at: position)
        record([ordinal], handle: handle, attributes: attributes)
        return true
    }

    private mutating func record(_ ordinals: [Int], handle: String, attributes: AllocationAttributes) {
        let sequence = (sequenceNumber ?? 0) + 1
        sequenceNumber = sequence
        let index = attributeIndex(handle: handle, attributes: attributes)
        var perAllocation = sequenceNumberForAllocation ?? [:]
        for ordinal in ordinals {
            allocations[ordinal] = index
            perAllocation[String(ordinal)] = sequence
        }
        sequenceNumberForAllocation = perAllocation
    }

    private mutating func attributeIndex(handle: String, attributes: AllocationAttributes) -> Int {
        let wanted = AllocationAttribute(handleID: handle, secondary: attributes.isEmpty ? nil : attributes)
        if let index = self.attributes.firstIndex(of: wanted) { return index }
        self.attributes.append(wanted)
        return self.attributes.count - 1
    }

    /// The handle an ordinal is allocated to, or nil when it is free.
    public func handle(of ordinal: Int) -> String? {
        guard allocations.indices.contains(ordinal), let index = allocations[ordinal],
            attributes.indices.contains(index)
        else { return nil }
        return attributes[index].handleID
    }

    /// The attributes of an ordinal's allocation.
    public func attributes(of ordinal: Int) -> AllocationAttributes? {
        guard allocations.indices.contains(ordinal), let index = allocations[ordinal],
            attributes.indices.contains(index)
        else { return nil }
        return attributes[index].secondary ?? [:]
    }

    /// The block sequence number at which an ordinal was allocated.
    public func sequenceNumber(of ordinal: Int) -> UInt64? {
        sequenceNumberForAllocation?[String(ordinal)]
    }

    /// Ordinals allocated to `handle`.
    public func ordinals(of handle: String) -> [Int] {
        allocations.indices.filter { self.handle(of: $0) == handle }
    }

    /// Frees the given ordinals (those in use), returning the ones freed. Freed ordinals go to the back of the
    /// free list, so a just-released address is the last to be handed out again.
    @discardableResult
    public mutating func release(ordinals: [Int]) -> [Int] {
        var freed: [Int] = []
        for ordinal in ordinals where allocations.indices.contains(ordinal) && allocations[ordinal] != nil {
            allocations[ordinal] = nil
            sequenceNumberForAllocation?[String(ordinal)] = nil
            unallocated.append(ordinal)
            freed.append(ordinal)
        }
        if !freed.isEmpty {
            sequenceNumber = (sequenceNumber ?? 0) + 1
            compactAttributes()
        }
        return freed
    }

    /// Drops attributes no allocation refers to and renumbers the rest.
    mutating func compactAttributes() {
        var used = Array(repeating: false, count: attributes.count)
        for index in allocations.compactMap({ $0 }) where used.indices.contains(index) { used[index] = true }
        guard used.contains(false) else { return }
        var newIndex = Array(repeating: -1, count: attributes.count)
        var kept: [AllocationAttribute] = []
        for (index, attribute) in attributes.enumerated() where used[index] {
            newIndex[index] = kept.count
            kept.append(attribute)
        }
        attributes = kept
        for ordinal in allocations.indices {
            if let index = allocations[ordinal] { allocations[ordinal] = newIndex[index] }
        }
    }
}
