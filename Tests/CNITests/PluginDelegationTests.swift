import CNI
import Foundation
import NetworkAddress
import Testing

/// Delegation to another plugin binary, as `tabby` delegates to a foreign IPAM plugin: with stand-in scripts and
/// with containernetworking-plugins' real `host-local`; and a chained plugin (`portmap`) taking `tabby`'s result.
@Suite struct PluginDelegationTests {
    static let referencePlugins = "/usr/lib/cni"
    static var hasReferencePlugins: Bool {
        FileManager.default.isExecutableFile(atPath: referencePlugins + "/host-local")
    }

    static func script(_ directory: String, _ name: String, _ body: String) throws {
        let path = directory + "/" + name
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    @Test func theDelegateGetsTheSameStdinAndEnvironmentAndItsResultIsRead() async throws {
        try await withPluginDirectory { directory in
            // Echoes the command and the container ID it was given, and checks stdin came through.
            try Self.script(
                directory, "fake-ipam",
                #"""
                input=$(cat)
                case "$input" in *'"name":"k8s-pod-network"'*) ;; *) echo '{"code":7,"msg":"no stdin"}'; exit 1;; esac
                echo "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"192.0.2.7/24\",\"gateway\":\"192.0.2.1\"}],\"dns\":{\"domain\":\"$CNI_COMMAND-$CNI_CONTAINERID\"}}"
                """#)
            let environment = try CNIEnvironment(pluginEnvironment("ADD", path: "/nonexistent:" + directory))
            let plugin = try DelegatedPlugin(type: "fake-ipam", environment: environment)
            #expect(plugin.path == directory + "/fake-ipam")
            let result = try await plugin.run(.add, environment: environment, stdin: pluginConfig())
            #expect(
                result?.ips == [CNIResult.IPConfig(address: CIDR("192.0.2.7/24")!, gateway: IPAddress("192.0.2.1"))])
            #expect(result?.dns.domain == "ADD-c0ffee01")
            // Other commands print nothing and return no result.
            #expect(try await plugin.run(.delete, environment: environment, stdin: pluginConfig()) == nil)
        }
    }

    @Test func theDelegatesErrorIsPassedOnWithItsCode() async throws {
        try await withPluginDirectory { directory in
            try Self.script(
                directory, "failing-ipam",
                #"cat >/dev/null; echo '{"cniVersion":"1.0.0","code":11,"msg":"busy","details":"try later"}'; exit 1"#)
            try Self.script(directory, "garbled-ipam", "cat >/dev/null; echo oops; exit 3")
            let environment = try CNIEnvironment(pluginEnvironment("ADD", path: directory))
            await #expect(throws: CNIError(.tryAgainLater, "failing-ipam: busy", details: "try later")) {
                try await DelegatedPlugin(type: "failing-ipam", environment: environment).run(
                    .add, environment: environment, stdin: pluginConfig())
            }
            await #expect(throws: CNIError(.ioFailure, "garbled-ipam failed", details: "exit status 3; stdout: oops\n"))
            {
                try await DelegatedPlugin(type: "garbled-ipam", environment: environment).run(
                    .add, environment: environment, stdin: pluginConfig())
            }
        }
    }

    @Test func aDelegateMissingFromCNIPathIsCodeFour() throws {
        let environment = try CNIEnvironment(pluginEnvironment("ADD", path: "/nonexistent-a:/nonexistent-b"))
        #expect(
            throws: CNIError(
                .invalidEnvironment, "the plugin host-local is not in CNI_PATH",
                details: "searched /nonexistent-a:/nonexistent-b for host-local")
        ) {
            try DelegatedPlugin(type: "host-local", environment: environment)
        }
    }

    @Test(.enabled(if: hasReferencePlugins, "needs containernetworking-plugins in /usr/lib/cni"))
    func hostLocalAssignsAndReleasesThroughDelegation() async throws {
        try await withPluginDirectory { directory in
            let ipam = #"{"type":"host-local","subnet":"198.51.100.0/24","dataDir":"\#(directory)/host-local"}"#
            let config = pluginConfig(ipam: ipam)
            let environment = try CNIEnvironment(pluginEnvironment("ADD", path: Self.referencePlugins))
            let plugin = try DelegatedPlugin(type: "host-local", environment: environment)
            let result = try await plugin.run(.add, environment: environment, stdin: config)
            let address = try #require(result?.ips.first?.address)
            #expect(CIDR("198.51.100.0/24")!.contains(address.address))
            let reservation = "\(directory)/host-local/k8s-pod-network/\(address.address)"
            #expect(FileManager.default.fileExists(atPath: reservation))
            _ = try await plugin.run(.delete, environment: environment, stdin: config)
            #expect(!FileManager.default.fileExists(atPath: reservation))
        }
    }

    @Test(.enabled(if: hasReferencePlugins, "needs containernetworking-plugins in /usr/lib/cni"))
    func portmapAfterTabbyTakesTabbysResultAndPassesItOn() async throws {
        let ours = SpecResultTests.dualStack().json(version: .v1_0_0)
        let config = JSONValue.object([
            "cniVersion": .string("1.0.0"), "name": .string("k8s-pod-network"), "type": .string("portmap"),
            "prevResult": ours,
        ])
        let environment = try CNIEnvironment(pluginEnvironment("ADD", path: Self.referencePlugins))
        let portmap = try DelegatedPlugin(type: "portmap", environment: environment)
        let passedOn = try await portmap.run(.add, environment: environment, stdin: Array(config.text.utf8))
        // 1.0.0 has no interface MTU.
        var expected = SpecResultTests.dualStack()
        for index in expected.interfaces.indices { expected.interfaces[index].mtu = nil }
        #expect(passedOn == expected)
    }
}
