import Foundation
import Testing

@testable import CNI

/// How `tabby` uses a foreign IPAM plugin: the delegation steps the spec asks for around ADD.
@Suite struct PluginAddressSourceTests {
    static func request(path: String) throws -> PluginRequest {
        let config = try NetworkConfig.decode(pluginConfig(ipam: #"{"type":"recording-ipam"}"#))
        return PluginRequest(
            environment: try CNIEnvironment(pluginEnvironment("ADD", path: path)), config: config,
            stdin: pluginConfig(ipam: #"{"type":"recording-ipam"}"#), node: "node-1", log: .beforeConfig)
    }

    /// A delegate that appends each command to `commands` and answers ADD with `addResult` (exit 1 when it is an
    /// error).
    static func recordingIPAM(_ directory: String, addResult: String, addStatus: Int) throws {
        try PluginDelegationTests.script(
            directory, "recording-ipam",
            """
            cat >/dev/null
            echo "$CNI_COMMAND" >> \(directory)/commands
            if [ "$CNI_COMMAND" = ADD ]; then echo '\(addResult)'; exit \(addStatus); fi
            """)
    }

    static func commands(_ directory: String) throws -> [String] {
        try String(contentsOfFile: directory + "/commands", encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aDelegateThatFailsAddIsRunAgainWithDel() async throws {
        try await withPluginDirectory { directory in
            try Self.recordingIPAM(directory, addResult: #"{"code":11,"msg":"busy"}"#, addStatus: 1)
            let request = try Self.request(path: directory)
            let source = AddressSource.delegated(
                try DelegatedPlugin(type: "recording-ipam", environment: request.environment))
            await #expect(throws: CNIError(.tryAgainLater, "recording-ipam: busy")) {
                try await source.assign(request, pod: nil)
            }
            #expect(try Self.commands(directory) == ["ADD", "DEL"])
        }
    }

    @Test func aDelegateThatReturnsNoAddressIsUndoneAndRefused() async throws {
        try await withPluginDirectory { directory in
            try Self.recordingIPAM(directory, addResult: #"{"cniVersion":"1.0.0","ips":[]}"#, addStatus: 0)
            let request = try Self.request(path: directory)
            let source = AddressSource.delegated(
                try DelegatedPlugin(type: "recording-ipam", environment: request.environment))
            await #expect(throws: CNIError.self) { try await source.assign(request, pod: nil) }
            #expect(try Self.commands(directory) == ["ADD", "DEL"])
        }
    }

    @Test func aDelegatesAddressesAreNarrowedToHostPrefixes() async throws {
        try await withPluginDirectory { directory in
            try Self.recordingIPAM(
                directory,
                addResult:
                    #"{"cniVersion":"1.0.0","ips":[{"address":"2001:db8::5/64"},{"address":"198.51.100.5/24"}]}"#,
                addStatus: 0)
            let request = try Self.request(path: directory)
            let source = AddressSource.delegated(
                try DelegatedPlugin(type: "recording-ipam", environment: request.environment))
            let addresses = try await source.assign(request, pod: nil)
            #expect(addresses.map(\.description) == ["198.51.100.5/32", "2001:db8::5/128"])
            try await source.release(request)
            #expect(try Self.commands(directory) == ["ADD", "DEL"])
        }
    }
}
