import CalicoAPI

/// One value and where it was written.
struct Setting<Value> {
    var value: Value
    var source: ConfigurationSource
}

/// What one source (the file, the environment or the arguments) sets; nil where it says nothing. Layers are
/// merged field by field, and label by label and Felix parameter by parameter, the higher one winning.
struct SettingsLayer {
    var nodeName: Setting<String>?
    var datastore: Setting<String>?
    var nodeIP: Setting<String>?
    var nodeLabels: [String: Setting<String>] = [:]
    var statusSocket: Setting<String>?
    var healthEnabled: Setting<Bool>?
    var healthHost: Setting<String>?
    var healthPort: Setting<Int>?
    var metricsEnabled: Setting<Bool>?
    var metricsHost: Setting<String>?
    var metricsPort: Setting<Int>?
    var metricsFelixNames: Setting<Bool>?
    var logFormat: Setting<String>?
    var logLevel: Setting<String>?
    var mtuFile: Setting<String>?
    /// Felix parameters by their canonical names, as parsed manifest values.
    var felix: [String: Setting<ManifestNode>] = [:]

    /// `self` with every value `higher` sets replacing this layer's.
    func overlaid(by higher: SettingsLayer) -> SettingsLayer {
        var result = self
        result.nodeName = higher.nodeName ?? nodeName
        result.datastore = higher.datastore ?? datastore
        result.nodeIP = higher.nodeIP ?? nodeIP
        result.nodeLabels.merge(higher.nodeLabels) { _, new in new }
        result.statusSocket = higher.statusSocket ?? statusSocket
        result.healthEnabled = higher.healthEnabled ?? healthEnabled
        result.healthHost = higher.healthHost ?? healthHost
        result.healthPort = higher.healthPort ?? healthPort
        result.metricsEnabled = higher.metricsEnabled ?? metricsEnabled
        result.metricsHost = higher.metricsHost ?? metricsHost
        result.metricsPort = higher.metricsPort ?? metricsPort
        result.metricsFelixNames = higher.metricsFelixNames ?? metricsFelixNames
        result.logFormat = higher.logFormat ?? logFormat
        result.logLevel = higher.logLevel ?? logLevel
        result.mtuFile = higher.mtuFile ?? mtuFile
        result.felix.merge(higher.felix) { _, new in new }
        return result
    }
}

/// A setting with one value, by its name in each source: the file's key, the options, the environment
/// variable.
struct ScalarField {
    enum Kind {
        case string(WritableKeyPath<SettingsLayer, Setting<String>?>)
        case integer(WritableKeyPath<SettingsLayer, Setting<Int>?>)
        case boolean(WritableKeyPath<SettingsLayer, Setting<Bool>?>)
    }

    var key: String
    var options: [String]
    var environment: String
    var kind: Kind

    /// Every scalar field (computed: key paths are not Sendable, so this cannot be a stored constant).
    static var all: [ScalarField] {
        [
            ScalarField(
                key: "nodeName", options: ["--node", "--node-name"], environment: "TABBYD_NODE_NAME",
                kind: .string(\.nodeName)),
            ScalarField(
                key: "datastore", options: ["--datastore"], environment: "TABBYD_DATASTORE",
                kind: .string(\.datastore)),
            ScalarField(key: "nodeIP", options: ["--node-ip"], environment: "TABBYD_NODE_IP", kind: .string(\.nodeIP)),
            ScalarField(
                key: "statusSocket", options: ["--status-socket"], environment: "TABBYD_STATUS_SOCKET",
                kind: .string(\.statusSocket)),
            ScalarField(
                key: "healthEnabled", options: ["--health-enabled"], environment: "TABBYD_HEALTH_ENABLED",
                kind: .boolean(\.healthEnabled)),
            ScalarField(
                key: "healthHost", options: ["--health-host"], environment: "TABBYD_HEALTH_HOST",
                kind: .string(\.healthHost)),
            ScalarField(
                key: "healthPort", options: ["--health-port"], environment: "TABBYD_HEALTH_PORT",
                kind: .integer(\.healthPort)),
            ScalarField(
                key: "metricsEnabled", options: ["--metrics-enabled"], environment: "TABBYD_METRICS_ENABLED",
                kind: .boolean(\.metricsEnabled)),
            ScalarField(
                key: "metricsHost", options: ["--metrics-host"], environment: "TABBYD_METRICS_HOST",
                kind: .string(\.metricsHost)),
            ScalarField(
                key: "metricsPort", options: ["--metrics-port"], environment: "TABBYD_METRICS_PORT",
                kind: .integer(\.metricsPort)),
            ScalarField(
                key: "metricsFelixNames", options: ["--metrics-felix-names"],
                environment: "TABBYD_METRICS_FELIX_NAMES", kind: .boolean(\.metricsFelixNames)),
            ScalarField(
                key: "logFormat", options: ["--log-format"], environment: "TABBYD_LOG_FORMAT",
                kind: .string(\.logFormat)),
            ScalarField(
                key: "logLevel", options: ["--log-level"], environment: "TABBYD_LOG_LEVEL",
                kind: .string(\.logLevel)),
            ScalarField(
                key: "mtuFile", options: ["--mtu-file"], environment: "TABBYD_MTU_FILE",
                kind: .string(\.mtuFile)),
        ]
    }

    /// Sets this field in `layer` from text written on the command line or in the environment.
    func set(_ text: String, in layer: inout SettingsLayer, source: ConfigurationSource) throws(ConfigurationError) {
        switch kind {
        case .string(let path):
            layer[keyPath: path] = Setting(value: text, source: source)
        case .integer(let path):
            guard let value = Int(text.trimmingSpaces()) else {
                throw ConfigurationError(source: source, field: key, reason: "expected an integer, got \"\(text)\"")
            }
            layer[keyPath: path] = Setting(value: value, source: source)
        case .boolean(let path):
            guard let value = Self.boolean(text) else {
                throw ConfigurationError(source: source, field: key, reason: "expected true or false, got \"\(text)\"")
            }
            layer[keyPath: path] = Setting(value: value, source: source)
        }
    }

    /// Sets this field in `layer` from a value of the configuration file, decoded strictly by its type.
    func set(
        _ node: ManifestNode, in layer: inout SettingsLayer, file: String, keyLine: Int?
    ) throws(ConfigurationError) {
        let source = ConfigurationSource.file(file, line: node.location?.line ?? keyLine)
        do {
            switch kind {
            case .string(let path):
                layer[keyPath: path] = Setting(
                    value: try ManifestDecoder.decode(String.self, from: node), source: source)
            case .integer(let path):
                layer[keyPath: path] = Setting(value: try ManifestDecoder.decode(Int.self, from: node), source: source)
            case .boolean(let path):
                layer[keyPath: path] = Setting(value: try ManifestDecoder.decode(Bool.self, from: node), source: source)
            }
        } catch {
            throw ConfigurationError(source: source, field: key, reason: error.reason)
        }
    }

    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` in any case, as environment variables are written.
    static func boolean(_ text: String) -> Bool? {
        switch text.trimmingSpaces().lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off": false
        default: nil
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}
