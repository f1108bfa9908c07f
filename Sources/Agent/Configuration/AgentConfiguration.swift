import CalicoAPI
import Datastore
import Glibc
import NetworkAddress

/// How tabbyd runs on this node: from defaults, the YAML file (`/etc/tabby/tabbyd.yaml` or `--config`),
/// `TABBYD_*` environment variables and command-line options, each winning over the ones before it.
///
/// ``load(arguments:environment:fileReader:)`` is pure apart from `fileReader`, so a reload (SIGHUP) calls it
/// again with the same arguments and environment, and a bad file is rejected while the running configuration
/// stays in force.
public struct AgentConfiguration: Sendable, Equatable {
    public static let defaultConfigFile = "/etc/tabby/tabbyd.yaml"
    public static let defaultDatastore = "/var/lib/tabby/datastore"
    public static let defaultStatusSocket = "/run/tabby/tabbyd.sock"
    public static let defaultMTUFile = "/var/lib/calico/mtu"

    /// The configuration file that was read, or nil when there was none (the default path may be absent).
    public var configFile: String?
    /// The Calico Node this agent is (required).
    public var nodeName: String
    /// The file datastore's directory.
    public var datastore: String = defaultDatastore
    /// The datastore the agent uses: the file datastore in ``datastore`` (the default), or etcd v3
    /// (`datastoreType: etcdv3` with `etcdEndpoints`, ...). Its ``DatastoreConnection/summary`` names it in logs
    /// and the status without the password.
    public var datastoreConnection: DatastoreConnection = .file(directory: defaultDatastore)
    /// This node's IPv4 address for the Node resource (calico-node's `IP`): with its subnet, bare (the subnet
    /// of the interface holding it), or autodetected by ``ipAutodetectionMethod``.
    public var nodeIP: NodeAddressSetting = .autodetect
    /// This node's IPv6 address (calico-node's `IP6`); `none` (the default) registers no IPv6 address.
    public var nodeIPv6: NodeAddressSetting = .none
    /// How an autodetected IPv4 address is found (calico-node's `IP_AUTODETECTION_METHOD`).
    public var ipAutodetectionMethod: AutodetectionMethod = .firstFound
    /// How an autodetected IPv6 address is found (calico-node's `IP6_AUTODETECTION_METHOD`).
    public var ip6AutodetectionMethod: AutodetectionMethod = .firstFound
    /// The IPPools created on the first start when there are none (calico-node's `CALICO_IPV4POOL_*`,
    /// `CALICO_IPV6POOL_*`, `NO_DEFAULT_POOLS`).
    public var defaultPools = DefaultPoolSettings()
    /// Labels for this node's Node resource.
    public var nodeLabels: [String: String] = [:]
    /// The Unix socket of the status server.
    public var statusSocket: String = defaultStatusSocket
    /// Serve `/liveness` and `/readiness` over TCP too (Felix's `healthEnabled`, default false).
    public var healthEnabled = false
    public var healthHost = "localhost"
    public var healthPort = 9099
    /// Serve `/metrics` over TCP (Felix's `prometheusMetricsEnabled`, default false).
    public var metricsEnabled = false
    /// The address to serve metrics on; empty means every address (Felix's `prometheusMetricsHost`).
    public var metricsHost = ""
    public var metricsPort = 9091
    /// Also expose each metric that has a Felix equivalent under Felix's name (`felix_cluster_num_hosts` beside
    /// `tabby_cluster_num_hosts`), so that dashboards and alerts written for Felix work unchanged.
    public var metricsFelixNames = false
    /// Log line format when not under journald.
    public var logFormat: LogFormat = .text
    public var logLevel: LogLevel = .info
    /// Where the pod MTU is written for the CNI plugin.
    public var mtuFile: String = defaultMTUFile
    /// BGP: the networking backend (`none`, or `bird`: tabbyd supervises BIRD) and BIRD's files.
    public var bgp = BGPSettings()
    /// FelixConfiguration parameters set locally, by name, as text (`"vxlanMTU": "1400"`). They win over the
    /// datastore's `default` and `node.<name>` FelixConfiguration (see ``effectiveFelixConfiguration(default:node:)``).
    public var felixOverrides: [String: String] = [:]
    /// The same parameters, decoded and validated.
    public var felix = FelixConfigurationSpec()

    public init(nodeName: String) {
        self.nodeName = nodeName
    }

    /// Reads the configuration.
    ///
    /// - Parameters:
    ///   - arguments: the command line without the program name (`CommandLine.arguments.dropFirst()`).
    ///   - environment: the process environment; `TABBYD_*` variables are read, any other `TABBYD_` name is an
    ///     error.
    ///   - fileReader: returns a file's text, or nil when it does not exist; throws when it cannot be read.
    ///     The file is `--config`, else `$TABBYD_CONFIG`, else ``defaultConfigFile`` (which may be absent).
    /// - Throws: the first problem found, naming where it was written, the field and the reason.
    public static func load(
        arguments: [String], environment: [String: String],
        fileReader: (String) throws -> String? = AgentConfiguration.readFile
    ) throws(ConfigurationError) -> AgentConfiguration {
        let (argumentLayer, argumentConfig) = try ArgumentReader.read(arguments)
        let (environmentLayer, environmentConfig) = try EnvironmentReader.read(environment)

        var fileLayer = SettingsLayer()
        let chosen = argumentConfig ?? environmentConfig
        let path = chosen?.value ?? defaultConfigFile
        var configFile: String?
        if path.isEmpty {
            throw ConfigurationError(source: chosen?.source, field: "config", reason: "the file name is empty")
        }
        let text: String?
        do {
            text = try fileReader(path)
        } catch {
            throw ConfigurationError(source: .file(path, line: nil), field: "", reason: "cannot read: \(error)")
        }
        if let text {
            fileLayer = try FileReader.read(text, path: path)
            configFile = path
        } else if let chosen {
            throw ConfigurationError(source: chosen.source, field: "config", reason: "\(path) does not exist")
        }

        let merged = fileLayer.overlaid(by: environmentLayer).overlaid(by: argumentLayer)
        var configuration = try validated(merged)
        configuration.configFile = configFile
        return configuration
    }

    /// Whether the arguments ask for help (`-h`, `--help`); the executable prints ``usage`` then.
    public static func wantsHelp(_ arguments: [String]) -> Bool {
        arguments.contains("--help") || arguments.contains("-h")
    }

    /// The options, for `tabbyd --help`.
    public static let usage = """
        USAGE: tabbyd --node NAME [--datastore DIR | --datastore-type etcdv3 --etcd-endpoints URLS] [options]

        Settings come from defaults, then the file (--config, $TABBYD_CONFIG, else \(defaultConfigFile)),
        then TABBYD_* environment variables, then these options; later ones win.

        OPTIONS (environment variable; file key):
          --node NAME               the Calico Node this agent is (TABBYD_NODE_NAME; nodeName)
          --datastore DIR           the datastore directory, default \(defaultDatastore) (TABBYD_DATASTORE; datastore)
          --datastore-type TYPE     file (the default: the directory above) or etcdv3 (TABBYD_DATASTORE_TYPE or
                                    DATASTORE_TYPE; datastoreType)
          --etcd-endpoints URLS     etcd's client URLs, comma-separated: http://192.0.2.1:2379,http://192.0.2.2:2379
                                    (TABBYD_ETCD_ENDPOINTS or ETCD_ENDPOINTS; etcdEndpoints)
          --etcd-key-file PATH      TLS: the client's private key, --etcd-cert-file PATH its certificate,
                                    --etcd-ca-cert-file PATH the CA of the members' certificates (TABBYD_ETCD_KEY_FILE
                                    or ETCD_KEY_FILE; etcdKeyFile; and so on)
          --etcd-username NAME      etcd authentication, with --etcd-password PASSWORD (prefer ETCD_PASSWORD or
                                    the file: an argument is visible to every user) (TABBYD_ETCD_USERNAME or
                                    ETCD_USERNAME; etcdUsername; and so on)
          --config FILE             the YAML configuration file (TABBYD_CONFIG)
          --node-ip ADDRESS         this node's IPv4 address, with its subnet (192.0.2.10/24) or bare (the
                                    subnet of the interface holding it), or autodetect (the default)
                                    (TABBYD_NODE_IP or IP; nodeIP)
          --node-ip6 ADDRESS        this node's IPv6 address likewise, autodetect, or none (the default)
                                    (TABBYD_NODE_IP6 or IP6; nodeIPv6)
          --ip-autodetection-method METHOD
                                    first-found (default), interface=REGEX[,REGEX], skip-interface=REGEX[,..],
                                    can-reach=ADDRESS or cidr=CIDR[,CIDR] (TABBYD_IP_AUTODETECTION_METHOD or
                                    IP_AUTODETECTION_METHOD; ipAutodetectionMethod); --ip6-autodetection-method
                                    likewise for IPv6
          --no-default-pools [BOOL] create no IPPool on the first start (TABBYD_NO_DEFAULT_POOLS or
                                    NO_DEFAULT_POOLS; noDefaultPools)
          --ipv4-pool-cidr CIDR     the default IPv4 pool, default 192.168.0.0/16, or none; likewise
                                    --ipv4-pool-block-size (26), --ipv4-pool-ipip, --ipv4-pool-vxlan
                                    (Always, CrossSubnet, Never), --ipv4-pool-nat-outgoing (true),
                                    --ipv4-pool-node-selector, --ipv4-pool-disable-bgp-export, and --ipv6-pool-*
                                    (CIDR default: a random ULA /48, block size 122) (TABBYD_IPV4_POOL_CIDR or
                                    CALICO_IPV4POOL_CIDR; ipv4PoolCIDR; and so on)
          --node-label KEY=VALUE    a Node label, repeatable (TABBYD_NODE_LABELS=k=v,k2=v2; nodeLabels)
          --status-socket PATH      default \(defaultStatusSocket) (TABBYD_STATUS_SOCKET; statusSocket)
          --health-enabled [BOOL]   serve /liveness and /readiness over TCP (TABBYD_HEALTH_ENABLED; healthEnabled)
          --health-host HOST        default localhost (TABBYD_HEALTH_HOST; healthHost)
          --health-port PORT        default 9099 (TABBYD_HEALTH_PORT; healthPort)
          --metrics-enabled [BOOL]  serve /metrics over TCP (TABBYD_METRICS_ENABLED; metricsEnabled)
          --metrics-host HOST       default: every address (TABBYD_METRICS_HOST; metricsHost)
          --metrics-port PORT       default 9091 (TABBYD_METRICS_PORT; metricsPort)
          --metrics-felix-names [BOOL]
                                    also expose metrics under Felix's names, felix_* beside tabby_*
                                    (TABBYD_METRICS_FELIX_NAMES; metricsFelixNames)
          --log-format text|json    (TABBYD_LOG_FORMAT; logFormat)
          --log-level LEVEL         debug, info, warning or error (TABBYD_LOG_LEVEL; logLevel)
          --mtu-file PATH           the pod MTU for the CNI plugin, default \(defaultMTUFile) (TABBYD_MTU_FILE; mtuFile)
          --networking-backend none|bird
                                    bird: render BIRD's configuration from the datastore and supervise BIRD, which
                                    spreads routes by BGP (TABBYD_NETWORKING_BACKEND or CALICO_NETWORKING_BACKEND;
                                    networkingBackend); default none
          --bird-path PATH          the bird executable, default bird on PATH (TABBYD_BIRD_PATH; birdPath)
          --bird-config-file PATH   default \(BGPSettings.defaultConfigFile) (TABBYD_BIRD_CONFIG_FILE; birdConfigFile)
          --bird-socket PATH        BIRD's control socket, default \(BGPSettings.defaultControlSocket)
                                    (TABBYD_BIRD_SOCKET; birdSocket)
          --bird-pid-file PATH      default \(BGPSettings.defaultPidFile) (TABBYD_BIRD_PID_FILE; birdPidFile)
          --bgp-secrets-directory DIR
                                    BGP passwords' secret references as DIR/NAME/KEY files, default
                                    \(BGPSettings.defaultSecretsDirectory) (TABBYD_BGP_SECRETS_DIRECTORY; bgpSecretsDirectory)
          --router-id ADDRESS       the BGP router id of a node without an IPv4 address (TABBYD_ROUTER_ID or
                                    CALICO_ROUTER_ID; routerID)
          --felix NAME=VALUE        a FelixConfiguration parameter, repeatable (TABBYD_FELIX_NAME; felix)
        """

    /// Reads a file as UTF-8 text; nil when it does not exist.
    public static func readFile(_ path: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw SystemCallError("open \(path)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("read \(path)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SystemCallError("read \(path)", code: 0, detail: "the file is not UTF-8 text")
        }
        return text
    }

    /// The FelixConfiguration this node runs with: the datastore's `default`, then its `node.<name>`, then the
    /// local overrides, each set field replacing the one before (Felix's order of precedence).
    public func effectiveFelixConfiguration(default global: FelixConfigurationSpec?, node: FelixConfigurationSpec?)
        -> FelixConfigurationSpec
    {
        FelixOverrides.layered([global, node, felix].compactMap { $0 })
    }

    /// The names of the fields that differ from `other` (`healthPort`, `nodeLabels`, `felix.vxlanMTU`), for a
    /// reload to log and to decide what to restart.
    public func changedFields(from other: AgentConfiguration) -> [String] {
        var changed: [String] = []
        func check<T: Equatable>(_ name: String, _ keyPath: KeyPath<AgentConfiguration, T>) {
            if self[keyPath: keyPath] != other[keyPath: keyPath] { changed.append(name) }
        }
        check("configFile", \.configFile)
        check("nodeName", \.nodeName)
        check("datastore", \.datastoreConnection)
        check("nodeIP", \.nodeIP)
        check("nodeIPv6", \.nodeIPv6)
        check("ipAutodetectionMethod", \.ipAutodetectionMethod)
        check("ip6AutodetectionMethod", \.ip6AutodetectionMethod)
        check("defaultPools", \.defaultPools)
        check("nodeLabels", \.nodeLabels)
        check("statusSocket", \.statusSocket)
        check("healthEnabled", \.healthEnabled)
        check("healthHost", \.healthHost)
        check("healthPort", \.healthPort)
        check("metricsEnabled", \.metricsEnabled)
        check("metricsHost", \.metricsHost)
        check("metricsPort", \.metricsPort)
        check("metricsFelixNames", \.metricsFelixNames)
        check("logFormat", \.logFormat)
        check("logLevel", \.logLevel)
        check("mtuFile", \.mtuFile)
        check("bgp", \.bgp)
        for name in Set(felixOverrides.keys).union(other.felixOverrides.keys).sorted()
        where felixOverrides[name] != other.felixOverrides[name] {
            changed.append("felix.\(name)")
        }
        return changed
    }
}
