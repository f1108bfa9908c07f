import Foundation
import Glibc
import Testing

@testable import TabbyCtlCommands

/// A kernel described by a directory tree: /proc/sys, /sys/module, /lib/modules and /boot as `KernelProbe` reads them.
private struct FakeKernel {
    let root = "/tmp/tabbyctl-kernel-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
    let release = "6.1.0-test"

    init(config: [String: String], modulesDep: [String]? = nil, loaded: [String] = [], sysctls: [String] = []) throws {
        try write("/proc/sys/kernel/osrelease", release + "\n")
        let defaults = [
            "net/ipv4/ip_forward", "net/ipv4/conf/all/proxy_arp", "net/ipv4/conf/all/rp_filter",
            "net/ipv6/conf/all/forwarding",
        ]
        for sysctl in sysctls.isEmpty ? defaults : sysctls { try write("/proc/sys/" + sysctl, "0\n") }
        try write("/boot/config-\(release)", config.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") + "\n")
        if let modulesDep {
            try write(
                "/lib/modules/\(release)/modules.dep",
                modulesDep.map { "kernel/net/\($0).ko.zst: kernel/net/dep.ko.zst" }.joined(separator: "\n") + "\n")
        }
        for module in loaded {
            try FileManager.default.createDirectory(
                atPath: root + "/sys/module/" + module, withIntermediateDirectories: true)
        }
    }

    func write(_ path: String, _ text: String) throws {
        let full = root + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func checks() -> [SystemRequirements.Check] {
        SystemRequirements.run(probe: KernelProbe(root: root), kernelConfig: nil, isRoot: true, queryNFTables: false)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    static let everything = [
        "CONFIG_NF_TABLES": "y", "CONFIG_NF_CONNTRACK": "y", "CONFIG_NFT_CT": "y", "CONFIG_NFT_NAT": "y",
        "CONFIG_NFT_MASQ": "y", "CONFIG_NFT_LOG": "y", "CONFIG_VETH": "y", "CONFIG_VXLAN": "y", "CONFIG_NET_IPIP": "y",
    ]
}

private func verdict(_ checks: [SystemRequirements.Check], _ name: String) -> SystemRequirements.Verdict? {
    checks.first { $0.name == name }?.verdict
}

@Suite struct CheckSystemVerdictTests {
    @Test func aKernelWithEverythingPasses() throws {
        let kernel = try FakeKernel(config: FakeKernel.everything)
        defer { kernel.remove() }
        let checks = kernel.checks()
        for feature in SystemRequirements.features { #expect(verdict(checks, feature.name) == .ok, "\(feature.name)") }
        #expect(verdict(checks, "kernel") == .ok)
        #expect(verdict(checks, "net.ipv4.ip_forward") == .ok)
    }

    @Test func noIPIPIsAWarningNotAFailure() throws {
        var config = FakeKernel.everything
        config["CONFIG_NET_IPIP"] = nil
        let kernel = try FakeKernel(config: config)
        defer { kernel.remove() }
        let checks = kernel.checks()
        #expect(verdict(checks, "ipip") == .warning)
        #expect(checks.first { $0.name == "ipip" }!.detail.contains("only needed for IPIP pools"))
        #expect(!checks.contains { $0.verdict == .missing })
    }

    @Test func noVXLANIsMissing() throws {
        var config = FakeKernel.everything
        config["CONFIG_VXLAN"] = nil
        let kernel = try FakeKernel(config: config)
        defer { kernel.remove() }
        let check = kernel.checks().first { $0.name == "vxlan" }!
        #expect(check.verdict == .missing)
        #expect(check.detail.contains("CONFIG_VXLAN"))
    }

    @Test func modulesAreFoundLoadedOrLoadable() throws {
        var config = FakeKernel.everything
        config["CONFIG_VXLAN"] = "m"
        config["CONFIG_VETH"] = "m"
        config["CONFIG_NFT_CT"] = "m"
        let kernel = try FakeKernel(config: config, modulesDep: ["vxlan"], loaded: ["veth"])
        defer { kernel.remove() }
        let checks = kernel.checks()
        #expect(checks.first { $0.name == "vxlan" }!.detail.hasPrefix("available as a module"))
        #expect(checks.first { $0.name == "veth" }!.detail.hasPrefix("loaded"))
        // Configured as a module, but modules.dep does not list it.
        #expect(verdict(checks, "nft_ct") == .missing)
    }

    @Test func aModuleThatIsNotInstalledIsMissing() throws {
        var config = FakeKernel.everything
        config["CONFIG_NF_TABLES"] = "m"
        let kernel = try FakeKernel(config: config)
        defer { kernel.remove() }
        let check = kernel.checks().first { $0.name == "nf_tables" }!
        #expect(check.verdict == .missing)
        #expect(check.detail.contains("the module is not installed"))
    }

    @Test func aGivenKernelConfigurationIsReadInstead() throws {
        let kernel = try FakeKernel(config: FakeKernel.everything)
        defer { kernel.remove() }
        var config = FakeKernel.everything
        config["CONFIG_VETH"] = nil
        try kernel.write("/other-config", config.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") + "\n")
        let checks = SystemRequirements.run(
            probe: KernelProbe(root: kernel.root), kernelConfig: kernel.root + "/other-config", isRoot: true,
            queryNFTables: false)
        #expect(verdict(checks, "veth") == .missing)
        #expect(verdict(checks, "vxlan") == .ok)
    }

    @Test func sysctlsTabbydNeeds() throws {
        let kernel = try FakeKernel(config: FakeKernel.everything, sysctls: ["net/ipv4/ip_forward"])
        defer { kernel.remove() }
        let checks = kernel.checks()
        #expect(verdict(checks, "net.ipv4.ip_forward") == .ok)
        #expect(verdict(checks, "net.ipv4.conf.all.proxy_arp") == .missing)
        #expect(verdict(checks, "net.ipv6.conf.all.forwarding") == .warning)
    }
}

@Suite(
    "tabbyctl node checksystem in a network namespace",
    .enabled(if: Tabbyctl.binary != nil && TestNamespace.isRoot, "needs root and the tabbyctl executable"))
struct CheckSystemNamespaceTests {
    @Test func theVerdictsMatchWhatTheKernelCanDo() throws {
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let result = try namespace.tabbyctl(["node", "checksystem"])
        let rows = result.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        func row(_ name: String) -> String? { rows.first { $0.first.map(String.init) == name }.map { String($0[1]) } }

        #expect(row("nf_tables") == "OK")
        let answers = result.out.split(separator: "\n").first { $0.hasPrefix("nf_tables answers ") }
        #expect(answers?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).first == "OK")
        #expect(row("veth") == "OK")
        // The ground truth for tunnels: can a device of that kind be made here, in the test's namespace?
        let vxlan = try namespace.ip(["link", "add", "vx-test", "type", "vxlan", "id", "42", "dstport", "4789"])
        #expect(row("vxlan") == (vxlan.status == 0 ? "OK" : "MISSING"))
        let ipip = try namespace.ip(["link", "add", "ipip-test", "type", "ipip", "remote", "192.0.2.1"])
        #expect(row("ipip") == (ipip.status == 0 ? "OK" : "WARNING"))
        if ipip.status != 0 { #expect(result.out.contains("only needed for IPIP pools")) }

        let missing = rows.contains { $0.count > 1 && $0[1] == "MISSING" }
        #expect(result.status == (missing ? 1 : 0), "\(result.out)\n\(result.err)")
        if !missing { #expect(result.out.contains("System meets the requirements to run Tabby")) }
    }
}
