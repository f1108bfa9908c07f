import CalicoAPI
import Policy

/// Names of Tabby's chains, sets and maps, and its mark bits. Calico's names without the `cali-` prefix
/// (the table is Tabby's own), so `nft list table ip tabby` reads like Felix's nftables mode.
public enum RulesetNames {
    // Base chains.
    public static let forward = "filter-forward"
    public static let input = "filter-input"
    public static let output = "filter-output"
    public static let postrouting = "nat-postrouting"

    // Regular chains reached from the base chains.
    public static let fromWorkloadDispatch = "from-wl-dispatch"
    public static let toWorkloadDispatch = "to-wl-dispatch"
    public static let fromHostDispatch = "from-hep-dispatch"
    public static let toHostDispatch = "to-hep-dispatch"
    public static let workloadToHost = "wl-to-host"
    public static let natOutgoing = "nat-outgoing"

    // Verdict maps: interface name -> goto the endpoint's chain.
    public static let fromWorkloadMap = "from-wl-map"
    public static let toWorkloadMap = "to-wl-map"
    public static let fromHostMap = "from-hep-map"
    public static let toHostMap = "to-hep-map"

    // Static sets.
    public static let allPools = "all-ipam-pools"
    public static let natOutgoingPools = "masq-ipam-pools"
    public static let allHosts = "all-hosts-net"
    public static let failsafeInbound = "failsafe-in"
    public static let failsafeOutbound = "failsafe-out"

    /// The chain of traffic towards a workload (its ingress policy): `tw-<interface>`.
    public static func toWorkload(_ interface: String) -> String { "tw-" + interface }
    /// The chain of traffic from a workload (its egress policy): `fw-<interface>`.
    public static func fromWorkload(_ interface: String) -> String { "fw-" + interface }
    /// The chain of traffic from a host endpoint's interface into the host (its ingress policy): `fh-<interface>`;
    /// for the all-interfaces host endpoint (`interfaceName: "*"`) `from-host-any`, since nft cannot read a `*`
    /// in a chain name.
    public static func fromHost(_ interface: String) -> String {
        interface == "*" ? "from-host-any" : "fh-" + interface
    }
    /// The chain of traffic from the host out of a host endpoint's interface (its egress policy): `th-<interface>`,
    /// or `to-host-any` for the all-interfaces host endpoint.
    public static func toHost(_ interface: String) -> String { interface == "*" ? "to-host-any" : "th-" + interface }

    /// Longest chain or set name Tabby makes; longer ones are hashed (the kernel takes up to 255 bytes).
    static let maximumNameLength = 120

    /// The chain of a policy or profile in one direction: `pi-gnp/name`, `po-np/ns/name`, `pri-kns.ns`, ...
    public static func policyChain(_ key: PolicyChainKey) -> String { bounded(key.chainSuffix) }

    /// The set of a selector or named port: the set ID with `:` replaced by `-` (`s-qMt7iLlGDhvL...`).
    public static func set(_ id: SetID) -> String { bounded(id.rawValue.replacingOccurrences(of: ":", with: "-")) }

    /// A name cut to `maximumNameLength`: the part before the first `-`, then `-h-` and the SHA-1 of the whole.
    static func bounded(_ name: String) -> String {
        guard name.utf8.count > maximumNameLength else { return name }
        let prefix = name.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
        return prefix + "-h-" + SHA1.hex(name)
    }

    /// Mark bits, from the top half of the mark as Felix's default `nftablesMarkMask` (0xffff0000): a policy
    /// or profile that allows sets `acceptMark` and returns; one that passes sets `passMark` and returns.
    public static let acceptMark: UInt32 = 0x1_0000
    public static let passMark: UInt32 = 0x2_0000

    /// Rule comments start with this, so that `nft list` shows whose a rule is and why.
    public static let commentPrefix = "tabby:"

    /// A rule comment, cut to the 127 bytes the kernel's user data leaves for it.
    static func comment(_ text: String) -> String {
        let full = commentPrefix + text
        guard full.utf8.count > 127 else { return full }
        var cut = ""
        for character in full {
            if cut.utf8.count + String(character).utf8.count > 127 { break }
            cut.append(character)
        }
        return cut
    }
}
