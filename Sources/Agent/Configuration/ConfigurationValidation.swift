import CalicoAPI
import Datastore
import NetworkAddress

extension AgentConfiguration {
    /// The merged settings checked field by field; the first problem is reported where it was written.
    static func validated(_ layer: SettingsLayer) throws(ConfigurationError) -> AgentConfiguration {
        guard let name = layer.nodeName else {
            throw ConfigurationError(
                source: nil, field: "nodeName",
                reason: "required: set --node NAME, TABBYD_NODE_NAME or nodeName in the configuration file")
        }
        if let problem = NameSyntax.subdomainProblem(name.value) {
            throw ConfigurationError(source: name.source, field: "nodeName", reason: problem)
        }
        var configuration = AgentConfiguration(nodeName: name.value)

        if let datastore = layer.datastore {
            try nonEmptyPath(datastore, field: "datastore")
            configuration.datastore = datastore.value
        }
        configuration.datastoreConnection = try datastoreConnection(layer, directory: configuration.datastore)
        if let nodeIP = layer.nodeIP {
            configuration.nodeIP = try NodeAddressSetting.parse(
                nodeIP.value, family: .v4, field: "nodeIP", source: nodeIP.source)
        }
        if let nodeIPv6 = layer.nodeIPv6 {
            configuration.nodeIPv6 = try NodeAddressSetting.parse(
                nodeIPv6.value, family: .v6, field: "nodeIPv6", source: nodeIPv6.source)
        }
        if let method = layer.ipAutodetectionMethod {
            configuration.ipAutodetectionMethod = try AutodetectionMethod.parse(
                method.value, family: .v4, field: "ipAutodetectionMethod", source: method.source)
        }
        if let method = layer.ip6AutodetectionMethod {
            configuration.ip6AutodetectionMethod = try AutodetectionMethod.parse(
                method.value, family: .v6, field: "ip6AutodetectionMethod", source: method.source)
        }
        configuration.defaultPools = try DefaultPoolSettings.validated(layer)
        for key in layer.nodeLabels.keys.sorted() {
            let label = layer.nodeLabels[key]!
            if let problem = LabelSyntax.validateKey(key) {
                throw ConfigurationError(source: label.source, field: "nodeLabels.\(key)", reason: problem)
            }
            if let problem = LabelSyntax.validateValue(label.value) {
                throw ConfigurationError(source: label.source, field: "nodeLabels.\(key)", reason: problem)
            }
            configuration.nodeLabels[key] = label.value
        }
        if let socket = layer.statusSocket {
            try nonEmptyPath(socket, field: "statusSocket")
            // sockaddr_un holds 108 bytes with the terminating NUL.
            if socket.value.utf8.count > 107 {
                throw ConfigurationError(
                    source: socket.source, field: "statusSocket",
                    reason: "a Unix socket path is at most 107 bytes (got \(socket.value.utf8.count))")
            }
            configuration.statusSocket = socket.value
        }
        if let enabled = layer.healthEnabled { configuration.healthEnabled = enabled.value }
        if let host = layer.healthHost {
            configuration.healthHost = try hostName(host, field: "healthHost", allowEmpty: false)
        }
        if let port = layer.healthPort { configuration.healthPort = try portNumber(port, field: "healthPort") }
        if let enabled = layer.metricsEnabled { configuration.metricsEnabled = enabled.value }
        if let host = layer.metricsHost {
            configuration.metricsHost = try hostName(host, field: "metricsHost", allowEmpty: true)
        }
        if let port = layer.metricsPort { configuration.metricsPort = try portNumber(port, field: "metricsPort") }
        if let felixNames = layer.metricsFelixNames { configuration.metricsFelixNames = felixNames.value }
        if let format = layer.logFormat {
            guard let value = LogFormat(rawValue: format.value.lowercased()) else {
                throw ConfigurationError(
                    source: format.source, field: "logFormat", reason: "must be text or json (got \"\(format.value)\")")
            }
            configuration.logFormat = value
        }
        if let level = layer.logLevel {
            guard let value = LogLevel(parsing: level.value) else {
                throw ConfigurationError(
                    source: level.source, field: "logLevel",
                    reason: "must be debug, info, warning or error (got \"\(level.value)\")")
            }
            configuration.logLevel = value
        }
        if let mtuFile = layer.mtuFile {
            try nonEmptyPath(mtuFile, field: "mtuFile")
            configuration.mtuFile = mtuFile.value
        }
        configuration.bgp = try bgpSettings(layer)
        configuration.felix = try FelixOverrides.decode(layer.felix)
        configuration.felixOverrides = layer.felix.mapValues { FelixOverrides.text(of: $0.value) }
        return configuration
    }

    /// The datastore settings resolved as calicoctl and calico-node resolve them; an error names where the bad
    /// setting was written (or, for a missing one, where the type was).
    private static func datastoreConnection(_ layer: SettingsLayer, directory: String) throws(ConfigurationError)
        -> DatastoreConnection
    {
        let text = DatastoreSettingsText(layer.datastoreSettings.mapValues(\.value))
        do {
            return try DatastoreConnection.resolve(text, fileDirectory: directory)
        } catch {
            // A missing setting is named where the one that needs it was written.
            let partners: [DatastoreSetting: DatastoreSetting] = [
                .etcdKeyFile: .etcdCertFile, .etcdCertFile: .etcdKeyFile, .etcdUsername: .etcdPassword,
                .etcdPassword: .etcdUsername,
            ]
            let candidates = [error.setting, partners[error.setting], .datastoreType, .etcdEndpoints]
            let source = candidates.lazy.compactMap { $0.flatMap { layer.datastoreSettings[$0]?.source } }.first
            throw ConfigurationError(source: source, field: error.setting.rawValue, reason: error.reason)
        }
    }

    private static func bgpSettings(_ layer: SettingsLayer) throws(ConfigurationError) -> BGPSettings {
        var settings = BGPSettings()
        if let backend = layer.networkingBackend {
            guard let value = NetworkingBackend(parsing: backend.value) else {
                throw ConfigurationError(
                    source: backend.source, field: "networkingBackend",
                    reason: "must be none or bird (got \"\(backend.value)\")")
            }
            settings.backend = value
        }
        let paths: [(Setting<String>?, String, WritableKeyPath<BGPSettings, String>)] = [
            (layer.birdPath, "birdPath", \.birdPath), (layer.birdConfigFile, "birdConfigFile", \.birdConfigFile),
            (layer.birdSocket, "birdSocket", \.birdSocket), (layer.birdPidFile, "birdPidFile", \.birdPidFile),
            (layer.bgpSecretsDirectory, "bgpSecretsDirectory", \.secretsDirectory),
        ]
        for (setting, field, path) in paths {
            guard let setting else { continue }
            try nonEmptyPath(setting, field: field)
            settings[keyPath: path] = setting.value
        }
        if let routerID = layer.routerID {
            let text = routerID.value.trimmingSpaces()
            // calico-node's `hash` (a router id derived from the node name) is not supported: an address only.
            guard IPv4Address(text) != nil else {
                throw ConfigurationError(
                    source: routerID.source, field: "routerID",
                    reason: "must be written as an IPv4 address (got \"\(routerID.value)\")")
            }
            settings.routerID = text
        }
        return settings
    }

    private static func nonEmptyPath(_ setting: Setting<String>, field: String) throws(ConfigurationError) {
        if setting.value.isEmpty {
            throw ConfigurationError(source: setting.source, field: field, reason: "must not be empty")
        }
        if setting.value.utf8.contains(0) {
            throw ConfigurationError(source: setting.source, field: field, reason: "must not contain a NUL byte")
        }
    }

    private static func hostName(_ setting: Setting<String>, field: String, allowEmpty: Bool)
        throws(ConfigurationError) -> String
    {
        let host = setting.value.trimmingSpaces()
        if host.isEmpty && !allowEmpty {
            throw ConfigurationError(source: setting.source, field: field, reason: "must not be empty")
        }
        if host.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "/" }) {
            throw ConfigurationError(
                source: setting.source, field: field, reason: "\"\(setting.value)\" is not a host name or address")
        }
        return host
    }

    private static func portNumber(_ setting: Setting<Int>, field: String) throws(ConfigurationError) -> Int {
        guard (1...65535).contains(setting.value) else {
            throw ConfigurationError(
                source: setting.source, field: field, reason: "must be a port from 1 to 65535 (got \(setting.value))")
        }
        return setting.value
    }
}
