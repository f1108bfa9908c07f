import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// What tabbyd needs from a node's kernel and userspace, and the verdict on each, for `node checksystem`.
///
/// Like calicoctl's checksystem, a feature that only some setups use is a warning, not a failure (calicoctl does so
/// for ip6_tables): ipip (only IPIP pools need `tunl0`), IPv6 forwarding (only IPv6 pools), nft_log (only Log rules).
enum SystemRequirements {
    enum Verdict: String {
        case ok = "OK"
        case warning = "WARNING"
        case missing = "MISSING"
    }

    struct Check {
        var name: String
        var verdict: Verdict
        var detail: String
    }

    /// A kernel feature tabbyd uses: its module names (any one will do), its Kconfig symbol, and what needs it.
    struct KernelFeature {
        var name: String
        var modules: [String]
        var config: String
        var neededFor: String
        var required: Bool
    }

    static let minimumKernel = [3, 13]

    static let features = [
        KernelFeature(
            name: "nf_tables", modules: ["nf_tables"], config: "CONFIG_NF_TABLES",
            neededFor: "network policy and NAT (the tabby table)", required: true),
        KernelFeature(
            name: "nf_conntrack", modules: ["nf_conntrack"], config: "CONFIG_NF_CONNTRACK",
            neededFor: "connection tracking", required: true),
        KernelFeature(
            name: "nft_ct", modules: ["nft_ct"], config: "CONFIG_NFT_CT",
            neededFor: "policy on connection state (established, invalid)", required: true),
        KernelFeature(
            name: "nft_nat", modules: ["nft_nat", "nft_chain_nat", "nft_chain_nat_ipv4"], config: "CONFIG_NFT_NAT",
            neededFor: "natOutgoing pools (the NAT chain)", required: true),
        KernelFeature(
            name: "nft_masq", modules: ["nft_masq", "nft_masq_ipv4"], config: "CONFIG_NFT_MASQ",
            neededFor: "natOutgoing pools (masquerade)", required: true),
        KernelFeature(
            name: "nft_log", modules: ["nft_log"], config: "CONFIG_NFT_LOG",
            neededFor: "policy rules with action Log", required: false),
        KernelFeature(
            name: "veth", modules: ["veth"], config: "CONFIG_VETH",
            neededFor: "workload interfaces (cali*)", required: true),
        KernelFeature(
            name: "vxlan", modules: ["vxlan"], config: "CONFIG_VXLAN",
            neededFor: "VXLAN pools (vxlan.calico)", required: true),
        KernelFeature(
            name: "ipip", modules: ["ipip"], config: "CONFIG_NET_IPIP",
            neededFor: "IPIP pools (tunl0); VXLAN and unencapsulated pools work without it", required: false),
    ]

    /// Sysctls tabbyd writes: the name, whether a node without it can still run Tabby, and what it is for.
    static let sysctls: [(name: String, required: Bool, purpose: String)] = [
        ("net.ipv4.ip_forward", true, "tabbyd sets it to 1"),
        ("net.ipv4.conf.all.proxy_arp", true, "tabbyd sets proxy_arp=1 on each cali* interface"),
        ("net.ipv4.conf.all.rp_filter", true, "tabbyd sets rp_filter on each cali* interface"),
        ("net.ipv6.conf.all.forwarding", false, "IPv6 pools only: tabbyd sets it to 1"),
    ]

    /// The userspace libraries tabbyd is linked with.
    static let libraries = [
        ("libmnl.so.0", "libmnl0", "netlink messages"), ("libnftnl.so.11", "libnftnl11", "nf_tables messages"),
    ]

    /// Every check, in the order they are printed.
    static func run(probe: KernelProbe, kernelConfig: String?, isRoot: Bool, queryNFTables: Bool) -> [Check] {
        var checks: [Check] = [kernelVersion(probe)]
        checks.append(
            isRoot
                ? Check(name: "privileges", verdict: .ok, detail: "running as root")
                : Check(
                    name: "privileges", verdict: .warning,
                    detail: "not root: tabbyd needs root (CAP_NET_ADMIN), and the nf_tables query below needs it too"))
        let configuration: KernelConfiguration?
        if let kernelConfig {
            configuration = FileManager.default.contents(atPath: kernelConfig).map {
                KernelConfiguration(String(decoding: $0, as: UTF8.self), source: kernelConfig)
            }
        } else {
            configuration = probe.configuration()
        }
        for feature in features {
            checks.append(kernelFeature(feature, probe: probe, configuration: configuration))
        }
        if queryNFTables {
            checks.append(nfTablesAnswers(isRoot: isRoot))
        }
        for sysctl in sysctls {
            checks.append(self.sysctl(sysctl.name, required: sysctl.required, purpose: sysctl.purpose, probe: probe))
        }
        for (soname, package, purpose) in libraries {
            checks.append(library(soname, package: package, purpose: purpose))
        }
        return checks
    }

    static func kernelVersion(_ probe: KernelProbe) -> Check {
        guard let release = probe.release else {
            return Check(name: "kernel", verdict: .missing, detail: "cannot read /proc/sys/kernel/osrelease")
        }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let minimum = minimumKernel.map(String.init).joined(separator: ".")
        guard numbers.count == 2, numbers.lexicographicallyPrecedes(minimumKernel) == false else {
            return Check(
                name: "kernel", verdict: .missing,
                detail: "\(release): nf_tables needs Linux \(minimum) or later; upgrade the kernel")
        }
        return Check(name: "kernel", verdict: .ok, detail: release)
    }

    static func kernelFeature(_ feature: KernelFeature, probe: KernelProbe, configuration: KernelConfiguration?)
        -> Check
    {
        let presence = probe.presence(modules: feature.modules, config: feature.config, configuration: configuration)
        if presence.isAvailable {
            return Check(name: feature.name, verdict: .ok, detail: "\(presence.text); for \(feature.neededFor)")
        }
        var remedy: String
        switch presence {
        case .moduleNotInstalled:
            remedy = "install the kernel's modules (for example linux-modules-\(probe.release ?? "RELEASE"))"
        case .unknown:
            remedy = "no module list or kernel configuration to tell; check \(feature.config) (or give --kernel-config)"
        default:
            remedy = "a kernel with \(feature.config)=y or =m is needed"
        }
        if !feature.required { remedy = "only needed for \(feature.neededFor)" }
        return Check(
            name: feature.name, verdict: feature.required ? .missing : .warning,
            detail: "\(presence.text): " + (feature.required ? "needed for \(feature.neededFor); " : "") + remedy)
    }

    static func nfTablesAnswers(isRoot: Bool) -> Check {
        let name = "nf_tables answers"
        guard isRoot else { return Check(name: name, verdict: .warning, detail: "not checked: needs root") }
        if let code = NFTablesQuery.generation() {
            return Check(
                name: name, verdict: .missing,
                detail: "asking nf_tables for its generation failed: \(StatusSocketClient.errnoText(code))")
        }
        return Check(name: name, verdict: .ok, detail: "nf_tables answered in this network namespace")
    }

    static func sysctl(_ name: String, required: Bool, purpose: String, probe: KernelProbe) -> Check {
        if let value = probe.sysctl(name) {
            return Check(name: name, verdict: .ok, detail: "\(value) now; \(purpose)")
        }
        let reason = name.hasPrefix("net.ipv6") ? "IPv6 is disabled in this kernel or namespace" : "not in this kernel"
        return Check(
            name: name, verdict: required ? .missing : .warning,
            detail: "\(reason); " + (required ? "needed: \(purpose)" : purpose))
    }

    static func library(_ soname: String, package: String, purpose: String) -> Check {
        guard let handle = dlopen(soname, RTLD_LAZY) else {
            return Check(
                name: soname, verdict: .missing, detail: "cannot be loaded; install \(package) (for \(purpose))")
        }
        dlclose(handle)
        return Check(name: soname, verdict: .ok, detail: "loads (\(purpose))")
    }
}
