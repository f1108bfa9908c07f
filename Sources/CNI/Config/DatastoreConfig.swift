import Datastore

/// Where the plugins find Calico's resources: the config's `datastore_type` with its keys, over calicoctl's
/// environment variables as Calico CNI reads them (`DATASTORE_TYPE`, `ETCD_ENDPOINTS`, `ETCD_KEY_FILE`, ...;
/// a key of the config wins over its variable).
public enum DatastoreConfig: Sendable, Equatable {
    /// `datastore_type: file` (the default, as for tabbyd) with `datastore_path` (default tabbyd's
    /// `/var/lib/tabby/datastore`).
    case file(path: String)
    /// `datastore_type: etcdv3` with `etcd_endpoints` (comma-separated URLs, Calico's form), `etcd_key_file`,
    /// `etcd_cert_file`, `etcd_ca_cert_file` (TLS) and `etcd_username`/`etcd_password`.
    case etcd(EtcdSettings)

    /// tabbyd's default datastore directory (Agent's `AgentConfiguration.defaultDatastore`).
    public static let defaultPath = "/var/lib/tabby/datastore"

    static func decode(_ object: JSONObjectField, environment: [String: String] = [:]) throws(CNIError)
        -> DatastoreConfig
    {
        let fromEnvironment = DatastoreSettingsText.environment(environment)
        var text = fromEnvironment
        for setting in DatastoreSetting.allCases {
            if let value = try object.optional(setting.cniKey)?.string() { text[setting] = value }
        }
        let path = try object.optional("datastore_path")?.string() ?? defaultPath
        let connection: DatastoreConnection
        do {
            connection = try DatastoreConnection.resolve(text, fileDirectory: path)
        } catch {
            let code: CNIError.Code? =
                error.setting == .datastoreType && text[.datastoreType] == "kubernetes" ? .unsupportedField : nil
            if object.members[error.setting.cniKey] == nil, fromEnvironment[error.setting] != nil {
                throw CNIError(
                    code ?? .invalidEnvironment, "invalid environment",
                    details: "environment variable \(error.setting.environmentVariable): \(error.reason)")
            }
            throw object.field(error.setting.cniKey).invalid(error.reason, code: code)
        }
        switch connection {
        case .file(let directory):
            guard !directory.isEmpty else { throw object.field("datastore_path").invalid("is empty") }
            return .file(path: directory)
        case .etcdV3(let settings):
            return .etcd(settings)
        }
    }
}
