import Datastore

extension EtcdDatastore {
    /// A datastore over a client of its own for `settings`, which `close()` closes. Nothing is connected yet: an
    /// unreachable cluster shows in the first request (`.unavailable`) or as `.resyncing` in a watch; settings
    /// that cannot be used (an endpoint URL that does not parse, a key file that cannot be read) fail here.
    public convenience init(settings: EtcdSettings) throws(DatastoreError) {
        let client: EtcdClient
        do {
            client = try EtcdClient(settings: settings)
        } catch {
            throw .unavailable(error.description)
        }
        self.init(client: client, close: { await client.close() })
    }
}
