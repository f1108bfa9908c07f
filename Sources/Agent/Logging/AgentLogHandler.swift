import Logging

/// The swift-log handler behind ``AgentLog``: renders each event as one journald, text or JSON line (see
/// ``AgentLog`` for the shapes) and writes it through the sink every copy shares.
///
/// Its level is the agent's configured one, so a reload changes it for every `Logger` made from it; setting
/// `logLevel` on one `Logger` overrides it for that logger alone, as swift-log expects. Fields are listed in
/// the order the call gave them (``LogFieldPosition``), then the logger's own metadata, sorted by key.
public struct AgentLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private var levelOverride: Logger.Level?
    let sink: LogSink

    init(sink: LogSink) {
        self.sink = sink
    }

    public var logLevel: Logger.Level {
        get { levelOverride ?? sink.currentSettings.level.loggerLevel }
        set { levelOverride = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let given = event.metadata { merged.merge(given) { _, new in new } }
        var fields = LogFieldPosition.ordered(merged)
        if let error = event.error, merged["error"] == nil { fields.append(("error", "\(error)")) }
        let line = LogLine.render(
            level: event.level, message: event.message.description, fields: fields,
            settings: sink.currentSettings, time: sink.clock())
        sink.write(line)
    }
}

/// The place of a field among those one call wrote, carried as a swift-log metadata attribute because
/// `Logger.Metadata` is a dictionary and would otherwise lose the order (`route=… via=…` reads as written).
public struct LogFieldPosition: Logger.MetadataValueAttributes.Attribute, Hashable {
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// Metadata for `fields`, each value marked with its position.
    static func metadata(_ fields: KeyValuePairs<String, String>) -> Logger.Metadata {
        var metadata = Logger.Metadata(minimumCapacity: fields.count)
        for (index, field) in fields.enumerated() {
            metadata[field.key] = .attributed(field.value, attributes: [LogFieldPosition(rawValue: Int64(index))])
        }
        return metadata
    }

    /// Positioned fields in their order, then the rest sorted by key.
    static func ordered(_ metadata: Logger.Metadata) -> [(String, String)] {
        metadata.map { (key: $0.key, value: $0.value, position: $0.value.attributes[LogFieldPosition.self]) }
            .sorted { left, right in
                switch (left.position, right.position) {
                case (let l?, let r?): l.rawValue < r.rawValue
                case (.some, nil): true
                case (nil, .some): false
                case (nil, nil): left.key < right.key
                }
            }
            .map { ($0.key, $0.value.description) }
    }
}
