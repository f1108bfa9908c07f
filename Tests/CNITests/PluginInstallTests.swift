import CNI
import Foundation
import Testing

/// packaging/cni/install.sh, which `make install` runs after a release build, here with the debug binaries and
/// temporary directories.
@Suite struct PluginInstallTests {
    static func install(_ directory: String, nodeName: String = "node-7", ipv6: String = "false") async throws
        -> PluginProcess
    {
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_BIN"] = try buildProductsDirectory()
        environment["CNI_BIN_DIR"] = directory + "/bin"
        environment["CNI_CONF_DIR"] = directory + "/net.d"
        environment["DATASTORE"] = directory + "/datastore"
        environment["NODENAME"] = nodeName
        environment["ASSIGN_IPV6"] = ipv6
        return try await PluginProcess.run(
            "/bin/bash", [packageRoot + "/packaging/cni/install.sh"], environment: environment)
    }

    /// The plugin config a runtime derives from the conflist's first plugin: `name` and `cniVersion` added.
    static func firstPluginConfig(_ conflist: JSONValue) throws -> NetworkConfig {
        guard case .array(let plugins)? = conflist["plugins"], case .object(var first)? = plugins.first else {
            throw CNIError(.decodingFailure, "no plugins in \(conflist.text)")
        }
        first["name"] = conflist["name"]
        first["cniVersion"] = conflist["cniVersion"]
        return try NetworkConfig.decode(.object(first))
    }

    @Test func theBinariesAndAConflistOurParserReadsAreInstalled() async throws {
        try await withPluginDirectory { directory in
            let first = try await Self.install(directory, ipv6: "true")
            #expect(first.status == 0, "\(first.output)")
            for binary in ["tabby", "tabby-ipam"] {
                #expect(FileManager.default.isExecutableFile(atPath: "\(directory)/bin/\(binary)"))
            }
            let path = directory + "/net.d/10-tabby.conflist"
            let conflist = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))), what: path)
            #expect(conflist["name"] == .string("k8s-pod-network"))
            #expect(conflist["cniVersion"] == .string("1.0.0"))
            let config = try Self.firstPluginConfig(conflist)
            #expect(config.type == "tabby" && config.nodeName == "node-7")
            #expect(config.datastore == .file(path: directory + "/datastore"))
            #expect(config.ipam == IPAMConfig(type: "tabby-ipam", assignIPv4: true, assignIPv6: true))
            guard case .array(let plugins)? = conflist["plugins"] else { return }
            #expect(plugins.last?["type"] == .string("portmap"))
            #expect(plugins.last?["capabilities"]?["portMappings"] == .bool(true))

            // The installed binary answers VERSION.
            let version = try await PluginProcess.run(
                directory + "/bin/tabby", environment: ["CNI_COMMAND": "VERSION"],
                stdin: Array(#"{"cniVersion":"1.0.0"}"#.utf8))
            #expect(version.status == 0 && version.output.contains(#""supportedVersions""#))
        }
    }

    @Test func anExistingConflistIsKeptWhenEqualAndReplacedSayingSoWhenNot() async throws {
        try await withPluginDirectory { directory in
            #expect(try await Self.install(directory).status == 0)
            let path = directory + "/net.d/10-tabby.conflist"
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let again = try await Self.install(directory)
            #expect(again.status == 0 && again.output.contains("unchanged \(path)"))
            #expect(!FileManager.default.fileExists(atPath: path + ".bak"))

            let other = try await Self.install(directory, nodeName: "node-8")
            #expect(other.status == 0)
            #expect(other.output.contains("replacing \(path), which had other content"))
            #expect(try String(contentsOfFile: path + ".bak", encoding: .utf8) == original)
            #expect(try String(contentsOfFile: path, encoding: .utf8).contains(#""nodename": "node-8""#))
        }
    }

    @Test func aValueAConflistCannotHoldIsRefusedAndNothingIsWritten() async throws {
        try await withPluginDirectory { directory in
            let result = try await Self.install(directory, nodeName: #"node"7"#)
            #expect(result.status != 0)
            #expect(result.output.contains("NODENAME"))
            #expect(!FileManager.default.fileExists(atPath: directory + "/net.d/10-tabby.conflist"))
            #expect(!FileManager.default.fileExists(atPath: directory + "/bin/tabby"))
            let badFlag = try await Self.install(directory, ipv6: "yes")
            #expect(badFlag.status != 0 && badFlag.output.contains("ASSIGN_IPV6"))
        }
    }
}
