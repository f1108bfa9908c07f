import Glibc
import Synchronization

/// What every copy of ``AgentLogHandler`` shares: the settings a reload changes, the clock lines are stamped
/// by, and the writer they go to. swift-log copies handlers with each `Logger` value; sharing this is what
/// lets one ``AgentLog/reconfigure(level:format:)`` reach every copy.
final class LogSink: Sendable {
    private let settings: Mutex<AgentLog.Settings>
    private let output: Mutex<@Sendable (String) -> Void>
    let clock: @Sendable () -> timespec

    init(
        settings: AgentLog.Settings, clock: @escaping @Sendable () -> timespec,
        write: @escaping @Sendable (String) -> Void
    ) {
        self.settings = Mutex(settings)
        self.output = Mutex(write)
        self.clock = clock
    }

    var currentSettings: AgentLog.Settings { settings.withLock { $0 } }

    func reconfigure(level: LogLevel, format: LogFormat) {
        settings.withLock {
            $0.level = level
            $0.format = format
        }
    }

    /// Writes one finished line; the lock keeps lines whole and in order whichever thread writes them.
    func write(_ line: String) {
        output.withLock { $0(line) }
    }
}
