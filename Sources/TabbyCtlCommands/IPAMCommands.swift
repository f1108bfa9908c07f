import ArgumentParser
import CalicoAPI
import Datastore
import IPAM
import NetworkAddress

struct IPAMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipam",
        abstract: "IP address management: usage, assignment, release, consistency checks, configuration, splits.",
        subcommands: [
            IPAMShowCommand.self, IPAMAssignCommand.self, IPAMReleaseCommand.self, IPAMCheckCommand.self,
            IPAMConfigureCommand.self, IPAMSplitCommand.self,
        ])
}

extension DatastoreOptions {
    func ipam() throws(CtlFailure) -> IPAMClient { IPAMClient(datastore: try open()) }
}

extension CtlFailure {
    static func ipam(_ error: IPAMError) -> CtlFailure {
        switch error {
        case .datastore(let inner): return .datastore(inner)
        default: return .failed(error.description)
        }
    }
}

struct IPAMShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Addresses in use per pool (and per block, borrowed, or for one address).")

    @OptionGroup var options: DatastoreOptions
    @Flag(help: "Also show each block.") var showBlocks = false
    @Flag(help: "List addresses borrowed from other nodes' blocks.") var showBorrowed = false
    @Option(help: "Show the allocation of one address.") var ip: String?

    func run() async throws {
        let ipam = try options.ipam()
        do {
            if let ip {
                guard let address = IPAddress(ip) else { throw CtlFailure.badInput("invalid IP address \"\(ip)\"") }
                Console.out(IPAMRendering.allocation(address, try await ipam.allocation(of: address)))
            } else if showBorrowed {
                Console.out(IPAMRendering.borrowed(try await ipam.allocations().filter(\.isBorrowed)))
            } else {
                Console.out(IPAMRendering.usage(try await ipam.usage(), blocks: showBlocks))
            }
        } catch let error as IPAMError {
            throw CtlFailure.ipam(error)
        }
    }
}

struct IPAMAssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign", abstract: "Assign an address to a handle (a specific one with --ip).")

    @OptionGroup var options: DatastoreOptions
    @Option(help: "The node the address is for.") var node: String
    @Option(help: "The handle to record the allocation under.") var handle: String
    @Option(help: "Assign this address rather than the next free one.") var ip: String?
    @Option(help: "Take the address from this pool (name or CIDR).") var pool: String?
    @Option(help: "How many addresses (without --ip).") var count = 1
    @Flag(help: "An IPv6 address.") var ipv6 = false

    func run() async throws {
        let ipam = try options.ipam()
        do {
            if let ip {
                guard let address = IPAddress(ip) else { throw CtlFailure.badInput("invalid IP address \"\(ip)\"") }
                try await ipam.assign(address: address, handle: handle, node: node)
                Console.out("Assigned \(address) to handle \(handle)")
            } else {
                let addresses = try await ipam.assign(
                    count: count, handle: handle, node: node, family: ipv6 ? .v6 : .v4, pools: pool.map { [$0] })
                for address in addresses { Console.out("Assigned \(address) to handle \(handle)") }
            }
        } catch let error as IPAMError {
            throw CtlFailure.ipam(error)
        }
    }
}

struct IPAMReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Release the addresses of a handle, or one address.")

    @OptionGroup var options: DatastoreOptions
    @Option(help: "Release every address of this handle.") var handle: String?
    @Option(help: "Release this address.") var ip: String?
    @Option(help: "With --ip: release only if the allocation still has this sequence number.")
    var sequenceNumber: UInt64?

    func validate() throws {
        if (handle == nil) == (ip == nil) { throw ValidationError("give exactly one of --handle or --ip") }
    }

    func run() async throws {
        let ipam = try options.ipam()
        do {
            if let handle {
                let released = try await ipam.release(handle: handle)
                Console.out("Released \(released.count) address(es) of handle \(handle)")
            } else if let ip {
                guard let address = IPAddress(ip) else { throw CtlFailure.badInput("invalid IP address \"\(ip)\"") }
                let handle = try await ipam.release(address: address, sequenceNumber: sequenceNumber)
                Console.out("Released \(address)" + (handle.map { " (handle \($0))" } ?? ""))
            }
        } catch let error as IPAMError {
            throw CtlFailure.ipam(error)
        }
    }
}

struct IPAMCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Find leaked addresses, handles without allocations, duplicates, overlapping blocks, affinity "
            + "mismatches, and workload addresses no WorkloadEndpoint uses.",
        discussion: "Exits 1 when it finds a problem. --repair fixes what is safe to fix and says what it did. "
            + "A workload address no endpoint uses (older than 60 s: a CNI ADD killed midway, or a DEL that never "
            + "ran) is never released by --repair; release it with `ipam release --ip` once its workload is gone.")

    @OptionGroup var options: DatastoreOptions
    @Flag(help: "Fix what is safe to fix.") var repair = false

    func run() async throws {
        let ipam = try options.ipam()
        let report: IPAMCheckReport
        do {
            report = try await ipam.check(repair: repair)
        } catch {
            throw CtlFailure.ipam(error)
        }
        if report.isClean {
            Console.out("IPAM is consistent: no problems found")
            return
        }
        Console.out("Found \(report.problems.count) problem(s):")
        for problem in report.problems { Console.out("  - \(problem)") }
        if repair {
            Console.out("Repairs:")
            for repair in report.repairs { Console.out("  - \(repair)") }
            for problem in report.unrepaired { Console.out("  - not repaired (unsafe): \(problem)") }
            if report.unrepaired.isEmpty { return }
        }
        throw CtlFailure(repair ? "some problems could not be repaired" : "run with --repair to fix them", exitCode: 1)
    }
}

/// calicoctl-style IPAM tables.
enum IPAMRendering {
    static func percent(_ part: UInt64, of total: UInt64) -> String {
        guard total > 0 else { return "0%" }
        return "\(Int((Double(part) / Double(total) * 100).rounded()))%"
    }

    static func usage(_ report: IPAMReportOfUsage, blocks: Bool) -> String {
        var rows = [["GROUPING", "CIDR", "IPS TOTAL", "IPS IN USE", "IPS FREE"]]
        for entry in report.pools {
            let usage = entry.usage
            rows.append([
                "IP Pool", usage.cidr.description, String(usage.total),
                "\(usage.inUse) (\(percent(usage.inUse, of: usage.total)))",
                "\(usage.free) (\(percent(usage.free, of: usage.total)))",
            ])
            if blocks {
                for block in entry.blocks {
                    rows.append([
                        "Block", block.cidr.description, String(block.total),
                        "\(block.inUse) (\(percent(block.inUse, of: block.total)))",
                        "\(block.free) (\(percent(block.free, of: block.total)))",
                    ])
                }
            }
        }
        return BoxTable.format(rows)
    }

    static func borrowed(_ allocations: [Allocation]) -> String {
        var rows = [["IP", "BORROWING-NODE", "BLOCK", "BLOCK OWNER", "TYPE", "ALLOCATED-TO"]]
        for allocation in allocations {
            rows.append([
                allocation.address.description, allocation.attributes["node"] ?? "", allocation.block.description,
                allocation.blockOwner ?? "", allocation.attributes["type"] ?? "workload", allocatedTo(allocation),
            ])
        }
        return BoxTable.format(rows)
    }

    static func allocation(_ address: IPAddress, _ allocation: Allocation?) -> String {
        guard let allocation else { return "IP \(address) is not assigned" }
        var lines = ["IP \(address) is in use"]
        if let handle = allocation.handle { lines.append("  Handle: \(handle)") }
        lines.append("  Block: \(allocation.block) (owner: \(allocation.blockOwner ?? "none"))")
        if let sequence = allocation.sequenceNumber { lines.append("  Sequence number: \(sequence)") }
        for (key, value) in allocation.attributes.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(key): \(value)")
        }
        return lines.joined(separator: "\n")
    }

    private static func allocatedTo(_ allocation: Allocation) -> String {
        if let pod = allocation.attributes["pod"] {
            return (allocation.attributes["namespace"].map { "\($0)/" } ?? "") + pod
        }
        return allocation.handle ?? ""
    }
}

/// A table with `+---+` borders, as calicoctl prints IPAM tables.
enum BoxTable {
    static func format(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
        func line(_ row: [String]) -> String {
            "|"
                + row.enumerated().map {
                    " " + $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) + " "
                }
                .joined(separator: "|") + "|"
        }
        return ([rule, line(header), rule] + rows.dropFirst().map(line) + [rule]).joined(separator: "\n")
    }
}
