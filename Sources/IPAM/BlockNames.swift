import CalicoAPI
import NetworkAddress

/// How IPAM objects are named in the datastore (Calico's KDD names).
public enum IPAMNames {
    /// A block's name: its CIDR with `.`, `:` and `/` replaced by `-` (`10-244-0-0-26`).
    public static func block(_ cidr: CIDR) -> String {
        String(cidr.description.map { $0 == "." || $0 == ":" || $0 == "/" ? "-" : $0 })
    }

    /// A node's affinity for a block: `<node>-<block name>`, shortened with a hash past 253 characters.
    public static func affinity(node: String, block cidr: CIDR) -> String {
        fitted("\(node)-\(block(cidr))")
    }

    /// The handle of a node's IPIP tunnel address.
    public static func ipipTunnelHandle(node: String) -> String { "ipip-tunnel-addr-\(node)" }
    /// The handle of a node's VXLAN tunnel address.
    public static func vxlanTunnelHandle(node: String) -> String { "vxlan-tunnel-addr-\(node)" }
    /// The handle of a node's IPv6 VXLAN tunnel address (Calico puts `-v6-` inside, not at the end).
    public static func vxlanV6TunnelHandle(node: String) -> String { "vxlan-v6-tunnel-addr-\(node)" }

    /// The datastore name of a handle: handle IDs are names already, lowercased as Calico stores them, shortened
    /// with a hash past 253 characters (a node's tunnel handle is 18 longer than the node's name).
    public static func handle(_ handleID: String) -> String { fitted(handleID.lowercased()) }

    /// `name`, or past the 253 characters a name may have, its beginning and a hash of the whole.
    private static func fitted(_ name: String) -> String {
        guard name.utf8.count > 253 else { return name }
        let hash = String(FNV1a.hash64(name), radix: 16)
        // The kept beginning must not end a label: `a.` + `-hash` would make a label start with `-`.
        var kept = name.prefix(253 - hash.count - 1)
        while let last = kept.last, last == "." || last == "-" { kept.removeLast() }
        return kept + "-" + hash
    }
}

/// FNV-1a hashes: cheap, stable across runs and machines.
public enum FNV1a {
    public static func hash32(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    public static func hash64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
