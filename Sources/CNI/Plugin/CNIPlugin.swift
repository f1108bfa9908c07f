/// The two plugins Tabby installs.
public enum PluginKind: String, Sendable {
    /// `tabby`: veth, addresses, WorkloadEndpoint.
    case network = "tabby"
    /// `tabby-ipam`: addresses only.
    case ipam = "tabby-ipam"
}

/// What a run prints on stdout and exits with.
public struct PluginOutput: Sendable, Equatable {
    public var stdout: String
    public var exitCode: Int32

    public init(stdout: String, exitCode: Int32) {
        self.stdout = stdout
        self.exitCode = exitCode
    }
}

/// What the plugins take from the machine, so that tests can stand in for it.
public struct PluginHost: Sendable {
    /// A file's text, nil when it does not exist.
    public var readFile: @Sendable (String) throws(CNIError) -> String?
    public var hostName: @Sendable () -> String?
    /// The namespace the host side of the veth goes in; nil is the plugin's own (the node's).
    public var hostNamespacePath: String?

    public init(
        readFile: @escaping @Sendable (String) throws(CNIError) -> String?,
        hostName: @escaping @Sendable () -> String?, hostNamespacePath: String? = nil
    ) {
        self.readFile = readFile
        self.hostName = hostName
        self.hostNamespacePath = hostNamespacePath
    }

    public static let system = PluginHost(
        readFile: { (path) throws(CNIError) in try HostFiles.read(path) }, hostName: { HostFiles.hostName() })
}

/// One plugin invocation, from the environment and stdin to what is printed: the executables call this and
/// nothing else. Every failure comes back as the spec's Error result with exit status 1.
public enum CNIPlugin {
    public static func run(
        _ kind: PluginKind, environment: [String: String], stdin: [UInt8], host: PluginHost = .system
    ) async -> PluginOutput {
        let document = try? JSONValue.parse(stdin, what: "stdin")
        var cniVersion: String?
        if case .string(let text)? = document?["cniVersion"] { cniVersion = text }
        var log = PluginLog.beforeConfig
        log.prefix = kind.rawValue
        do {
            let environment = try CNIEnvironment(environment)
            if environment.command == .version {
                let requested = cniVersion.flatMap(SpecVersion.init).flatMap { $0.isSupported ? $0 : nil }
                return PluginOutput(stdout: VersionResult.json(requested: requested).text + "\n", exitCode: 0)
            }
            // Parsed once: when stdin was not JSON, decoding the bytes again says why.
            let config: NetworkConfig
            if let document {
                config = try NetworkConfig.decode(document, environment: environment.variables)
            } else {
                config = try NetworkConfig.decode(stdin, environment: environment.variables)
            }
            try checkCommand(environment.command, version: config.cniVersion)
            log = PluginLog(level: config.logLevel, prefix: kind.rawValue, filePath: config.logFilePath)
            let node = try NodeNameResolution.resolve(config, readFile: host.readFile, hostName: host.hostName)
            let request = PluginRequest(environment: environment, config: config, stdin: stdin, node: node, log: log)
            log.debug("\(request.subject): node \(node)")
            let result: CNIResult? =
                switch kind {
                case .network: try await NetworkPlugin(request: request, host: host).run()
                case .ipam: try await IPAMPlugin(request: request).run()
                }
            guard let result else { return PluginOutput(stdout: "", exitCode: 0) }
            return PluginOutput(stdout: result.json(version: config.cniVersion).text + "\n", exitCode: 0)
        } catch {
            log.error("\(environment["CNI_COMMAND"] ?? "-") \(environment["CNI_CONTAINERID"] ?? ""): \(error)")
            return PluginOutput(stdout: error.json(cniVersion: cniVersion).text + "\n", exitCode: 1)
        }
    }

    /// CHECK exists from 0.4.0, STATUS and GC from 1.1.0: a config of an older version cannot ask for them.
    static func checkCommand(_ command: CNICommand, version: SpecVersion) throws(CNIError) {
        let needed: SpecVersion? =
            switch command {
            case .check: .v0_4_0
            case .status, .garbageCollect: .v1_1_0
            default: nil
            }
        if let needed, version < needed {
            throw CNIError(
                .incompatibleVersion, "config version does not allow \(command.rawValue)",
                details: "cniVersion \(version) is older than \(needed), which introduced \(command.rawValue)")
        }
    }
}
