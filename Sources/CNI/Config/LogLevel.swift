/// The config's `log_level`: how much the plugins write to stderr (and to `log_file_path`).
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    /// Calico's (logrus') names, case-insensitively; `warn` is `warning`, `trace` is `debug`, `fatal` and `panic`
    /// are `error`.
    public init?(calicoName text: String) {
        switch text.lowercased() {
        case "debug", "trace": self = .debug
        case "info": self = .info
        case "warning", "warn": self = .warning
        case "error", "fatal", "panic": self = .error
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
