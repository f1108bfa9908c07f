/// Which datastore a program talks to and how to reach it: what `--datastore-type`, calicoctl's
/// `CalicoAPIConfig`, the `DATASTORE_TYPE`/`ETCD_*` environment variables and the CNI network configuration
/// all come down to. Opening it is `Datastores.open` (module Etcd), which knows every implementation.
public enum DatastoreConnection: Sendable, Equatable {
    /// The embedded file datastore in a directory.
    case file(directory: String)
    /// An etcd v3 cluster, with Calico's key layout.
    case etcdV3(EtcdSettings)
}

/// How to reach an etcd v3 cluster, with the names calicoctl and calico-node use for each setting.
public struct EtcdSettings: Sendable, Equatable {
    /// Client URLs (`ETCD_ENDPOINTS`, comma-separated): `http://127.0.0.1:2379`, `https://etcd-1:2379`.
    /// Requests go to one endpoint at a time and move to the next when it cannot be reached.
    public var endpoints: [String]
    /// The client's private key and certificate (PEM) for TLS client authentication (`ETCD_KEY_FILE`,
    /// `ETCD_CERT_FILE`).
    public var keyFile: String?
    public var certFile: String?
    /// The CA bundle (PEM) that signs the servers' certificates (`ETCD_CA_CERT_FILE`); without it the system's.
    public var caCertFile: String?
    /// etcd's own authentication (`ETCD_USERNAME`, `ETCD_PASSWORD`).
    public var username: String?
    public var password: String?

    public init(
        endpoints: [String], keyFile: String? = nil, certFile: String? = nil, caCertFile: String? = nil,
        username: String? = nil, password: String? = nil
    ) {
        self.endpoints = endpoints
        self.keyFile = keyFile
        self.certFile = certFile
        self.caCertFile = caCertFile
        self.username = username
        self.password = password
    }
}
