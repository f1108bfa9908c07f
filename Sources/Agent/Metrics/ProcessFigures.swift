import Glibc

/// Figures of this process read from /proc, for the `process_*` gauges.
enum ProcessFigures {
    /// Resident set size: the second field of /proc/self/statm, in pages.
    static func residentBytes() -> Double {
        guard let text = try? AgentConfiguration.readFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of /proc/self/fd, less the one the listing itself opens.
    static func openFileDescriptors() -> Double {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { count += 1 }
        }
        return Double(max(count - 1, 0))
    }
}
