import Logging

/// How severe a log message is; messages below the configured level are dropped.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case debug = 0
    case info = 1
    case warning = 2
    case error = 3

    /// Parses `debug`, `info`, `warning` (or `warn`) and `error`, in any case (Felix writes `Info`).
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warning", "warn": self = .warning
        case "error": self = .error
        default: return nil
        }
    }

    /// The syslog priority journald reads from a `<N>` line prefix.
    public var syslogPriority: Int { loggerLevel.syslogPriority }

    /// The swift-log level this level is written at.
    public var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }

    public var description: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Logger.Level {
    /// The syslog priority journald reads from a `<N>` line prefix (trace shares debug's 7).
    var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The level's name as a line shows it.
    var name: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        }
    }
}

/// How log lines are written when not under journald: `text` for people, `json` for log shippers.
public enum LogFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case text
    case json

    public var description: String { rawValue }
}
