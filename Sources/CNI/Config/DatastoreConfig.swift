/// Where the plugins find Calico's resources: the config's `datastore_type` with its keys.
public enum DatastoreConfig: Sendable, Equatable {
    /// `datastore_type: file` (the default, as for tabbyd) with `datastore_path` (default tabbyd's
    /// `/var/lib/tabby/datastore`).
    case file(path: String)
    /// `datastore_type: etcdv3` with `etcd_endpoints` (comma separated URLs, Calico's form): accepted in the config,
    /// refused when used until Tabby has an etcd datastore.
    case etcd(endpoints: [String])

    /// tabbyd's default datastore directory (Agent's `AgentConfiguration.defaultDatastore`).
    public static let defaultPath = "/var/lib/tabby/datastore"

    static func decode(_ object: JSONObjectField) throws(CNIError) -> DatastoreConfig {
        let type = try object.optional("datastore_type")?.string() ?? "file"
        switch type {
        case "file":
            let path = try object.optional("datastore_path")?.string() ?? defaultPath
            guard !path.isEmpty else { throw object.field("datastore_path").invalid("is empty") }
            return .file(path: path)
        case "etcdv3":
            let text = try object.optional("etcd_endpoints")?.string() ?? ""
            let endpoints = text.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            guard !endpoints.isEmpty else {
                throw object.field("etcd_endpoints").invalid("is required with datastore_type etcdv3")
            }
            return .etcd(endpoints: endpoints)
        case "kubernetes":
            throw object.field("datastore_type").invalid(
                "\"kubernetes\" is not supported: Tabby keeps Calico's resources in its own datastore (file)",
                code: .unsupportedField)
        default:
            throw object.field("datastore_type").invalid("\"\(type)\" is not a datastore type (file, etcdv3)")
        }
    }
}
