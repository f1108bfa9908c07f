import CNI
import Datastore
import Testing

/// `datastore_type: etcdv3` with Calico CNI's keys, over calicoctl's environment variables as Calico CNI reads
/// them; bad values named by key or variable.
@Suite struct ConfigEtcdTests {
    static func decode(_ members: String, environment: [String: String] = [:]) throws(CNIError) -> NetworkConfig {
        try NetworkConfig.decode(Array(ConfigTests.with(members).utf8), environment: environment)
    }

    static func failure(_ members: String, environment: [String: String] = [:]) -> CNIError? {
        do {
            _ = try decode(members, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func calicoCNIsEtcdKeysAreRead() throws {
        let config = try Self.decode(
            #""datastore_type":"etcdv3","etcd_endpoints":"https://192.0.2.1:2379,https://192.0.2.2:2379","#
                + #""etcd_key_file":"/k.pem","etcd_cert_file":"/c.pem","etcd_ca_cert_file":"/ca.pem""#)
        #expect(
            config.datastore
                == .etcd(
                    EtcdSettings(
                        endpoints: ["https://192.0.2.1:2379", "https://192.0.2.2:2379"], keyFile: "/k.pem",
                        certFile: "/c.pem", caCertFile: "/ca.pem")))
    }

    @Test func theEnvironmentFillsWhatTheConfigLeavesOut() throws {
        let environment = [
            "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": "http://192.0.2.9:2379", "ETCD_USERNAME": "cni",
            "ETCD_PASSWORD": "pw",
        ]
        #expect(
            try Self.decode(#""log_level":"info""#, environment: environment).datastore
                == .etcd(EtcdSettings(endpoints: ["http://192.0.2.9:2379"], username: "cni", password: "pw")))
        // A key of the config wins over its variable.
        #expect(
            try Self.decode(#""etcd_endpoints":"http://192.0.2.1:2379""#, environment: environment).datastore
                == .etcd(EtcdSettings(endpoints: ["http://192.0.2.1:2379"], username: "cni", password: "pw")))
        #expect(
            try Self.decode(#""datastore_type":"file""#, environment: environment).datastore
                == .file(path: DatastoreConfig.defaultPath))
    }

    @Test func badSettingsAreNamed() {
        let notURL = Self.failure(#""datastore_type":"etcdv3","etcd_endpoints":"192.0.2.1:2379""#)
        #expect(notURL?.code == .invalidNetworkConfig)
        #expect(notURL?.details.hasPrefix("field etcd_endpoints: \"192.0.2.1:2379\" is not an http:// or https:// URL") == true)
        let missing = Self.failure(#""datastore_type":"etcdv3""#)
        #expect(missing?.details.hasPrefix("field etcd_endpoints: required for the etcdv3 datastore") == true)
        let kubernetes = Self.failure(#""datastore_type":"kubernetes""#)
        #expect(kubernetes?.code == .unsupportedField)
        let fromEnvironment = Self.failure("\"log_level\":\"info\"", environment: ["ETCD_ENDPOINTS": "http://x:0"])
        #expect(fromEnvironment?.code == .invalidEnvironment)
        #expect(fromEnvironment?.details.hasPrefix("environment variable ETCD_ENDPOINTS: \"http://x:0\" has the port") == true)
        let unknown = Self.failure(#""datastore_type":"consul""#)
        #expect(unknown?.details == "field datastore_type: \"consul\" is not a datastore type (file, etcdv3)")
    }
}
