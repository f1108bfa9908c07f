import Foundation
import Testing

/// How tabbyctl finds its datastore, as calicoctl does: `--datastore DIR`, `--config`/`-c` (a CalicoAPIConfig),
/// the environment (`DATASTORE_TYPE`, `ETCD_*`, `TABBY_DATASTORE`); bad settings named by file, line, field or
/// variable.
@Suite(.enabled(if: Tabbyctl.binary != nil, "the tabbyctl executable is not built next to the tests"))
struct DatastoreConfigTests {
    static let pool = """
        apiVersion: projectcalico.org/v3
        kind: IPPool
        metadata: {name: pool-a}
        spec: {cidr: 198.51.100.0/24}
        """

    @Test func aCalicoAPIConfigNamesTheFileDatastore() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        let config = try ctl.file(
            "calicoctl.cfg",
            "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nmetadata:\nspec:\n  datastoreType: file\n"
                + "  datastorePath: \(ctl.datastore)\n")
        let manifest = try ctl.file("pool.yaml", Self.pool)
        let created = try runTabbyctl(["create", "-f", manifest, "-c", config])
        #expect(created.status == 0, "\(created.err)")
        // The same datastore through --datastore and through TABBY_DATASTORE.
        #expect(try runTabbyctl(["--datastore", ctl.datastore, "get", "ippools"]).out.contains("pool-a"))
        #expect(try runTabbyctl(["get", "ippools"], variables: ["TABBY_DATASTORE": ctl.datastore]).out.contains("pool-a"))
        #expect(
            try runTabbyctl(
                ["get", "ippools", "--config", config], variables: ["DATASTORE_TYPE": "etcdv3"]
            ).out.contains("pool-a"))
    }

    @Test func badConfigFilesAreNamedByFileLineAndField() throws {
        let ctl = Tabbyctl()
        defer { ctl.remove() }
        func failure(_ text: String) throws -> (Int32, String) {
            let config = try ctl.file("bad.cfg", text)
            let result = try runTabbyctl(["get", "ippools", "-c", config])
            return (result.status, result.err.replacingOccurrences(of: config, with: "CFG"))
        }
        let header = "apiVersion: projectcalico.org/v3\nkind: CalicoAPIConfig\nspec:\n"
        #expect(
            try failure(header + "  datastoreType: etcdv3\n  etcdEndpoints: 192.0.2.1:2379\n")
                == (2, "CFG: line 5: spec.etcdEndpoints: \"192.0.2.1:2379\" is not an http:// or https:// URL (like http://127.0.0.1:2379)\n"))
        #expect(
            try failure(header + "  datastoreType: etcdv3\n")
                == (2, "CFG: line 4: spec.etcdEndpoints: required for the etcdv3 datastore (like http://127.0.0.1:2379)\n"))
        #expect(try failure(header + "  datastoreType: kubernetes\n").1.hasPrefix("CFG: line 4: spec.datastoreType: \"kubernetes\" is not supported"))
        #expect(try failure(header + "  etcdDiscoverySrv: example.com\n").1.hasPrefix("CFG: line 4: spec.etcdDiscoverySrv: not supported by Tabby"))
        #expect(try failure(header + "  etcdEndpoint: http://192.0.2.1:2379\n").1.hasPrefix("CFG: line 4: spec.etcdEndpoint: unknown field"))
        #expect(try failure("apiVersion: v1\nkind: Config\n").1.hasPrefix("CFG: line 1: apiVersion: must be projectcalico.org/v3"))
        let missing = try runTabbyctl(["get", "ippools", "-c", "/nonexistent/calicoctl.cfg"])
        #expect(missing.status == 2 && missing.err.contains("--config /nonexistent/calicoctl.cfg: cannot read the file"))
        let both = try runTabbyctl(["get", "ippools", "-c", "/x.cfg", "--datastore", ctl.datastore])
        #expect(both.status == 2 && both.err.contains("--datastore and --config name two datastores"))
    }

    @Test func theEnvironmentNamesTheDatastoreAsForCalicoctl() throws {
        let bad = try runTabbyctl(["get", "ippools"], variables: ["DATASTORE_TYPE": "etcdv3"])
        #expect(bad.status == 2)
        #expect(bad.err.hasPrefix("environment variable ETCD_ENDPOINTS: required for the etcdv3 datastore"), "\(bad.err)")
        let kubernetes = try runTabbyctl(["get", "ippools"], variables: ["DATASTORE_TYPE": "kubernetes"])
        #expect(kubernetes.err.hasPrefix("environment variable DATASTORE_TYPE: \"kubernetes\" is not supported"))
        let url = try runTabbyctl(["get", "ippools"], variables: ["ETCD_ENDPOINTS": "http://192.0.2.1:2379/v3"])
        #expect(url.err.hasPrefix("environment variable ETCD_ENDPOINTS: \"http://192.0.2.1:2379/v3\" has a path"))
        let help = try runTabbyctl(["--help"])
        #expect(help.out.contains("--config") && help.out.contains("DATASTORE_TYPE"))
    }
}
