import Datastore
import Etcd
import Glibc
import SystemError

/// Opens the datastore the config names: the file datastore, or etcd v3 (`datastore_type: etcdv3`). The plugins
/// never create a file datastore: a `datastore_path` that does
/// not exist is an error (code 5) naming it, since a plugin that made an empty one would hand out addresses from
/// no pools and write endpoints no tabbyd reads. The directory is the operator's (or tabbyd's) to create.
public enum DatastoreOpening {
    public static func open(_ config: DatastoreConfig) throws(CNIError) -> any Datastore {
        switch config {
        case .file(let path):
            var info = stat()
            guard stat(path, &info) == 0 else {
                let code = Errno(errno)
                throw CNIError(
                    .ioFailure, "cannot open the datastore",
                    details: "datastore_path \(path): \(code.explained); create it (tabbyd does) or fix datastore_path")
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw CNIError(
                    .ioFailure, "cannot open the datastore", details: "datastore_path \(path) is not a directory")
            }
            do {
                // No housekeeping: the plugin runs once per workload, and tabbyd cleans up leftovers.
                return try FileDatastore(directory: path, removingLeftovers: false)
            } catch {
                throw CNIError(.ioFailure, "cannot open the datastore", details: "datastore_path \(path): \(error)")
            }
        case .etcd(let settings):
            do {
                return try Datastores.open(.etcdV3(settings), removingLeftovers: false)
            } catch {
                throw CNIError(
                    .ioFailure, "cannot open the datastore",
                    details: "etcd_endpoints \(settings.endpoints.joined(separator: ",")): \(error)")
            }
        }
    }
}
