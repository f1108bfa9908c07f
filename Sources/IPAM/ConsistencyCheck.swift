import CalicoAPI
import Datastore
import Foundation
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
    /// A workload's address (its allocation carries the `timestamp` a CNI ADD writes) that no WorkloadEndpoint
    /// uses, older than the grace period: what a plugin killed mid-ADD, or a DEL that never ran, leaves. Calico's
    /// `ipam check` reports these as leaked; they are never released by `--repair`.
    case addressWithoutEndpoint(IPAddress, handle: String, allocatedAt: String)

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
        case .addressWithoutEndpoint(let address, let handle, let allocatedAt):
            return "address \(address) of handle \(handle), allocated \(allocatedAt), is used by no WorkloadEndpoint "
                + "(a CNI ADD that did not finish or a DEL that never ran); if its workload is gone, release it with "
                + "`tabbyctl ipam release --ip \(address)` or `--handle \(handle)`, or run the plugin's GC"
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
    ///
    /// Workload addresses that no WorkloadEndpoint uses are reported once they are older than
    /// `leakGracePeriod` (by their `timestamp` attribute, measured from `now`), so an ADD still in flight is not
    /// reported; they are never released here (a workload may still hold the address): the report says how.
    public func check(repair: Bool, leakGracePeriod: TimeInterval = 60, now: Date = Date()) async throws(IPAMError)
        -> IPAMCheckReport
    {
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

        for problem in try await addressesWithoutEndpoint(blocks, olderThan: now.addingTimeInterval(-leakGracePeriod)) {
            report.problems.append(problem)
            report.unrepaired.append(problem)
        }

        if repair && !report.problems.isEmpty {
            try await repairHandles(handles: handles, actual: actual, into: &report)
            try await repairBlocks(blocks, into: &report)
            try await repairAffinities(report.problems, affinities: affinities, into: &report)
        }
        return report
    }

    /// The allocation attribute `type` values of nodes' tunnel addresses (calico-node's allocate-tunnel-addrs).
    static let tunnelAddressTypes: Set<String> = [
        "ipipTunnelAddress", "vxlanTunnelAddress", "vxlanV6TunnelAddress", "wireguardTunnelAddress",
        "wireguardV6TunnelAddress",
    ]

    /// Workload allocations (stamped by a CNI ADD, not a tunnel's) allocated before `cutoff` whose address is in no
    /// WorkloadEndpoint's `ipNetworks` and whose handle (`<network>.<containerID>`) names no endpoint's container.
    /// An allocation without a timestamp (`ipam assign`, older tools) is not judged: nothing says it is a workload's.
    func addressesWithoutEndpoint(_ blocks: [IPAMBlock], olderThan cutoff: Date) async throws(IPAMError)
        -> [IPAMProblem]
    {
        var candidates: [(IPAddress, String, String)] = []
        for block in blocks {
            guard let cidr = block.spec.cidr else { continue }
            for ordinal in block.spec.allocations.indices where block.spec.allocations[ordinal] != nil {
                let attributes = block.spec.attributes(of: ordinal) ?? [:]
                guard let handle = block.spec.handle(of: ordinal),
                    let stamp = attributes[AllocationTimestamp.attribute],
                    !Self.tunnelAddressTypes.contains(attributes["type"] ?? ""),
                    let address = cidr.address(at: UInt64(ordinal))
                else { continue }
                // An unreadable timestamp cannot prove the ADD is still running.
                if let allocated = AllocationTimestamp.date(from: stamp), allocated > cutoff { continue }
                candidates.append((address, handle, stamp))
            }
        }
        guard !candidates.isEmpty else { return [] }
        let endpoints: [WorkloadEndpoint]
        do {
            endpoints = try await datastore.list(.workloadEndpoint, namespace: nil).resources.compactMap {
                $0.as(WorkloadEndpoint.self)
            }
        } catch {
            throw .datastore(error)
        }
        let used = Set(endpoints.flatMap { $0.spec.ipNetworks ?? [] }.map(\.address))
        let containers = Set(endpoints.compactMap(\.spec.containerID).filter { !$0.isEmpty })
        return candidates.filter { address, handle, _ in
            let container = handle.split(separator: ".").last.map(String.init) ?? handle
            return !used.contains(address) && !containers.contains(container)
        }
        .sorted { $0.0 < $1.0 }
        .map { IPAMProblem.addressWithoutEndpoint($0.0, handle: $0.1, allocatedAt: $0.2) }
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

/// The `timestamp` attribute Calico's CNI plugin puts on a workload's allocation: Go's `time.Time.String()` of
/// the UTC time (`2026-12-03 11:30:25.123456789 +0000 UTC`). Tabby writes the same; reading also takes RFC 3339.
public enum AllocationTimestamp {
    /// The attribute key (Calico's `ipam.AttributeTimestamp`).
    public static let attribute = "timestamp"

    /// `date` in Go's format, in UTC, with the fraction of a second as Go prints it (trailing zeros dropped).
    public static func string(from date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let nanoseconds = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000_000).rounded())
        let time = UTCTime(secondsSince1970: Int(seconds))
        var fraction = ""
        if nanoseconds > 0 && nanoseconds < 1_000_000_000 {
            fraction = "." + UTCTime.pad(nanoseconds, 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
        }
        return "\(time.date) \(time.clock)\(fraction) +0000 UTC"
    }

    /// The time in Go's format (any offset; a monotonic-clock suffix ` m=+...` is ignored) or RFC 3339; nil when
    /// it is neither.
    public static func date(from text: String) -> Date? {
        let fields = text.split(separator: " ")
        if fields.count >= 3, let date = goDate(day: fields[0], time: fields[1], offset: fields[2]) { return date }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        return calendar
    }()

    private static func goDate(day: Substring, time: Substring, offset: Substring) -> Date? {
        let dayParts = day.split(separator: "-").compactMap { Int($0) }
        let clock = time.split(separator: ".", maxSplits: 1)
        guard dayParts.count == 3, let clockText = clock.first else { return nil }
        let timeParts = clockText.split(separator: ":").compactMap { Int($0) }
        guard timeParts.count == 3 else { return nil }
        var fraction = 0.0
        if clock.count == 2 {
            guard clock[1].allSatisfy(\.isNumber), let value = Double("0." + clock[1]) else { return nil }
            fraction = value
        }
        let sign: Int
        switch offset.first {
        case "+": sign = 1
        case "-": sign = -1
        default: return nil
        }
        let digits = offset.dropFirst()
        guard digits.count == 4, let hours = Int(digits.prefix(2)), let minutes = Int(digits.suffix(2)) else {
            return nil
        }
        var parts = DateComponents()
        parts.year = dayParts[0]
        parts.month = dayParts[1]
        parts.day = dayParts[2]
        parts.hour = timeParts[0]
        parts.minute = timeParts[1]
        parts.second = timeParts[2]
        guard parts.isValidDate(in: calendar), let base = calendar.date(from: parts) else { return nil }
        return base.addingTimeInterval(fraction - Double(sign * (hours * 3600 + minutes * 60)))
    }
}
