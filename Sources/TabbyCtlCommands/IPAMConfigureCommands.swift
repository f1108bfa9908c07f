import ArgumentParser
import CalicoAPI
import IPAM

/// `tabbyctl ipam configure`, as `calicoctl ipam configure`.
struct IPAMConfigureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configure", abstract: "Change the IPAM configuration (strict affinity, blocks per host).",
        discussion: """
            --strictaffinity=true stops nodes borrowing addresses from other nodes' blocks. \
            --max-blocks-per-host limits the blocks a node may claim per IP version (0: Calico's default of 20); \
            a limit needs strict affinity, as in Calico.
            """)

    @OptionGroup var options: DatastoreOptions
    @Option(name: .customLong("strictaffinity"), help: "true or false.") var strictAffinity: String?
    @Option(name: .customLong("max-blocks-per-host"), help: "The most blocks a node may claim (0: the default).")
    var maxBlocksPerHost: String?

    /// Go's strconv.ParseBool, which calicoctl uses.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }

    func run() async throws {
        let strict = try strictAffinity.map { text throws(CtlFailure) -> Bool in
            guard let value = Self.parseBool(text) else {
                throw CtlFailure.badInput("invalid value \"\(text)\". Use true or false to set strictaffinity")
            }
            return value
        }
        let limit = try maxBlocksPerHost.map { text throws(CtlFailure) -> Int in
            guard let value = Int(text), value >= 0 else {
                throw CtlFailure.badInput(
                    "invalid value \"\(text)\" for --max-blocks-per-host. Use a number, 0 or more")
            }
            return value
        }
        guard strict != nil || limit != nil else {
            throw CtlFailure.badInput("at least one configuration option must be specified")
        }
        let ipam = try options.ipam()
        do {
            try await ipam.configure(strictAffinity: strict, maxBlocksPerHost: limit)
        } catch {
            throw CtlFailure.ipam(error)
        }
        if let strict { Console.out("Successfully set StrictAffinity to: \(strict)") }
        if let limit { Console.out("Successfully set MaxBlocksPerHost to: \(limit)") }
    }
}

/// `tabbyctl ipam split`, as `calicoctl ipam split`.
struct IPAMSplitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split", abstract: "Split an IP pool into a power of 2 of equal smaller pools.",
        discussion: """
            The pool must be disabled first (spec.disabled: true): Tabby has no datastore lock, and nothing is \
            assigned from a disabled pool. The new pools are named split-<name>-<i>, keep the pool's settings and \
            are enabled; the old pool is removed. Blocks and addresses stay as they are.
            """)

    @OptionGroup var options: DatastoreOptions
    @Argument(help: "How many pools to split it into (a power of 2).") var number: String
    @Option(help: "The CIDR of the IP pool to split.") var cidr: String?
    @Option(help: "The name of the IP pool to split.") var name: String?

    func run() async throws {
        guard let parts = Int(number) else {
            throw CtlFailure.badInput("\"\(number)\" is not a valid number of pools to split into")
        }
        guard let pool = name ?? cidr else {
            throw CtlFailure.badInput("no name or CIDR provided. Provide a name or CIDR to denote the IP pool to split")
        }
        let ipam = try options.ipam()
        let created: [IPPool]
        do {
            created = try await ipam.split(pool: pool, into: parts)
        } catch {
            switch error {
            case .poolSplit: throw CtlFailure.badInput(error.description)
            default: throw CtlFailure.ipam(error)
            }
        }
        Console.out("IP pool \(pool) was successfully split into \(created.count) smaller pools.")
        for child in created {
            Console.out("Created \(child.metadata.name) with CIDR \(child.spec.cidr?.description ?? "")")
        }
    }
}
