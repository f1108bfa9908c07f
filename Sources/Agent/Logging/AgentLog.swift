import Glibc
import Logging

/// The agent's logger: a swift-log `Logger` whose handler (``AgentLogHandler``) writes one line per message
/// on standard error.
///
/// - Under journald (`JOURNAL_STREAM` names the stream standard error is), each line starts with the syslog
///   priority `<N>` that journald turns into the record's priority; journald adds the timestamp itself, so
///   text lines carry none.
/// - Otherwise `text` lines read `2025-03-01T12:00:00.123Z info    message key=value`, and `json` lines are
///   one object each: `{"time":"…","level":"info","msg":"message","key":"value"}`.
///
/// Level and format can change while running (SIGHUP reload) through ``reconfigure(level:format:)``; every
/// holder of the logger, and every `Logger` copied from ``logger``, sees the change. Lines are written whole,
/// in order, from any thread. Nothing is bootstrapped globally (`LoggingSystem`), so several agents can run
/// in one process, each with its own logger.
public final class AgentLog: Sendable {
    /// What decides the shape of a line.
    public struct Settings: Sendable, Equatable {
        public var level: LogLevel
        public var format: LogFormat
        /// Prefix lines with `<N>` for journald.
        public var journald: Bool

        public init(level: LogLevel = .info, format: LogFormat = .text, journald: Bool = false) {
            self.level = level
            self.format = format
            self.journald = journald
        }
    }

    /// The swift-log logger that writes through this log, for code that takes a `Logger`.
    public let logger: Logger
    private let sink: LogSink

    /// A logger with `settings`, writing each finished line (newline included) to `write`, stamped by `clock`
    /// (wall-clock time; tests pass a fixed one).
    public init(
        settings: Settings = Settings(),
        clock: @escaping @Sendable () -> timespec = AgentLog.wallClock,
        write: @escaping @Sendable (String) -> Void = AgentLog.writeToStandardError
    ) {
        let sink = LogSink(settings: settings, clock: clock, write: write)
        self.sink = sink
        self.logger = Logger(label: "tabbyd") { _ in AgentLogHandler(sink: sink) }
    }

    /// A logger for standard error with the configured level and format, and journald prefixes when
    /// `environment`'s `JOURNAL_STREAM` names this process's standard error.
    public convenience init(level: LogLevel, format: LogFormat, environment: [String: String]) {
        let journald = AgentLog.isJournalStream(environment["JOURNAL_STREAM"])
        self.init(settings: Settings(level: level, format: format, journald: journald))
    }

    /// The current settings.
    public var currentSettings: Settings { sink.currentSettings }

    /// Changes level and format (a reload); the journald choice stays as it was decided at start.
    public func reconfigure(level: LogLevel, format: LogFormat) {
        sink.reconfigure(level: level, format: format)
    }

    /// Whether a message at `level` would be written.
    public func isEnabled(_ level: LogLevel) -> Bool { level >= sink.currentSettings.level }

    public func debug(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) {
        log(.debug, message(), fields)
    }

    public func info(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) {
        log(.info, message(), fields)
    }

    public func warning(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) {
        log(.warning, message(), fields)
    }

    public func error(_ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String> = [:]) {
        log(.error, message(), fields)
    }

    /// Writes `message` with `fields` (key=value pairs, in the order given) when `level` is enabled; neither
    /// is built otherwise.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ fields: KeyValuePairs<String, String>) {
        logger.log(level: level.loggerLevel, "\(message())", metadata: LogFieldPosition.metadata(fields))
    }

    /// Now, from `CLOCK_REALTIME`.
    @Sendable public static func wallClock() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }

    /// Writes `line` to file descriptor 2, retrying partial writes and interruptions.
    @Sendable public static func writeToStandardError(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Whether `journalStream` (the value of `JOURNAL_STREAM`, `DEVICE:INODE`) names the file standard error
    /// is open on. systemd sets the variable for services whose output goes to the journal; a child whose
    /// standard error was redirected elsewhere inherits it, which is why the identity is checked.
    public static func isJournalStream(_ journalStream: String?) -> Bool {
        guard let journalStream else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return matchesJournalStream(journalStream, device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    /// Whether `journalStream` (`DEVICE:INODE` in decimal) names the file with `device` and `inode`.
    public static func matchesJournalStream(_ journalStream: String, device: UInt64, inode: UInt64) -> Bool {
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let streamDevice = UInt64(parts[0]), let streamInode = UInt64(parts[1]) else {
            return false
        }
        return streamDevice == device && streamInode == inode
    }
}
