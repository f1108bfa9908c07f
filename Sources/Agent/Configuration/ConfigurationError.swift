/// Where a setting was written: a command-line argument, an environment variable, or a line of the file.
public enum ConfigurationSource: Sendable, Hashable, CustomStringConvertible {
    /// A command-line option, as written (`--health-port`).
    case argument(String)
    /// An environment variable (`TABBYD_HEALTH_PORT`).
    case environment(String)
    /// The configuration file, and the line when known.
    case file(String, line: Int?)

    public var description: String {
        switch self {
        case .argument(let option): "argument \(option)"
        case .environment(let name): "environment variable \(name)"
        case .file(let path, let line): line.map { "\(path): line \($0)" } ?? path
        }
    }
}

/// An invalid setting, named the way an operator can fix it: where it was written, the field, and why.
///
/// `/etc/tabby/tabbyd.yaml: line 4: healthPort: must be a port from 1 to 65535 (got 70000)`
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the bad value was written; nil for a required setting that nothing set.
    public var source: ConfigurationSource?
    /// The field as the file names it (`healthPort`, `nodeLabels.rack`, `felix.vxlanPort`); empty for a
    /// problem of the whole file or argument list.
    public var field: String
    public var reason: String

    public init(source: ConfigurationSource?, field: String, reason: String) {
        self.source = source
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var parts: [String] = []
        if let source { parts.append(source.description) }
        if !field.isEmpty { parts.append(field) }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }
}
