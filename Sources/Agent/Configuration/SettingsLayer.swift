import CalicoAPI
import Datastore

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
    /// The datastore settings calico-node and calicoctl share (`datastoreType`, `etcdEndpoints`, ...).
    var datastoreSettings: [DatastoreSetting: Setting<String>] = [:]
    var nodeIP: Setting<String>?
    var nodeIPv6: Setting<String>?
    var ipAutodetectionMethod: Setting<String>?
    var ip6AutodetectionMethod: Setting<String>?
    var noDefaultPools: Setting<Bool>?
    var ipv4PoolCIDR: Setting<String>?
    var ipv4PoolBlockSize: Setting<Int>?
    var ipv4PoolIPIP: Setting<String>?
    var ipv4PoolVXLAN: Setting<String>?
    var ipv4PoolNATOutgoing: Setting<Bool>?
    var ipv4PoolNodeSelector: Setting<String>?
    var ipv4PoolDisableBGPExport: Setting<Bool>?
    var ipv6PoolCIDR: Setting<String>?
    var ipv6PoolBlockSize: Setting<Int>?
    var ipv6PoolVXLAN: Setting<String>?
    var ipv6PoolNATOutgoing: Setting<Bool>?
    var ipv6PoolNodeSelector: Setting<String>?
    var ipv6PoolDisableBGPExport: Setting<Bool>?
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
    var networkingBackend: Setting<String>?
    var birdPath: Setting<String>?
    var birdConfigFile: Setting<String>?
    var birdSocket: Setting<String>?
    var birdPidFile: Setting<String>?
    var bgpSecretsDirectory: Setting<String>?
    var routerID: Setting<String>?
    /// Felix parameters by their canonical names, as parsed manifest values.
    var felix: [String: Setting<ManifestNode>] = [:]

    /// `self` with every value `higher` sets replacing this layer's.
    func overlaid(by higher: SettingsLayer) -> SettingsLayer {
        var result = self
        result.nodeName = higher.nodeName ?? nodeName
        result.datastore = higher.datastore ?? datastore
        result.datastoreSettings.merge(higher.datastoreSettings) { _, new in new }
        result.nodeIP = higher.nodeIP ?? nodeIP
        result.nodeIPv6 = higher.nodeIPv6 ?? nodeIPv6
        result.ipAutodetectionMethod = higher.ipAutodetectionMethod ?? ipAutodetectionMethod
        result.ip6AutodetectionMethod = higher.ip6AutodetectionMethod ?? ip6AutodetectionMethod
        result.noDefaultPools = higher.noDefaultPools ?? noDefaultPools
        result.ipv4PoolCIDR = higher.ipv4PoolCIDR ?? ipv4PoolCIDR
        result.ipv4PoolBlockSize = higher.ipv4PoolBlockSize ?? ipv4PoolBlockSize
        result.ipv4PoolIPIP = higher.ipv4PoolIPIP ?? ipv4PoolIPIP
        result.ipv4PoolVXLAN = higher.ipv4PoolVXLAN ?? ipv4PoolVXLAN
        result.ipv4PoolNATOutgoing = higher.ipv4PoolNATOutgoing ?? ipv4PoolNATOutgoing
        result.ipv4PoolNodeSelector = higher.ipv4PoolNodeSelector ?? ipv4PoolNodeSelector
        result.ipv4PoolDisableBGPExport = higher.ipv4PoolDisableBGPExport ?? ipv4PoolDisableBGPExport
        result.ipv6PoolCIDR = higher.ipv6PoolCIDR ?? ipv6PoolCIDR
        result.ipv6PoolBlockSize = higher.ipv6PoolBlockSize ?? ipv6PoolBlockSize
        result.ipv6PoolVXLAN = higher.ipv6PoolVXLAN ?? ipv6PoolVXLAN
        result.ipv6PoolNATOutgoing = higher.ipv6PoolNATOutgoing ?? ipv6PoolNATOutgoing
        result.ipv6PoolNodeSelector = higher.ipv6PoolNodeSelector ?? ipv6PoolNodeSelector
        result.ipv6PoolDisableBGPExport = higher.ipv6PoolDisableBGPExport ?? ipv6PoolDisableBGPExport
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
        result.networkingBackend = higher.networkingBackend ?? networkingBackend
        result.birdPath = higher.birdPath ?? birdPath
        result.birdConfigFile = higher.birdConfigFile ?? birdConfigFile
        result.birdSocket = higher.birdSocket ?? birdSocket
        result.birdPidFile = higher.birdPidFile ?? birdPidFile
        result.bgpSecretsDirectory = higher.bgpSecretsDirectory ?? bgpSecretsDirectory
        result.routerID = higher.routerID ?? routerID
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
        /// One of the datastore settings (`datastoreType`, `etcdEndpoints`, ...).
        case datastore(DatastoreSetting)
    }

    var key: String
    var options: [String]
    var environment: String
    var kind: Kind
    /// calico-node's name for the same setting (`IP`, `CALICO_IPV4POOL_CIDR`), read from the environment too,
    /// so that a calico-node environment carries over.
    var calicoEnvironment: String? = nil

    /// A secret (the etcd password): its value is never repeated in an error.
    var isSecret: Bool {
        if case .datastore(let setting) = kind { return setting.isSecret }
        return false
    }

    /// Every scalar field (computed: key paths are not Sendable, so this cannot be a stored constant).
    static var all: [ScalarField] {
        [
            ScalarField(
                key: "nodeName", options: ["--node", "--node-name"], environment: "TABBYD_NODE_NAME",
                kind: .string(\.nodeName)),
            ScalarField(
                key: "datastore", options: ["--datastore"], environment: "TABBYD_DATASTORE",
                kind: .string(\.datastore)),
        ] + datastoreFields + [
            ScalarField(
                key: "nodeIP", options: ["--node-ip"], environment: "TABBYD_NODE_IP", kind: .string(\.nodeIP),
                calicoEnvironment: "IP"),
            ScalarField(
                key: "nodeIPv6", options: ["--node-ip6"], environment: "TABBYD_NODE_IP6", kind: .string(\.nodeIPv6),
                calicoEnvironment: "IP6"),
            ScalarField(
                key: "ipAutodetectionMethod", options: ["--ip-autodetection-method"],
                environment: "TABBYD_IP_AUTODETECTION_METHOD", kind: .string(\.ipAutodetectionMethod),
                calicoEnvironment: "IP_AUTODETECTION_METHOD"),
            ScalarField(
                key: "ip6AutodetectionMethod", options: ["--ip6-autodetection-method"],
                environment: "TABBYD_IP6_AUTODETECTION_METHOD", kind: .string(\.ip6AutodetectionMethod),
                calicoEnvironment: "IP6_AUTODETECTION_METHOD"),
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
        ] + bgpFields + defaultPoolFields
    }

    /// The datastore settings: file key `etcdEndpoints`, option `--etcd-endpoints`, environment
    /// `TABBYD_ETCD_ENDPOINTS` and calico-node's `ETCD_ENDPOINTS`; likewise for the others.
    static var datastoreFields: [ScalarField] {
        DatastoreSetting.allCases.map { setting in
            let option = setting.environmentVariable.lowercased().split(separator: "_").joined(separator: "-")
            return ScalarField(
                key: setting.rawValue, options: ["--" + option], environment: "TABBYD_" + setting.environmentVariable,
                kind: .datastore(setting), calicoEnvironment: setting.environmentVariable)
        }
    }

    /// The BGP settings: the backend as calico-node reads it (`CALICO_NETWORKING_BACKEND`), BIRD's files, and the
    /// router id (`CALICO_ROUTER_ID`).
    static var bgpFields: [ScalarField] {
        [
            ScalarField(
                key: "networkingBackend", options: ["--networking-backend"], environment: "TABBYD_NETWORKING_BACKEND",
                kind: .string(\.networkingBackend), calicoEnvironment: "CALICO_NETWORKING_BACKEND"),
            ScalarField(
                key: "birdPath", options: ["--bird-path"], environment: "TABBYD_BIRD_PATH", kind: .string(\.birdPath)),
            ScalarField(
                key: "birdConfigFile", options: ["--bird-config-file"], environment: "TABBYD_BIRD_CONFIG_FILE",
                kind: .string(\.birdConfigFile)),
            ScalarField(
                key: "birdSocket", options: ["--bird-socket"], environment: "TABBYD_BIRD_SOCKET",
                kind: .string(\.birdSocket)),
            ScalarField(
                key: "birdPidFile", options: ["--bird-pid-file"], environment: "TABBYD_BIRD_PID_FILE",
                kind: .string(\.birdPidFile)),
            ScalarField(
                key: "bgpSecretsDirectory", options: ["--bgp-secrets-directory"],
                environment: "TABBYD_BGP_SECRETS_DIRECTORY", kind: .string(\.bgpSecretsDirectory)),
            ScalarField(
                key: "routerID", options: ["--router-id"], environment: "TABBYD_ROUTER_ID", kind: .string(\.routerID),
                calicoEnvironment: "CALICO_ROUTER_ID"),
        ]
    }

    /// The default-pool settings: file key `ipv4PoolCIDR`, option `--ipv4-pool-cidr`, environment
    /// `TABBYD_IPV4_POOL_CIDR` and calico-node's `CALICO_IPV4POOL_CIDR`; likewise for the others.
    static var defaultPoolFields: [ScalarField] {
        func field(_ key: String, _ option: String, _ calico: String, _ kind: Kind) -> ScalarField {
            ScalarField(
                key: key, options: ["--" + option],
                environment: "TABBYD_" + option.uppercased().split(separator: "-").joined(separator: "_"), kind: kind,
                calicoEnvironment: calico)
        }
        return [
            field("noDefaultPools", "no-default-pools", "NO_DEFAULT_POOLS", .boolean(\.noDefaultPools)),
            field("ipv4PoolCIDR", "ipv4-pool-cidr", "CALICO_IPV4POOL_CIDR", .string(\.ipv4PoolCIDR)),
            field(
                "ipv4PoolBlockSize", "ipv4-pool-block-size", "CALICO_IPV4POOL_BLOCK_SIZE", .integer(\.ipv4PoolBlockSize)
            ),
            field("ipv4PoolIPIP", "ipv4-pool-ipip", "CALICO_IPV4POOL_IPIP", .string(\.ipv4PoolIPIP)),
            field("ipv4PoolVXLAN", "ipv4-pool-vxlan", "CALICO_IPV4POOL_VXLAN", .string(\.ipv4PoolVXLAN)),
            field(
                "ipv4PoolNATOutgoing", "ipv4-pool-nat-outgoing", "CALICO_IPV4POOL_NAT_OUTGOING",
                .boolean(\.ipv4PoolNATOutgoing)),
            field(
                "ipv4PoolNodeSelector", "ipv4-pool-node-selector", "CALICO_IPV4POOL_NODE_SELECTOR",
                .string(\.ipv4PoolNodeSelector)),
            field(
                "ipv4PoolDisableBGPExport", "ipv4-pool-disable-bgp-export", "CALICO_IPV4POOL_DISABLE_BGP_EXPORT",
                .boolean(\.ipv4PoolDisableBGPExport)),
            field("ipv6PoolCIDR", "ipv6-pool-cidr", "CALICO_IPV6POOL_CIDR", .string(\.ipv6PoolCIDR)),
            field(
                "ipv6PoolBlockSize", "ipv6-pool-block-size", "CALICO_IPV6POOL_BLOCK_SIZE", .integer(\.ipv6PoolBlockSize)
            ),
            field("ipv6PoolVXLAN", "ipv6-pool-vxlan", "CALICO_IPV6POOL_VXLAN", .string(\.ipv6PoolVXLAN)),
            field(
                "ipv6PoolNATOutgoing", "ipv6-pool-nat-outgoing", "CALICO_IPV6POOL_NAT_OUTGOING",
                .boolean(\.ipv6PoolNATOutgoing)),
            field(
                "ipv6PoolNodeSelector", "ipv6-pool-node-selector", "CALICO_IPV6POOL_NODE_SELECTOR",
                .string(\.ipv6PoolNodeSelector)),
            field(
                "ipv6PoolDisableBGPExport", "ipv6-pool-disable-bgp-export", "CALICO_IPV6POOL_DISABLE_BGP_EXPORT",
                .boolean(\.ipv6PoolDisableBGPExport)),
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
        case .datastore(let setting):
            layer.datastoreSettings[setting] = Setting(value: text, source: source)
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
            case .datastore(let setting):
                layer.datastoreSettings[setting] = Setting(
                    value: try ManifestDecoder.decode(String.self, from: node), source: source)
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
