import Datastore
import Testing

@testable import Agent

/// tabbyd's datastore settings: `--datastore-type`/`--etcd-*`, the file's keys, `TABBYD_*` and calico-node's
/// `DATASTORE_TYPE`/`ETCD_*` variables, resolved by the one shared resolver; bad values named where written.
@Suite struct DatastoreSettingsTests {
    static func load(
        _ arguments: [String] = [], environment: [String: String] = [:], file: String? = nil
    ) throws(ConfigurationError) -> AgentConfiguration {
        try AgentConfiguration.load(
            arguments: ["--node", "node-a"] + arguments, environment: environment,
            fileReader: { path in path == AgentConfiguration.defaultConfigFile ? file : nil })
    }

    @Test func theFileDatastoreIsTheDefault() throws {
        #expect(try Self.load().datastoreConnection == .file(directory: AgentConfiguration.defaultDatastore))
        #expect(try Self.load(["--datastore", "/srv/ds"]).datastoreConnection == .file(directory: "/srv/ds"))
    }

    @Test func etcdFromTheCommandLine() throws {
        let configuration = try Self.load([
            "--datastore-type", "etcdv3", "--etcd-endpoints", "http://192.0.2.1:2379, http://192.0.2.2:2379,https://[2001:db8::3]:2379/",
            "--etcd-key-file", "/etc/tabby/key.pem", "--etcd-cert-file", "/etc/tabby/cert.pem",
            "--etcd-ca-cert-file=/etc/tabby/ca.pem", "--etcd-username", "tabby", "--etcd-password", "s3cret",
        ])
        #expect(
            configuration.datastoreConnection
                == .etcdV3(
                    EtcdSettings(
                        endpoints: ["http://192.0.2.1:2379", "http://192.0.2.2:2379", "https://[2001:db8::3]:2379"],
                        keyFile: "/etc/tabby/key.pem", certFile: "/etc/tabby/cert.pem", caCertFile: "/etc/tabby/ca.pem",
                        username: "tabby", password: "s3cret")))
        #expect(!configuration.datastoreConnection.summary.contains("s3cret"))
    }

    @Test func calicoNodesEnvironmentSelectsEtcd() throws {
        let configuration = try Self.load(environment: [
            "DATASTORE_TYPE": "etcdv3", "ETCD_ENDPOINTS": "http://192.0.2.1:2379", "ETCD_CA_CERT_FILE": "/ca.pem",
        ])
        #expect(
            configuration.datastoreConnection
                == .etcdV3(EtcdSettings(endpoints: ["http://192.0.2.1:2379"], caCertFile: "/ca.pem")))
        // Endpoints alone say etcd.
        #expect(
            try Self.load(environment: ["ETCD_ENDPOINTS": "http://192.0.2.9:2379"]).datastoreConnection
                == .etcdV3(EtcdSettings(endpoints: ["http://192.0.2.9:2379"])))
    }

    @Test func flagsWinOverTheEnvironmentWhichWinsOverTheFile() throws {
        let file = "datastoreType: etcdv3\netcdEndpoints: http://192.0.2.1:2379\n"
        #expect(
            try Self.load(file: file).datastoreConnection
                == .etcdV3(EtcdSettings(endpoints: ["http://192.0.2.1:2379"])))
        #expect(
            try Self.load(environment: ["TABBYD_ETCD_ENDPOINTS": "http://192.0.2.2:2379"], file: file)
                .datastoreConnection == .etcdV3(EtcdSettings(endpoints: ["http://192.0.2.2:2379"])))
        #expect(
            try Self.load(
                ["--etcd-endpoints", "http://192.0.2.3:2379"],
                environment: ["ETCD_ENDPOINTS": "http://192.0.2.2:2379"], file: file
            ).datastoreConnection == .etcdV3(EtcdSettings(endpoints: ["http://192.0.2.3:2379"])))
        #expect(
            try Self.load(["--datastore-type", "file"], file: file).datastoreConnection
                == .file(directory: AgentConfiguration.defaultDatastore))
    }

    @Test func badSettingsAreNamedWhereTheyWereWritten() {
        func failure(_ arguments: [String], environment: [String: String] = [:], file: String? = nil) -> String {
            do {
                _ = try Self.load(arguments, environment: environment, file: file)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(
            failure(["--datastore-type", "etcdv3"])
                == "argument --datastore-type: etcdEndpoints: required for the etcdv3 datastore (like http://127.0.0.1:2379)")
        #expect(
            failure(["--etcd-endpoints", "192.0.2.1:2379"]).hasPrefix(
                "argument --etcd-endpoints: etcdEndpoints: \"192.0.2.1:2379\" is not an http:// or https:// URL"))
        #expect(
            failure([], environment: ["ETCD_ENDPOINTS": "http://192.0.2.1:99999"]).hasPrefix(
                "environment variable ETCD_ENDPOINTS: etcdEndpoints: \"http://192.0.2.1:99999\" has the port"))
        #expect(
            failure([], environment: ["DATASTORE_TYPE": "kubernetes"]).hasPrefix(
                "environment variable DATASTORE_TYPE: datastoreType: \"kubernetes\" is not supported"))
        #expect(
            failure([], file: "datastoreType: consul\n")
                == "/etc/tabby/tabbyd.yaml: line 1: datastoreType: \"consul\" is not a datastore type (file, etcdv3)")
        #expect(
            failure(["--etcd-endpoints", "http://192.0.2.1:2379", "--etcd-key-file", "/k.pem"])
                == "argument --etcd-key-file: etcdCertFile: required with a client key file (the key's certificate)")
        #expect(failure(["--etcd-endpoints", "http://a:1,,http://b:2"]).contains("an empty endpoint"))
        #expect(failure(["--etcd-endpoints", "ftp://192.0.2.1"]).contains("has the scheme \"ftp\""))
    }

    @Test func thePasswordIsNeverRepeated() {
        do {
            _ = try Self.load(environment: [
                "ETCD_ENDPOINTS": "http://192.0.2.1:2379", "ETCD_USERNAME": "u", "ETCD_PASSWORD": "hunter2",
                "TABBYD_ETCD_PASSWORD": "other-secret",
            ])
            Issue.record("two passwords were accepted")
        } catch {
            #expect(!error.description.contains("hunter2") && !error.description.contains("other-secret"))
            #expect(error.description.contains("TABBYD_ETCD_PASSWORD is set to another value"))
        }
    }

    @Test func aReloadKeepsTheRunningDatastore() throws {
        let running = try Self.load()
        let fresh = try Self.load(["--etcd-endpoints", "http://192.0.2.1:2379"])
        #expect(fresh.changedFields(from: running).contains("datastore"))
    }
}
