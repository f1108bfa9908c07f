import CalicoAPI
import Datastore

/// calicoctl's configuration file (`/etc/calico/calicoctl.cfg`, YAML or JSON):
///
/// ```yaml
/// apiVersion: projectcalico.org/v3
/// kind: CalicoAPIConfig
/// metadata:
/// spec:
///   datastoreType: etcdv3
///   etcdEndpoints: http://192.0.2.1:2379,http://192.0.2.2:2379
/// ```
///
/// The spec's etcd fields are calicoctl's (`etcdEndpoints`, `etcdUsername`, `etcdPassword`, `etcdKeyFile`,
/// `etcdCertFile`, `etcdCACertFile`); `datastoreType: file` with `datastorePath` (Tabby's) names the file
/// datastore. Errors name the file, its line and the field.
enum CalicoAPIConfigFile {
    /// Tabby's own field for the file datastore's directory.
    static let datastorePathField = "datastorePath"
    /// calicoctl fields Tabby cannot use, with what to write instead.
    static let unsupported: [String: String] = [
        "etcdDiscoverySrv": "list the members in etcdEndpoints",
        "etcdKey": "write the key to a file and name it in etcdKeyFile",
        "etcdCert": "write the certificate to a file and name it in etcdCertFile",
        "etcdCACert": "write the CA bundle to a file and name it in etcdCACertFile",
    ]

    /// The connection the file names; `defaultDirectory` is the file datastore's when `datastorePath` is absent.
    static func connection(text: String, path: String, defaultDirectory: String) throws(CtlFailure)
        -> DatastoreConnection
    {
        func failure(_ line: Int?, _ field: String, _ reason: String) -> CtlFailure {
            let place = line.map { "\(path): line \($0)" } ?? path
            return .badInput("\(place): \(field.isEmpty ? "" : field + ": ")\(reason)")
        }
        let documents: [ManifestDocument]
        do {
            documents = try ManifestParser.parse(text, source: path)
        } catch {
            throw failure(error.location?.line, "", error.reason)
        }
        guard documents.count == 1, let root = documents.first?.root, case .mapping = root.value else {
            throw failure(nil, "", "expected one CalicoAPIConfig (apiVersion: projectcalico.org/v3, kind: CalicoAPIConfig)")
        }
        for (field, expected) in [("apiVersion", "projectcalico.org/v3"), ("kind", "CalicoAPIConfig")] {
            let written = root[field]?.scalarText
            guard written == expected else {
                throw failure(
                    root[field]?.location?.line ?? root.location?.line, field,
                    "must be \(expected) (got \(written.map { "\"\($0)\"" } ?? "nothing"))")
            }
        }
        var settings = DatastoreSettingsText()
        var lines: [DatastoreSetting: Int] = [:]
        var directory = defaultDirectory
        if let spec = root["spec"], !spec.isNull {
            guard case .mapping(let entries) = spec.value else {
                throw failure(spec.location?.line, "spec", "expected a mapping of settings")
            }
            for entry in entries {
                let line = entry.keyLocation?.line
                let field = "spec." + entry.key
                if entry.value.isNull { continue }
                let value: String
                do {
                    value = try ManifestDecoder.decode(String.self, from: entry.value)
                } catch {
                    throw failure(line, field, "expected a string")
                }
                if let setting = DatastoreSetting(rawValue: entry.key) {
                    settings[setting] = value
                    lines[setting] = line
                } else if entry.key == datastorePathField {
                    guard !value.isEmpty else { throw failure(line, field, "must not be empty") }
                    directory = value
                } else if let instead = unsupported[entry.key] {
                    throw failure(line, field, "not supported by Tabby: \(instead)")
                } else {
                    let known = DatastoreSetting.allCases.map(\.rawValue) + [datastorePathField]
                    throw failure(line, field, "unknown field (known: \(known.joined(separator: ", ")))")
                }
            }
        }
        do {
            return try DatastoreConnection.resolve(settings, fileDirectory: directory)
        } catch {
            let line = lines[error.setting] ?? lines[.datastoreType] ?? root["spec"]?.location?.line
            throw failure(line, "spec." + error.setting.rawValue, error.reason)
        }
    }
}
