/// One datastore setting, with the names calicoctl (`CalicoAPIConfig`), calico-node (its environment) and the
/// Calico CNI plugin (its network configuration) give it. tabbyd, tabbyctl and the CNI plugins read them from
/// their own sources and resolve them with ``DatastoreConnection/resolve(_:fileDirectory:)``.
public enum DatastoreSetting: String, Sendable, CaseIterable, CustomStringConvertible {
    case datastoreType
    case etcdEndpoints
    case etcdKeyFile
    case etcdCertFile
    case etcdCACertFile
    case etcdUsername
    case etcdPassword

    /// The field of calicoctl's `CalicoAPIConfig` spec (and the key of tabbyd's configuration file).
    public var description: String { rawValue }

    /// The environment variable calicoctl and calico-node read (`DATASTORE_TYPE`, `ETCD_ENDPOINTS`, ...).
    public var environmentVariable: String {
        switch self {
        case .datastoreType: "DATASTORE_TYPE"
        case .etcdEndpoints: "ETCD_ENDPOINTS"
        case .etcdKeyFile: "ETCD_KEY_FILE"
        case .etcdCertFile: "ETCD_CERT_FILE"
        case .etcdCACertFile: "ETCD_CA_CERT_FILE"
        case .etcdUsername: "ETCD_USERNAME"
        case .etcdPassword: "ETCD_PASSWORD"
        }
    }

    /// The key of the Calico CNI plugin's network configuration (`datastore_type`, `etcd_endpoints`, ...).
    public var cniKey: String {
        switch self {
        case .datastoreType: "datastore_type"
        case .etcdEndpoints: "etcd_endpoints"
        case .etcdKeyFile: "etcd_key_file"
        case .etcdCertFile: "etcd_cert_file"
        case .etcdCACertFile: "etcd_ca_cert_file"
        case .etcdUsername: "etcd_username"
        case .etcdPassword: "etcd_password"
        }
    }

    /// A secret: its value is never written into an error, a log line or the status.
    public var isSecret: Bool { self == .etcdPassword }
}

/// The datastore settings as written, before they are checked: nil where a source says nothing.
public struct DatastoreSettingsText: Sendable, Equatable {
    public var values: [DatastoreSetting: String]

    public init(_ values: [DatastoreSetting: String] = [:]) {
        self.values = values
    }

    public subscript(setting: DatastoreSetting) -> String? {
        get { values[setting] }
        set { values[setting] = newValue }
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The settings of calicoctl's and calico-node's environment variables; an empty variable counts as unset,
    /// as calico-node reads it.
    public static func environment(_ environment: [String: String]) -> DatastoreSettingsText {
        var text = DatastoreSettingsText()
        for setting in DatastoreSetting.allCases {
            if let value = environment[setting.environmentVariable], !value.isBlank { text[setting] = value }
        }
        return text
    }

    /// `self` with every setting `higher` has replacing this one's.
    public func overlaid(by higher: DatastoreSettingsText) -> DatastoreSettingsText {
        DatastoreSettingsText(values.merging(higher.values) { _, new in new })
    }
}

/// A datastore setting that cannot be used: which one and why. The consumer says where it was written (the
/// variable, the file and field, the option).
public struct DatastoreSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public var setting: DatastoreSetting
    public var reason: String

    public init(_ setting: DatastoreSetting, _ reason: String) {
        self.setting = setting
        self.reason = reason
    }

    public var description: String { "\(setting): \(reason)" }
}

extension DatastoreConnection {
    /// The datastore types a setting may name: Calico's `etcdv3` and Tabby's `file`. (Calico's `kubernetes` is
    /// refused with its own reason.)
    public static let types = ["file", "etcdv3"]

    /// The connection the settings describe: `datastoreType` `file` (the directory `fileDirectory`; the etcd
    /// settings are ignored) or `etcdv3` (with at least one endpoint). Without a `datastoreType` it is `etcdv3`
    /// when `etcdEndpoints` is set, else `file`.
    ///
    /// - Throws: the first unusable setting: an unknown or unsupported type, etcdv3 without endpoints, an
    ///   endpoint that is not an http or https URL, a key without its certificate (or the reverse), a user name
    ///   without a password (or the reverse), an empty file name.
    public static func resolve(_ text: DatastoreSettingsText, fileDirectory: String) throws(DatastoreSettingsError)
        -> DatastoreConnection
    {
        // Without a type, endpoints say etcd (so that `ETCD_ENDPOINTS=...` alone works); nothing says Tabby's
        // file datastore.
        let type = text[.datastoreType]?.trimmed ?? (text[.etcdEndpoints]?.isBlank == false ? "etcdv3" : "file")
        switch type {
        case "file":
            return .file(directory: fileDirectory)
        case "etcdv3":
            return .etcdV3(try EtcdSettings.resolve(text))
        case "kubernetes":
            throw DatastoreSettingsError(
                .datastoreType,
                "\"kubernetes\" is not supported: Tabby keeps Calico's resources in etcd (etcdv3) or in its own "
                    + "file datastore (file)")
        default:
            throw DatastoreSettingsError(
                .datastoreType, "\"\(type)\" is not a datastore type (\(types.joined(separator: ", ")))")
        }
    }

    /// The connection in a few words for logs and errors, without the password: `file /var/lib/tabby/datastore`,
    /// `etcdv3 http://192.0.2.1:2379,http://192.0.2.2:2379`.
    public var summary: String {
        switch self {
        case .file(let directory): "file \(directory)"
        case .etcdV3(let settings): "etcdv3 \(settings.endpoints.joined(separator: ","))"
        }
    }
}

extension EtcdSettings {
    /// The etcd settings of `text` (whatever its `datastoreType`), checked.
    public static func resolve(_ text: DatastoreSettingsText) throws(DatastoreSettingsError) -> EtcdSettings {
        guard let written = text[.etcdEndpoints], !written.isBlank else {
            throw DatastoreSettingsError(.etcdEndpoints, "required for the etcdv3 datastore (like http://127.0.0.1:2379)")
        }
        var settings = EtcdSettings(endpoints: try parseEndpoints(written))
        func file(_ setting: DatastoreSetting) throws(DatastoreSettingsError) -> String? {
            guard let value = text[setting] else { return nil }
            let path = value.trimmed
            if path.isEmpty { throw DatastoreSettingsError(setting, "the file name is empty") }
            if path.utf8.contains(0) { throw DatastoreSettingsError(setting, "must not contain a NUL byte") }
            return path
        }
        settings.keyFile = try file(.etcdKeyFile)
        settings.certFile = try file(.etcdCertFile)
        settings.caCertFile = try file(.etcdCACertFile)
        if settings.keyFile != nil && settings.certFile == nil {
            throw DatastoreSettingsError(.etcdCertFile, "required with a client key file (the key's certificate)")
        }
        if settings.certFile != nil && settings.keyFile == nil {
            throw DatastoreSettingsError(.etcdKeyFile, "required with a client certificate file (the certificate's private key)")
        }
        settings.username = text[.etcdUsername].flatMap { $0.isBlank ? nil : $0.trimmed }
        settings.password = text[.etcdPassword].flatMap { $0.isEmpty ? nil : $0 }
        if settings.username != nil && settings.password == nil {
            throw DatastoreSettingsError(.etcdPassword, "required with a user name")
        }
        if settings.password != nil && settings.username == nil {
            throw DatastoreSettingsError(.etcdUsername, "required with a password")
        }
        return settings
    }

    /// Comma-separated client URLs (`http://192.0.2.1:2379,https://etcd-2:2379`), as `ETCD_ENDPOINTS` holds
    /// them; spaces around each are ignored, a trailing `/` is dropped.
    public static func parseEndpoints(_ text: String) throws(DatastoreSettingsError) -> [String] {
        var endpoints: [String] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let endpoint = String(item).trimmed
            if endpoint.isEmpty {
                throw DatastoreSettingsError(.etcdEndpoints, "an empty endpoint in \"\(text)\" (two commas?)")
            }
            if let problem = endpointProblem(endpoint) {
                throw DatastoreSettingsError(.etcdEndpoints, "\"\(endpoint)\" \(problem)")
            }
            var normalized = endpoint
            while normalized.hasSuffix("/") { normalized.removeLast() }
            if !endpoints.contains(normalized) { endpoints.append(normalized) }
        }
        return endpoints
    }

    /// Why `endpoint` is not an etcd client URL `http[s]://HOST[:PORT][/]`, or nil when it is one.
    static func endpointProblem(_ endpoint: String) -> String? {
        let notURL = "is not an http:// or https:// URL (like http://127.0.0.1:2379)"
        guard let separator = endpoint.range(of: "://") else { return notURL }
        let scheme = endpoint[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return "has the scheme \"\(scheme)\"; etcd's client URLs are http:// or https://"
        }
        var rest = Substring(endpoint[separator.upperBound...])
        while rest.hasSuffix("/") { rest.removeLast() }
        if rest.contains("/") || rest.contains("?") || rest.contains("#") {
            return "has a path; an etcd client URL is http[s]://HOST[:PORT]"
        }
        if rest.contains("@") { return "has user information; set the etcd user name and password settings instead" }
        var host = rest
        var port: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return "has an unclosed [ in its IPv6 address" }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "has text after its IPv6 address" }
                port = after.dropFirst()
            }
            if host.isEmpty || !host.contains(":") { return "has no IPv6 address between [ and ]" }
        } else {
            if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                port = rest[rest.index(after: colon)...]
            }
            if host.isEmpty { return "has no host" }
            if host.contains(":") { return "has an IPv6 address without [ ]" }
            let allowed = host.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "."
                    || $0 == "-" || $0 == "_"
            }
            if !allowed { return "has a host that is not a name or an address" }
        }
        if let port {
            guard let number = Int(port), (1...65535).contains(number), port.allSatisfy(\.isASCII) else {
                return "has the port \"\(port)\"; a port is a number from 1 to 65535"
            }
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate var trimmed: String {
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\n" && $0 != "\r" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\n" && $0 != "\r" })
        else { return "" }
        return String(scalars[first...last])
    }

    fileprivate var isBlank: Bool { trimmed.isEmpty }
}
