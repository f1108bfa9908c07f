import CNI
import Testing

@Suite struct ConfigResolutionTests {
    static func config(_ members: String = "") throws -> NetworkConfig {
        try NetworkConfig.decode(Array(ConfigTests.with(members.isEmpty ? #""x":0"# : members).utf8))
    }

    static func files(_ contents: [String: String]) -> (String) throws(CNIError) -> String? {
        { path in contents[path] }
    }

    @Test func theConfigsNodeNameWins() throws {
        let name = try NodeNameResolution.resolve(
            try Self.config(#""nodename":"node-a""#), readFile: Self.files(["/var/lib/calico/nodename": "node-b"]),
            hostName: { "host-c" })
        #expect(name == "node-a")
    }

    @Test func thenCalicosNodeNameFileThenTheHostName() throws {
        let config = try Self.config()
        #expect(
            try NodeNameResolution.resolve(
                config, readFile: Self.files(["/var/lib/calico/nodename": "node-b\n"]), hostName: { "host-c" })
                == "node-b")
        #expect(try NodeNameResolution.resolve(config, readFile: Self.files([:]), hostName: { "host-c" }) == "host-c")
        let custom = try Self.config(#""nodename_file":"/etc/tabby/nodename","nodename_file_optional":true"#)
        #expect(
            try NodeNameResolution.resolve(
                custom, readFile: Self.files(["/etc/tabby/nodename": " node-d "]), hostName: { nil }) == "node-d")
    }

    @Test func aGivenNodeNameFileMustExistUnlessOptional() throws {
        let config = try Self.config(#""nodename_file":"/etc/tabby/nodename""#)
        #expect(
            throws: CNIError(
                .invalidNetworkConfig, "invalid network config",
                details: "nodename_file /etc/tabby/nodename does not exist and nodename_file_optional is false")
        ) {
            try NodeNameResolution.resolve(config, readFile: Self.files([:]), hostName: { "host-c" })
        }
        #expect(throws: CNIError.self) {
            try NodeNameResolution.resolve(
                config, readFile: Self.files(["/etc/tabby/nodename": "\n"]), hostName: { "host-c" })
        }
        #expect(throws: CNIError.self) {
            try NodeNameResolution.resolve(try Self.config(), readFile: Self.files([:]), hostName: { nil })
        }
    }

    @Test func theMTUComesFromTheConfigThenTheFileThenIs1500() throws {
        #expect(
            try PodMTU.resolve(try Self.config(#""mtu":1410"#), readFile: Self.files(["/var/lib/calico/mtu": "1450"]))
                == 1410)
        #expect(try PodMTU.resolve(try Self.config(), readFile: Self.files(["/var/lib/calico/mtu": "1450\n"])) == 1450)
        #expect(
            try PodMTU.resolve(try Self.config(#""mtu":0"#), readFile: Self.files(["/var/lib/calico/mtu": "1450"]))
                == 1450)
        #expect(
            try PodMTU.resolve(try Self.config(#""mtu_file":"/run/m""#), readFile: Self.files(["/run/m": "9000"]))
                == 9000)
        #expect(try PodMTU.resolve(try Self.config(), readFile: Self.files([:])) == 1500)
    }

    @Test func aBadOrRequiredMissingMTUFileIsAnError() throws {
        #expect(
            throws: CNIError(
                .invalidNetworkConfig, "invalid pod MTU file",
                details: "/var/lib/calico/mtu holds \"big\", not an MTU in 68-65535")
        ) {
            try PodMTU.resolve(try Self.config(), readFile: Self.files(["/var/lib/calico/mtu": "big"]))
        }
        #expect(
            throws: CNIError(
                .ioFailure, "the MTU file is missing",
                details: "/var/lib/calico/mtu does not exist, the config sets no mtu and require_mtu_file is true")
        ) {
            try PodMTU.resolve(try Self.config(#""require_mtu_file":true"#), readFile: Self.files([:]))
        }
    }

    @Test func hostFilesReadsAFileAndReportsAbsence() throws {
        #expect(try HostFiles.read("/proc/self/status")?.hasPrefix("Name:") == true)
        #expect(try HostFiles.read("/nonexistent/tabby-test-file") == nil)
        #expect(HostFiles.hostName()?.isEmpty == false)
    }
}
