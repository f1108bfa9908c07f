/// The sysctl values the reconciler knows the kernel has, so that an apply with nothing new reads nothing.
///
/// Per-interface entries are forgotten when their interface appears, goes or is renamed (a new interface starts
/// from the kernel's defaults; link notifications and dumps tell). A resync forgets the global entries (a
/// handful) and the entries of a bounded slice of the interfaces: each interface falls in one slice of
/// `rounds`, by its name, so every per-interface value is read back at least once every `rounds` resyncs and a
/// value changed by hand is repaired within that many, without reading every file on every resync.
struct SysctlState {
    private var known: [String: String] = [:]
    /// The known paths of each interface, and the global ones, so that forgetting does not scan every path.
    private var pathsByInterface: [String: Set<String>] = [:]
    private var globalPaths: Set<String> = []
    private var resyncs = 0

    func isKnown(_ path: String, as value: String) -> Bool {
        guard let known = known[path] else { return false }
        // Most values are the very text desired ("1"); only the others need the field-by-field comparison.
        return known == value || Self.sameValue(known, value)
    }

    mutating func remember(_ path: String, _ value: String) {
        guard known.updateValue(value, forKey: path) == nil else { return }
        if let interface = Self.interface(of: path) {
            pathsByInterface[interface, default: []].insert(path)
        } else {
            globalPaths.insert(path)
        }
    }

    mutating func forgetAll() {
        known = [:]
        pathsByInterface = [:]
        globalPaths = []
    }

    /// Forgets `net/ipv4/conf/NAME/...`, `net/ipv6/neigh/NAME/...` and the like.
    mutating func forget(interface name: String) {
        guard let paths = pathsByInterface.removeValue(forKey: name) else { return }
        for path in paths { known[path] = nil }
    }

    /// After a dump: forgets the global values, those of interfaces whose index changed or that are gone
    /// (`previous` and `current` map names to indexes), and those of this resync's slice of interfaces.
    mutating func resync(previous: [String: Int32], current: [String: Int32], rounds: Int) {
        for path in globalPaths { known[path] = nil }
        globalPaths = []
        let slice = resyncs % max(1, rounds)
        resyncs &+= 1
        let stale = pathsByInterface.keys.filter { name in
            current[name] == nil || current[name] != previous[name] || Self.slice(of: name, rounds) == slice
        }
        for name in stale { forget(interface: name) }
    }

    /// The slice an interface's values are read back in: a hash of its name that does not change between runs.
    static func slice(of interface: String, _ rounds: Int) -> Int {
        var hash: UInt32 = 2_166_136_261  // FNV-1a
        for byte in interface.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int(hash % UInt32(max(1, rounds)))
    }

    /// The interface of `net/ipv4/conf/NAME/...`, `net/ipv6/neigh/NAME/...` and the like; nil for global
    /// settings (`net/ipv4/ip_forward`, `net/ipv6/conf/all/forwarding`).
    static func interface(of path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 5, parts[0] == "net", parts[2] == "conf" || parts[2] == "neigh",
            parts[3] != "all", parts[3] != "default"
        else { return nil }
        return String(parts[3])
    }

    /// Sysctl values compare field by field, numbers by value ("1024 65000" is "1024\t65000", "01" is "1").
    static func sameValue(_ a: String, _ b: String) -> Bool {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        let left = a.split(whereSeparator: isSpace)
        let right = b.split(whereSeparator: isSpace)
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { x, y in x == y || (Int(x) != nil && Int(x) == Int(y)) }
    }
}
