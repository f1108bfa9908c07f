import Foundation

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Reads what the running kernel offers, without changing anything: module state from /sys/module, /proc/modules
/// and /lib/modules, the build configuration from /proc/config.gz or /boot, sysctls from /proc/sys. `root` is
/// prepended to every path, so that a test can describe a kernel with a directory tree.
struct KernelProbe {
    /// How a kernel feature is present.
    enum Presence: Equatable {
        case loaded
        case builtIn
        /// Not loaded, but its module is installed: the kernel loads it on first use.
        case loadable
        /// Built as a module (`=m`), but no modules are installed for this kernel.
        case moduleNotInstalled
        case absent
        /// Nothing says either way (no module lists, no kernel configuration).
        case unknown

        var isAvailable: Bool { self == .loaded || self == .builtIn || self == .loadable }

        var text: String {
            switch self {
            case .loaded: "loaded"
            case .builtIn: "built in"
            case .loadable: "available as a module"
            case .moduleNotInstalled: "built as a module, but the module is not installed"
            case .absent: "not in this kernel"
            case .unknown: "cannot be determined"
            }
        }
    }

    var root = "/"

    func path(_ absolute: String) -> String {
        root == "/" ? absolute : (root as NSString).appendingPathComponent(absolute)
    }

    func read(_ absolute: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path(absolute)) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    func exists(_ absolute: String) -> Bool { FileManager.default.fileExists(atPath: path(absolute)) }

    /// `uname -r`, from /proc/sys/kernel/osrelease.
    var release: String? { read("/proc/sys/kernel/osrelease")?.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// A sysctl by its dotted or slashed name (`net.ipv4.ip_forward`), nil when the kernel has no such sysctl.
    func sysctl(_ name: String) -> String? {
        read("/proc/sys/" + name.replacingOccurrences(of: ".", with: "/"))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// How `modules` (alternative names of one feature's module) and `config` (its Kconfig symbol) are present.
    func presence(modules: [String], config: String, configuration: KernelConfiguration?) -> Presence {
        let names = Set(modules.flatMap { [$0, $0.replacingOccurrences(of: "_", with: "-")] })
        if modules.contains(where: { exists("/sys/module/\($0)") }) || loadedModules.contains(where: names.contains) {
            return .loaded
        }
        let release = release ?? ""
        if moduleList("/lib/modules/\(release)/modules.builtin").contains(where: names.contains) { return .builtIn }
        if moduleList("/lib/modules/\(release)/modules.dep").contains(where: names.contains) { return .loadable }
        switch configuration?.values[config] {
        case "y"?: return .builtIn
        case "m"?: return exists("/lib/modules/\(release)/modules.dep") ? .absent : .moduleNotInstalled
        case nil where configuration != nil: return .absent
        default: return exists("/lib/modules/\(release)/modules.dep") ? .absent : .unknown
        }
    }

    /// The names in /proc/modules.
    private var loadedModules: [String] {
        (read("/proc/modules") ?? "").split(separator: "\n").compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
    }

    /// The module names of a modules.dep or modules.builtin file (`kernel/drivers/net/vxlan/vxlan.ko.zst: ...`).
    private func moduleList(_ file: String) -> [String] {
        guard let text = read(file) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let path = line.split(separator: ":", maxSplits: 1).first ?? ""
            guard let file = path.split(separator: "/").last, let name = file.split(separator: ".").first else {
                return nil
            }
            return String(name)
        }
    }

    /// The kernel's build configuration: /proc/config.gz (through gzip), else /boot/config-RELEASE.
    func configuration() -> KernelConfiguration? {
        if exists("/proc/config.gz"), let text = Self.gunzip(path("/proc/config.gz")) {
            return KernelConfiguration(text, source: "/proc/config.gz")
        }
        let boot = "/boot/config-\(release ?? "")"
        if let text = read(boot) { return KernelConfiguration(text, source: boot) }
        return nil
    }

    private static func gunzip(_ file: String) -> String? {
        let outcome = CommandCapture.run("gzip", ["-dc", file])
        return outcome.succeeded ? outcome.output : nil
    }
}

/// `CONFIG_X=y|m|...` lines of a kernel configuration.
struct KernelConfiguration {
    var values: [String: String] = [:]
    var source: String

    init(_ text: String, source: String) {
        self.source = source
        for line in text.split(separator: "\n") where line.hasPrefix("CONFIG_") {
            let pair = line.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { values[String(pair[0])] = String(pair[1]) }
        }
    }
}

/// Asks nf_tables for its ruleset generation over netlink (NFT_MSG_GETGEN): proof that nf_tables answers in this
/// network namespace. Reads only.
enum NFTablesQuery {
    static let subsystem: UInt16 = 10  // NFNL_SUBSYS_NFTABLES
    static let getGeneration: UInt16 = 16  // NFT_MSG_GETGEN
    static let newGeneration: UInt16 = 15  // NFT_MSG_NEWGEN
    // linux/netlink.h, which Glibc's module does not bring.
    static let netlinkNetfilter: Int32 = 12  // NETLINK_NETFILTER
    static let request: UInt16 = 1  // NLM_F_REQUEST
    static let acknowledge: UInt16 = 4  // NLM_F_ACK
    static let errorMessage: UInt16 = 2  // NLMSG_ERROR

    /// nil when nf_tables answered, else the errno of the failure.
    static func generation() -> Int32? {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkNetfilter)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // nlmsghdr (length, type, flags, sequence, port) and nfgenmsg (family, version, resource id).
        var message: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { message += $0 } }
        append(UInt32(20))
        append(subsystem << 8 | getGeneration)
        append(request | acknowledge)
        append(UInt32(1))
        append(UInt32(0))
        message += [UInt8(AF_UNSPEC), 0, 0, 0]
        let sent = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == message.count else { return errno }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 16 else { return count < 0 ? errno : EPROTO }
        let type = UInt16(buffer[4]) | UInt16(buffer[5]) << 8
        if type == subsystem << 8 | newGeneration { return nil }
        if type == errorMessage, count >= 20 {
            let code = buffer[16..<20].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
            return code == 0 ? nil : -code
        }
        return EPROTO
    }
}
