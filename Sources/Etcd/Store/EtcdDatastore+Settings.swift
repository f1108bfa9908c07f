import Datastore

extension EtcdDatastore {
    /// A datastore over its own client for `settings`, closed by `close()`.
    public convenience init(settings: EtcdSettings) throws(DatastoreError) {
        throw .unavailable("the etcd client is not merged yet")
    }
}
