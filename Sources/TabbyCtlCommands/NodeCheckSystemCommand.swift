import ArgumentParser

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `tabbyctl node checksystem`: whether this node's kernel and userspace have what tabbyd needs.
struct NodeCheckSystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checksystem", abstract: "Check that this node's kernel has what tabbyd needs.",
        discussion: """
            Checks the kernel version, the kernel features (nf_tables and the nft expressions Tabby uses, veth, \
            vxlan, ipip), that nf_tables answers in this network namespace, the sysctls tabbyd sets and the \
            netlink libraries, and prints a verdict for each. It only reads: modules are looked up in /sys/module, \
            /proc/modules and /lib/modules, built-in features in the kernel configuration (/proc/config.gz or \
            /boot/config-RELEASE, or --kernel-config). Exit code 1 when a required feature is missing; features \
            only some setups need (ipip for IPIP pools, IPv6 forwarding, nft_log) are warnings.
            """)

    @Option(help: "The kernel configuration file to read instead of /proc/config.gz or /boot/config-RELEASE.")
    var kernelConfig: String?

    func run() async throws {
        let checks = SystemRequirements.run(
            probe: KernelProbe(), kernelConfig: kernelConfig, isRoot: geteuid() == 0, queryNFTables: true)
        Console.out(Self.rendered(checks))
        let missing = checks.filter { $0.verdict == .missing }
        let warnings = checks.filter { $0.verdict == .warning }
        if !missing.isEmpty {
            throw CtlFailure.failed(
                "System does not meet the requirements to run Tabby: missing "
                    + missing.map(\.name).joined(separator: ", "))
        }
        var verdict = "System meets the requirements to run Tabby"
        if !warnings.isEmpty {
            verdict += " (\(warnings.count) warning(s): " + warnings.map(\.name).joined(separator: ", ") + ")"
        }
        Console.out(verdict + ".")
    }

    static func rendered(_ checks: [SystemRequirements.Check]) -> String {
        TextTable.format([["CHECK", "RESULT", "DETAIL"]] + checks.map { [$0.name, $0.verdict.rawValue, $0.detail] })
    }
}
