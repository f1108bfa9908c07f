import ArgumentParser
import Datastore
import Etcd
import Foundation

/// Where the datastore is, read as calicoctl reads it, with Tabby's file datastore beside it:
/// `--datastore DIR`, else `--config FILE` (a `CalicoAPIConfig`), else `/etc/calico/calicoctl.cfg` when it
/// exists, else the environment (`DATASTORE_TYPE`, `ETCD_ENDPOINTS`, ...; `TABBY_DATASTORE` for the file
/// datastore's directory), else the file datastore in the default directory.
struct DatastoreOptions: ParsableArguments {
    static let defaultDirectory = "/var/lib/tabby/datastore"
    static let environmentVariable = "TABBY_DATASTORE"
    static let defaultConfigFile = "/etc/calico/calicoctl.cfg"

    /// For `--help`: which source wins.
    static let precedence = """
        The datastore comes from --datastore DIR (the file datastore), else --config FILE (calicoctl's \
        CalicoAPIConfig), else \(defaultConfigFile) when it exists, else the environment (DATASTORE_TYPE=etcdv3 \
        with ETCD_ENDPOINTS, ETCD_KEY_FILE, ETCD_CERT_FILE, ETCD_CA_CERT_FILE, ETCD_USERNAME, ETCD_PASSWORD; \
        or $TABBY_DATASTORE for the file datastore), else the file datastore in \(defaultDirectory).
        """

    @Option(name: .long, help: "The file datastore's directory (default: $TABBY_DATASTORE, else \(defaultDirectory)).")
    var datastore: String?

    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: "calicoctl's CalicoAPIConfig file (default: \(defaultConfigFile) when it exists).")
    var configFile: String?

    /// The file datastore's directory when the file datastore is used: `--datastore`, else `$TABBY_DATASTORE`,
    /// else the default.
    var directory: String {
        if let datastore { return datastore }
        if let text = ProcessInfo.processInfo.environment[Self.environmentVariable], !text.isEmpty { return text }
        return Self.defaultDirectory
    }

    /// The datastore these options (and the process environment) name.
    func connection(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readFile: (String) -> String? = DatastoreOptions.readFile
    ) throws(CtlFailure) -> DatastoreConnection {
        if let datastore {
            if configFile != nil {
                throw .badInput("--datastore and --config name two datastores; give one")
            }
            return .file(directory: datastore)
        }
        let fileDirectory = environment[Self.environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultDirectory
        if let configFile {
            guard let text = readFile(configFile) else {
                throw .badInput("--config \(configFile): cannot read the file (it does not exist or is not readable)")
            }
            return try CalicoAPIConfigFile.connection(text: text, path: configFile, defaultDirectory: fileDirectory)
        }
        if let text = readFile(Self.defaultConfigFile) {
            return try CalicoAPIConfigFile.connection(
                text: text, path: Self.defaultConfigFile, defaultDirectory: fileDirectory)
        }
        let settings = DatastoreSettingsText.environment(environment)
        do {
            return try DatastoreConnection.resolve(settings, fileDirectory: fileDirectory)
        } catch {
            throw .badInput("environment variable \(error.setting.environmentVariable): \(error.reason)")
        }
    }

    /// Opens the datastore (see ``precedence``).
    func open() throws(CtlFailure) -> any Datastore {
        let connection = try connection()
        do {
            return try Datastores.open(connection)
        } catch {
            throw CtlFailure.failed("cannot open the datastore \(connection.summary): \(error)")
        }
    }

    /// A file's text, or nil when it does not exist or cannot be read.
    static func readFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
