/// The sysctl values the reconciler knows the kernel has, so that an apply with nothing new reads nothing.
/// Per-interface entries are forgotten when their interface appears or goes (a new interface starts from the
/// kernel's defaults); everything is forgotten on a resync.
struct SysctlState {
    private var known: [String: String] = [:]

    func isKnown(_ path: String, as value: String) -> Bool {
        known[path].map { Self.sameValue($0, value) } ?? false
    }

    mutating func remember(_ path: String, _ value: String) { known[path] = value }

    mutating func forgetAll() { known = [:] }

    /// Forgets `net/ipv4/conf/NAME/...`, `net/ipv6/neigh/NAME/...` and the like.
    mutating func forget(interface name: String) {
        known = known.filter { path, _ in !Self.path(path, concerns: name) }
    }

    static func path(_ path: String, concerns interface: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return parts.count >= 5 && parts[0] == "net" && (parts[2] == "conf" || parts[2] == "neigh")
            && parts[3] == interface
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
