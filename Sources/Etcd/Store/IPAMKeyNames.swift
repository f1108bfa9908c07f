import NetworkAddress

/// The names of IPAM objects, as the datastore (and Calico's Kubernetes datastore) gives them, and the CIDR forms
/// Calico's etcd keys use. The same rules as the IPAM module's `IPAMNames` (which this module cannot import):
/// the tests check the two against each other's examples.
enum IPAMKeyNames {
    /// A block's name: its CIDR with `.`, `:` and `/` replaced by `-` (`10-244-1-0-26`, `2001-db8----122`).
    static func block(_ cidr: CIDR) -> String {
        String(cidr.description.map { $0 == "." || $0 == ":" || $0 == "/" ? "-" : $0 })
    }

    /// The block CIDR a block name stands for, when it is the canonical name of a masked CIDR (the one `block`
    /// gives); nil for anything else.
    static func blockCIDR(fromName name: String) -> CIDR? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let address = name[..<dash]
        let prefix = name[name.index(after: dash)...]
        for separator: Character in [".", ":"] {
            let text = String(address.map { $0 == "-" ? separator : $0 }) + "/" + prefix
            if let cidr = CIDR(text), cidr.isMasked, block(cidr) == name { return cidr }
        }
        return nil
    }

    /// A node's affinity for a block: `<node>-<block name>`, shortened with a hash past 253 characters.
    static func affinity(node: String, block cidr: CIDR) -> String {
        fitted("\(node)-\(block(cidr))")
    }

    /// The ways an affinity name can split into a node and a block: every suffix after a `-` that is a block's
    /// canonical name (usually one).
    static func affinitySplits(_ name: String) -> [(node: String, cidr: CIDR)] {
        var splits: [(node: String, cidr: CIDR)] = []
        var index = name.startIndex
        while let dash = name[index...].firstIndex(of: "-") {
            let node = String(name[..<dash])
            if !node.isEmpty, let cidr = blockCIDR(fromName: String(name[name.index(after: dash)...])) {
                splits.append((node, cidr))
            }
            index = name.index(after: dash)
        }
        return splits
    }

    /// The datastore name of a handle: the handle ID lowercased, shortened with a hash past 253 characters.
    static func handle(_ handleID: String) -> String { fitted(handleID.lowercased()) }

    /// The CIDR as Calico's etcd keys write it: `10.244.1.0-26`, `2001:db8::-122`.
    static func keyForm(_ cidr: CIDR) -> String {
        "\(cidr.address)-\(cidr.prefixLength)"
    }

    /// The CIDR of a key's last component (`10.244.1.0-26`), when it is a masked block CIDR written canonically.
    static func cidr(fromKeyForm text: Substring) -> CIDR? {
        guard let dash = text.lastIndex(of: "-") else { return nil }
        guard let cidr = CIDR(String(text[..<dash]) + "/" + text[text.index(after: dash)...]), cidr.isMasked,
            keyForm(cidr) == text
        else { return nil }
        return cidr
    }

    /// `name`, or past the 253 characters a name may have, its beginning and an FNV-1a hash of the whole.
    private static func fitted(_ name: String) -> String {
        guard name.utf8.count > 253 else { return name }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        var kept = name.prefix(253 - hex.count - 1)
        while let last = kept.last, last == "." || last == "-" { kept.removeLast() }
        return kept + "-" + hex
    }
}
