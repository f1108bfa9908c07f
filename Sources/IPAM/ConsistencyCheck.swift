import CalicoAPI
import Datastore
import NetworkAddress

/// One inconsistency `ipam check` finds.
public enum IPAMProblem: Sendable, Equatable, CustomStringConvertible {
    /// An address allocated under a handle that does not count it.
    case leakedAddress(IPAddress, handle: String?, block: CIDR)
    /// A handle counting more addresses in a block than the block holds for it.
    case handleWithoutAllocations(handle: String, block: CIDR, counted: Int, actual: Int)
    /// An address held by two blocks, or an ordinal both allocated and free, or listed free twice.
    case duplicateAllocation(IPAddress, detail: String)
    /// An ordinal neither allocated nor free.
    case lostAddress(IPAddress, block: CIDR)
    /// A block affine to a node that has no confirmed affinity for it.
    case blockWithoutAffinity(block: CIDR, node: String)
    /// An affinity whose block does not exist.
    case affinityWithoutBlock(name: String, node: String, block: CIDR)
    /// Two blocks that share addresses (a pool's blockSize was changed under the first): each may hand out
    /// the same address.
    case overlappingBlocks(CIDR, CIDR)

    public var description: String {
        switch self {
        case .leakedAddress(let address, let handle, let block):
            return "leaked address \(address) in block \(block): handle \(handle ?? "(none)") does not count it"
        case .handleWithoutAllocations(let handle, let block, let counted, let actual):
            return "handle \(handle) counts \(counted) address(es) in block \(block) but holds \(actual)"
        case .duplicateAllocation(let address, let detail):
            return "duplicate allocation of \(address): \(detail)"
        case .lostAddress(let address, let block):
            return "address \(address) in block \(block) is neither allocated nor free"
        case .blockWithoutAffinity(let block, let node):
            return "block \(block) is affine to node \(node), which has no confirmed affinity for it"
        case .affinityWithoutBlock(let name, let node, let block):
            return "affinity \(name) of node \(node) names block \(block), which does not exist"
        case .overlappingBlocks(let first, let second):
            return "blocks \(first) and \(second) overlap: an address in both can be handed out twice "
                + "(release the addresses of one of them, then delete it)"
        }
    }
}

/// What `ipam check` found, and with `--repair` what it did.
public struct IPAMCheckReport: Sendable {
    public var problems: [IPAMProblem] = []
    public var repairs: [String] = []
    /// Problems that are not safe to repair automatically.
    public var unrepaired: [IPAMProblem] = []
    public var isClean: Bool { problems.isEmpty }
}

extension IPAMClient {
    /// Finds every inconsistency between blocks, handles and affinities. With `repair`, fixes what is safe:
    /// handle counts are set from the blocks (blocks are the truth, and no address anyone may hold is freed),
    /// free lists are rebuilt, missing affinities of owned blocks are confirmed, and affinities without blocks
    /// are removed. Overlapping blocks are reported, never touched.
    public func check(repair: Bool) async throws(IPAMError) -> IPAMCheckReport {
        var report = IPAMCheckReport()
        let blocks = try await listBlocks()
        let handles = try await listHandles()
        let affinities = try await listAffinities()

        // Per handle and block: how many addresses the blocks really hold.
        var actual: [String: [String: Int]] = [:]
        var owners: [IPAddress: CIDR] = [:]
        for block in blocks {
            guard let cidr = block.spec.cidr else { continue }
            for problem in Self.structuralProblems(block.spec, cidr: cidr) { report.problems.append(problem) }
            for ordinal in block.spec.allocations.indices where block.spec.allocations[ordinal] != nil {
                guard let address = cidr.address(at: UInt64(ordinal)) else { continue }
                if let other = owners[address] {
                    let problem = IPAMProblem.duplicateAllocation(
                        address, detail: "held by blocks \(other) and \(cidr)")
                    report.problems.append(problem)
                    report.unrepaired.append(problem)
                }
                owners[address] = cidr
                let handle = block.spec.handle(of: ordinal) ?? ""
                actual[handle, default: [:]][cidr.description, default: 0] += 1
            }
        }
        var recorded: [String: [String: Int]] = [:]
        for handle in handles { recorded[handle.spec.handleID] = handle.spec.block }
        for block in blocks {
            guard let cidr = block.spec.cidr else { continue }
            for ordinal in block.spec.allocations.indices where block.spec.allocations[ordinal] != nil {
                let handle = block.spec.handle(of: ordinal)
                let counted = handle.flatMap { recorded[$0]?[cidr.description] } ?? 0
                if counted < actual[handle ?? ""]?[cidr.description] ?? 0,
                    let address = cidr.address(at: UInt64(ordinal))
                {
                    report.problems.append(.leakedAddress(address, handle: handle, block: cidr))
                }
            }
        }
        for handle in handles {
            for (text, counted) in handle.spec.block.sorted(by: { $0.key < $1.key }) {
                let held = actual[handle.spec.handleID]?[text] ?? 0
                guard counted > held, let cidr = try? CIDR(parsing: text) else { continue }
                report.problems.append(
                    .handleWithoutAllocations(handle: handle.spec.handleID, block: cidr, counted: counted, actual: held)
                )
            }
        }
        let blockCIDRs = Set(blocks.compactMap(\.spec.cidr))
        for (first, second) in Self.overlappingBlocks(Array(blockCIDRs)) {
            report.problems.append(.overlappingBlocks(first, second))
            report.unrepaired.append(.overlappingBlocks(first, second))
        }
        for block in blocks {
            guard let cidr = block.spec.cidr, let node = block.spec.affineNode else { continue }
            let confirmed = affinities.contains {
                $0.spec.node == node && $0.spec.cidr == cidr && $0.spec.state == .confirmed
            }
            if !confirmed { report.problems.append(.blockWithoutAffinity(block: cidr, node: node)) }
        }
        for affinity in affinities {
            guard let cidr = affinity.spec.cidr, !blockCIDRs.contains(cidr) else { continue }
            report.problems.append(
                .affinityWithoutBlock(name: affinity.metadata.name, node: affinity.spec.node, block: cidr))
        }

        if repair && !report.problems.isEmpty {
            try await repairHandles(handles: handles, actual: actual, into: &report)
            try await repairBlocks(blocks, into: &report)
            try await repairAffinities(report.problems, affinities: affinities, into: &report)
        }
        return report
    }

    /// Every pair of blocks that overlap. Prefixes either nest or are disjoint, so in address order (wider
    /// first at one address) a block overlaps only the widest block still open before it.
    static func overlappingBlocks(_ cidrs: [CIDR]) -> [(CIDR, CIDR)] {
        var pairs: [(CIDR, CIDR)] = []
        var open: CIDR?
        for cidr in cidrs.sorted() {
            if let widest = open, widest.overlaps(cidr) {
                pairs.append((widest, cidr))
            } else {
                open = cidr
            }
        }
        return pairs
    }

    static func structuralProblems(_ spec: IPAMBlockSpec, cidr: CIDR) -> [IPAMProblem] {
        var problems: [IPAMProblem] = []
        var seen: Set<Int> = []
        for ordinal in spec.unallocated {
            guard let address = cidr.address(at: UInt64(max(ordinal, 0))) else { continue }
            if !seen.insert(ordinal).inserted {
                problems.append(.duplicateAllocation(address, detail: "listed free twice in block \(cidr)"))
            } else if spec.allocations.indices.contains(ordinal), spec.allocations[ordinal] != nil {
                problems.append(.duplicateAllocation(address, detail: "both allocated and free in block \(cidr)"))
            }
        }
        for ordinal in spec.allocations.indices where spec.allocations[ordinal] == nil && !seen.contains(ordinal) {
            if let address = cidr.address(at: UInt64(ordinal)) {
                problems.append(.lostAddress(address, block: cidr))
            }
        }
        return problems
    }

    private func repairHandles(
        handles: [IPAMHandle], actual: [String: [String: Int]], into report: inout IPAMCheckReport
    ) async throws(IPAMError) {
        var byID: [String: IPAMHandle] = [:]
        for handle in handles { byID[handle.spec.handleID] = handle }
        for handleID in Set(actual.keys).union(byID.keys).sorted() where !handleID.isEmpty {
            let wanted = actual[handleID] ?? [:]
            guard byID[handleID]?.spec.block != wanted else { continue }
            do {
                if wanted.isEmpty, let stored = byID[handleID] {
                    _ = try await datastore.delete(stored.key, resourceVersion: stored.metadata.resourceVersion)
                    report.repairs.append("deleted handle \(handleID), which holds no addresses")
                } else if var stored = byID[handleID] {
                    stored.spec.block = wanted
                    _ = try await datastore.update(AnyResource(stored))
                    report.repairs.append("set the counts of handle \(handleID) to what its blocks hold")
                } else {
                    var created = IPAMHandle(name: IPAMNames.handle(handleID), spec: IPAMHandleSpec(handleID: handleID))
                    created.spec.block = wanted
                    created.spec.deleted = false
                    _ = try await datastore.create(AnyResource(created))
                    report.repairs.append(
                        "recreated handle \(handleID) for its \(wanted.values.reduce(0, +)) address(es)")
                }
            } catch {
                throw .datastore(error)
            }
        }
    }

    private func repairBlocks(_ blocks: [IPAMBlock], into report: inout IPAMCheckReport) async throws(IPAMError) {
        for var block in blocks {
            guard let cidr = block.spec.cidr, !Self.structuralProblems(block.spec, cidr: cidr).isEmpty else {
                continue
            }
            var seen: Set<Int> = []
            var free = block.spec.unallocated.filter { ordinal in
                block.spec.allocations.indices.contains(ordinal) && block.spec.allocations[ordinal] == nil
                    && seen.insert(ordinal).inserted
            }
            free += block.spec.allocations.indices.filter { block.spec.allocations[$0] == nil && !seen.contains($0) }
            block.spec.unallocated = free
            block.spec.sequenceNumber = (block.spec.sequenceNumber ?? 0) + 1
            do {
                _ = try await datastore.update(AnyResource(block))
                report.repairs.append("rebuilt the free list of block \(cidr)")
            } catch {
                throw .datastore(error)
            }
        }
    }

    private func repairAffinities(
        _ problems: [IPAMProblem], affinities: [BlockAffinity], into report: inout IPAMCheckReport
    ) async throws(IPAMError) {
        for problem in problems {
            do {
                switch problem {
                case .blockWithoutAffinity(let block, let node):
                    if var existing = affinities.first(where: { $0.spec.node == node && $0.spec.cidr == block }) {
                        existing.spec.state = .confirmed
                        _ = try await datastore.update(AnyResource(existing))
                    } else {
                        var affinity = BlockAffinity(
                            name: IPAMNames.affinity(node: node, block: block),
                            spec: BlockAffinitySpec(state: .confirmed, node: node, cidr: block))
                        affinity.spec.type = "host"
                        affinity.spec.deleted = false
                        _ = try await datastore.create(AnyResource(affinity))
                    }
                    report.repairs.append("confirmed node \(node)'s affinity for block \(block)")
                case .affinityWithoutBlock(let name, let node, let block):
                    _ = try await datastore.delete(ResourceKey(kind: .blockAffinity, name: name), resourceVersion: nil)
                    report.repairs.append("deleted affinity \(name) of node \(node) for missing block \(block)")
                default:
                    continue
                }
            } catch {
                throw .datastore(error)
            }
        }
    }
}
