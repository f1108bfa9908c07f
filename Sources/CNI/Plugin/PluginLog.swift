import Glibc

/// The plugins' log: lines on stderr (which the runtime collects; stdout is the protocol's), and appended to the
/// config's `log_file_path` when it has one. Each line: time, level, plugin, command, container, message.
public struct PluginLog: Sendable {
    public var level: LogLevel
    var prefix: String
    var fileDescriptor: Int32?

    /// Logs nothing but errors until the config is read.
    public static let beforeConfig = PluginLog(level: .error, prefix: "tabby")

    init(level: LogLevel, prefix: String, fileDescriptor: Int32? = nil) {
        self.level = level
        self.prefix = prefix
        self.fileDescriptor = fileDescriptor
    }

    /// Opens `filePath` for appending (creating it, not its directory); a file that cannot be opened is
    /// reported once on stderr and left out.
    init(level: LogLevel, prefix: String, filePath: String?) {
        self.init(level: level, prefix: prefix)
        if let filePath {
            let fd = open(filePath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            if fd >= 0 {
                fileDescriptor = fd
            } else {
                let reason = String(cString: strerror(errno))
                PluginStdio.write(
                    "\(prefix) warning: cannot open log_file_path \(filePath): \(reason)\n", to: STDERR_FILENO)
            }
        }
    }

    public func debug(_ message: @autoclosure () -> String) { log(.debug, message) }
    public func info(_ message: @autoclosure () -> String) { log(.info, message) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message) }
    public func error(_ message: @autoclosure () -> String) { log(.error, message) }

    private func log(_ messageLevel: LogLevel, _ message: () -> String) {
        guard messageLevel >= level else { return }
        let line = "\(Self.timestamp()) \(messageLevel.name) \(prefix): \(message())\n"
        PluginStdio.write(line, to: STDERR_FILENO)
        if let fileDescriptor { PluginStdio.write(line, to: fileDescriptor) }
    }

    /// UTC, to the millisecond: `2026-12-03T11:30:24.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let milliseconds = Int(now.tv_nsec / 1_000_000)
        let fraction = String(repeating: "0", count: 3 - String(milliseconds).count) + String(milliseconds)
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):"
            + "\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}
