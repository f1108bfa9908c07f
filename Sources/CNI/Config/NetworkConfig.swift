import NetworkAddress

/// The plugin configuration a runtime passes on stdin: the spec's fields (`cniVersion`, `name`, `type`, `ipam`,
/// `dns`, `prevResult`, `runtimeConfig`, `cni.dev/valid-attachments`) and Calico's keys. Keys Tabby does not
/// know are ignored, as the spec allows (a conflist written for Calico carries `policy`, `kubernetes`, ...).
///
/// Decoding is pure: the node name and the MTU, which may come from files, are resolved afterwards
/// (``NodeNameResolution``, ``PodMTU``).
public struct NetworkConfig: Sendable, Equatable {
    public var cniVersion: SpecVersion
    /// The network's name: the first part of every IPAM handle (`<name>.<containerID>`).
    public var name: String
    public var type: String
    public var ipam: IPAMConfig
    /// `nodename`: this node's Calico name; else `nodename_file`, else the host name.
    public var nodeName: String?
    /// `nodename_file` (Calico's default `/var/lib/calico/nodename`, read when it exists).
    public var nodeNameFile: String?
    /// `nodename_file_optional`: Calico's default is false (the file must exist); Tabby's is true unless
    /// `nodename_file` is given, since tabbyd writes no such file.
    public var nodeNameFileOptional: Bool
    /// `mtu`: the veth MTU; else the pod-MTU file tabbyd writes (`mtu_file`), else 1500.
    public var mtu: Int?
    public var mtuFile: String
    /// `require_mtu_file`: fail when the MTU file is missing (and `mtu` is not set), as Calico does.
    public var requireMTUFile: Bool
    public var logLevel: LogLevel
    /// `log_file_path`: the log lines are appended there too.
    public var logFilePath: String?
    public var datastore: DatastoreConfig
    /// `container_settings.allow_ip_forwarding`: leave IP forwarding on inside the container (Calico's key).
    public var allowIPForwarding: Bool
    /// `dns`: copied into the result.
    public var dns: CNIResult.DNS
    /// The result of the plugins before this one (ADD in a chain), or of the whole ADD (DEL, CHECK).
    public var prevResult: CNIResult?
    /// `runtimeConfig.ips` (the `ips` capability): addresses the runtime asks for.
    public var requestedAddresses: [IPAddress]
    /// GC: the attachments the runtime still has (`cni.dev/valid-attachments`).
    public var validAttachments: [Attachment]?
    /// `ipam_lock_file`: the host-wide lock every in-process IPAM call of this node takes (Calico's key and
    /// default), so that parallel ADDs queue for IPAM instead of losing compare-and-swap races on one block.
    public var ipamLockFile: String = NetworkConfig.defaultIPAMLockFile

    public struct Attachment: Sendable, Equatable, Hashable {
        public var containerID: String
        public var interfaceName: String

        public init(containerID: String, interfaceName: String) {
            self.containerID = containerID
            self.interfaceName = interfaceName
        }
    }

    /// The pod-MTU file tabbyd writes by default (Agent's `AgentConfiguration.defaultMTUFile`, Calico's path).
    public static let defaultMTUFile = "/var/lib/calico/mtu"
    /// Calico's node-name file.
    public static let defaultNodeNameFile = "/var/lib/calico/nodename"
    /// Calico's host-wide IPAM lock.
    public static let defaultIPAMLockFile = "/var/run/calico/ipam.lock"
    /// The log level when `log_level` is not set: warnings and errors only, so that a runtime's own output
    /// (podman prints its plugins' stderr) stays clean.
    public static let defaultLogLevel = LogLevel.warning

    /// Decodes stdin. JSON that does not parse and fields of the wrong JSON type are code 6; a missing or
    /// unacceptable value code 7; an unsupported `cniVersion` code 1; a feature Tabby lacks code 2.
    /// `environment` is the plugin's: calicoctl's datastore variables (`DATASTORE_TYPE`, `ETCD_ENDPOINTS`, ...)
    /// apply where the config leaves a datastore key out.
    public static func decode(_ bytes: [UInt8], environment: [String: String] = [:]) throws(CNIError)
        -> NetworkConfig
    {
        let value = try JSONValue.parse(bytes, what: "the network config on stdin")
        return try decode(value, environment: environment)
    }

    public static func decode(_ value: JSONValue, environment: [String: String] = [:]) throws(CNIError)
        -> NetworkConfig
    {
        let root = JSONField(value, path: "", subject: "network config", invalidCode: .invalidNetworkConfig)
        let object = try root.object()
        let cniVersion = try SpecVersion.negotiate(try object.required("cniVersion").string())
        let name = try object.required("name").string()
        try checkNetworkName(name, field: object.field("name"))
        let type = try object.required("type").string()
        try IPAMConfig.checkPluginType(type, field: object.field("type"))
        let ipam = try IPAMConfig.decode(try object.required("ipam"))

        let nodeName = try object.optional("nodename")?.string()
        if let nodeName, nodeName.isEmpty { throw object.field("nodename").invalid("is empty") }
        let nodeNameFile = try object.optional("nodename_file")?.string()
        let nodeNameFileOptional = try object.optional("nodename_file_optional")?.bool() ?? (nodeNameFile == nil)

        let mtu = try object.optional("mtu")?.integer()
        if let mtu, mtu != 0 { try PodMTU.check(mtu, field: object.field("mtu")) }
        let mtuFile = try object.optional("mtu_file")?.string() ?? defaultMTUFile

        var logLevel = defaultLogLevel
        if let levelField = try object.optional("log_level") {
            let text = try levelField.string()
            if !text.isEmpty {
                guard let level = LogLevel(calicoName: text) else {
                    throw levelField.invalid("\"\(text)\" is not a log level (debug, info, warning, error)")
                }
                logLevel = level
            }
        }
        let logFilePath = try object.optional("log_file_path")?.string().nonEmpty

        var prevResult: CNIResult?
        if let previous = try object.optional("prevResult") {
            prevResult = try CNIResult.decode(
                JSONField(previous.value, path: "prevResult", subject: "prevResult", invalidCode: .decodingFailure))
        }
        let ipamLockFile = try object.optional("ipam_lock_file")?.string().nonEmpty ?? defaultIPAMLockFile
        var config = NetworkConfig(
            cniVersion: cniVersion, name: name, type: type, ipam: ipam, nodeName: nodeName, nodeNameFile: nodeNameFile,
            nodeNameFileOptional: nodeNameFileOptional, mtu: mtu == 0 ? nil : mtu, mtuFile: mtuFile,
            requireMTUFile: try object.optional("require_mtu_file")?.bool() ?? false, logLevel: logLevel,
            logFilePath: logFilePath, datastore: try DatastoreConfig.decode(object, environment: environment),
            allowIPForwarding: try object.optional("container_settings")?.object().optional("allow_ip_forwarding")?
                .bool() ?? false,
            dns: try object.optional("dns").map { (field) throws(CNIError) in try CNIResult.DNS.decode(field) }
                ?? CNIResult.DNS(),
            prevResult: prevResult, requestedAddresses: try runtimeAddresses(object),
            validAttachments: try attachments(object))
        config.ipamLockFile = ipamLockFile
        return config
    }

    /// The spec: a letter or digit, then letters, digits, `_`, `.` or `-`.
    static func checkNetworkName(_ name: String, field: JSONField) throws(CNIError) {
        guard let first = name.unicodeScalars.first, first.isASCIIAlphanumeric else {
            throw field.invalid("\"\(name)\" must start with a letter or digit")
        }
        guard name.unicodeScalars.allSatisfy({ $0.isASCIIAlphanumeric || "_.-".unicodeScalars.contains($0) }) else {
            throw field.invalid("\"\(name)\" may only hold letters, digits, _ . -")
        }
    }

    /// `runtimeConfig.ips`: CIDRs (`192.0.2.10/24`, the convention's form) or bare addresses; only the address
    /// counts, since Calico's workloads always get a /32 or /128. Other `runtimeConfig` keys are left alone.
    static func runtimeAddresses(_ object: JSONObjectField) throws(CNIError) -> [IPAddress] {
        guard let runtime = try object.optional("runtimeConfig")?.object(), let ips = try runtime.optional("ips")
        else { return [] }
        var addresses: [IPAddress] = []
        for item in try ips.array() {
            let text = try item.string()
            let addressText = text.split(separator: "/", maxSplits: 1).first.map(String.init) ?? text
            guard let address = IPAddress(addressText), text.contains("/") ? CIDR(text) != nil : true else {
                throw item.invalid("\"\(text)\" is not an IP address or CIDR")
            }
            addresses.append(address)
        }
        return addresses
    }

    /// `cni.dev/valid-attachments` (libcni also sends the same list as `cni.dev/attachments`).
    static func attachments(_ object: JSONObjectField) throws(CNIError) -> [Attachment]? {
        var found = try object.optional("cni.dev/valid-attachments")
        if found == nil { found = try object.optional("cni.dev/attachments") }
        guard let list = found else { return nil }
        return try list.array().map { (item) throws(CNIError) in
            let entry = try item.object()
            return Attachment(
                containerID: try entry.required("containerID").string(),
                interfaceName: try entry.optional("ifname")?.string() ?? "")
        }
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        isASCII && (("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self))
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
