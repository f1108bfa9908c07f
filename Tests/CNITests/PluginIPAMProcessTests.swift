import CNI
import Foundation
import Testing

/// `tabby-ipam` run as a runtime or a delegating plugin runs it: alone, and under containernetworking-plugins'
/// `bridge`, in namespaces of the test's own.
@Suite(
    "tabby-ipam as a runtime and bridge run it",
    .enabled(if: pluginCanCreateNamespaces, "needs root, ip and nsenter to create network namespaces"),
    .timeLimit(.minutes(2)))
struct PluginIPAMProcessTests {
    @Test func tabbyIPAMAloneAssignsChecksAndReleases() async throws {
        try await PluginCluster.with { cluster in
            let config = pluginConfig(type: "tabby-ipam", datastore: cluster.datastore)
            let add = try await cluster.run(
                "ADD", containerID: "i1", netns: "/proc/self/ns/net", plugin: "tabby-ipam", stdin: config)
            #expect(add.status == 0, "\(add.output)")
            #expect(add.json?["interfaces"] == nil)
            #expect(add.addresses.count == 1)
            var checkConfig = try JSONValue.parse(config, what: "config")
            if case .object(var members) = checkConfig, let result = add.json {
                members["prevResult"] = result
                checkConfig = .object(members)
            }
            let check = try await cluster.run(
                "CHECK", containerID: "i1", netns: "/proc/self/ns/net", plugin: "tabby-ipam",
                stdin: Array(checkConfig.text.utf8))
            #expect(check.status == 0, "\(check.output)")
            let otherCheck = try await cluster.run(
                "CHECK", containerID: "i2", netns: "/proc/self/ns/net", plugin: "tabby-ipam",
                stdin: Array(checkConfig.text.utf8))
            #expect(otherCheck.code == 102, "\(otherCheck.output)")
            let delete = try await cluster.run("DEL", containerID: "i1", netns: "", plugin: "tabby-ipam", stdin: config)
            #expect(delete.status == 0)
            #expect(try await cluster.allocations().isEmpty)
        }
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge"), "needs /usr/lib/cni/bridge"))
    func bridgeDelegatesToTabbyIPAM() async throws {
        try await PluginCluster.with { cluster in
            let netns = try await cluster.container("br1")
            let config = Array(
                (#"{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"bridge","bridge":"tabbybr0","#
                    + #""nodename":"node-1","datastore_path":"\#(cluster.datastore)","#
                    + #""ipam":{"type":"tabby-ipam"}}"#).utf8)
            let environment = [
                "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "br1", "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
                "CNI_PATH": "\(cluster.binaries):/usr/lib/cni",
            ]
            let add = try await PluginProcess.run(
                "/usr/bin/nsenter", ["--net=/run/netns/\(cluster.node)", "/usr/lib/cni/bridge"],
                environment: environment, stdin: config)
            #expect(add.status == 0, "\(add.output)")
            let address = try #require(add.addresses.first)
            #expect(address.hasPrefix("192.0.2.") && address.hasSuffix("/32"))
            let onEth0 = try await cluster.ip(
                "-n", String(netns.dropFirst("/run/netns/".count)), "addr", "show", "eth0")
            #expect(onEth0.contains(address))
            #expect(Set(try await cluster.allocations().compactMap(\.handle)) == ["k8s-pod-network.br1"])

            var delete = environment
            delete["CNI_COMMAND"] = "DEL"
            let deleted = try await PluginProcess.run(
                "/usr/bin/nsenter", ["--net=/run/netns/\(cluster.node)", "/usr/lib/cni/bridge"],
                environment: delete, stdin: config)
            #expect(deleted.status == 0, "\(deleted.output)")
            #expect(try await cluster.allocations().isEmpty)
        }
    }
}
