import Datastore

/// Opens whichever datastore a connection names: what tabbyd, tabbyctl and the CNI plugins call, so that none
/// of them needs to know the implementations.
public enum Datastores {
    /// The datastore for `connection`. `removingLeftovers` is the file datastore's (see
    /// `FileDatastore.init(directory:removingLeftovers:)`); etcd has no leftovers. Opening etcd does not connect
    /// yet: an unreachable cluster shows in the first request (or as `.resyncing` in a watch).
    public static func open(_ connection: DatastoreConnection, removingLeftovers: Bool = true) throws(DatastoreError)
        -> any Datastore
    {
        switch connection {
        case .file(let directory):
            return try FileDatastore(directory: directory, removingLeftovers: removingLeftovers)
        case .etcdV3(let settings):
            return try EtcdDatastore(settings: settings)
        }
    }
}
