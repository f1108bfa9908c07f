import CNI
import Foundation
import Testing

/// The plugins run in process, up to the point where they would take something: the protocol, the config and
/// the checks that come before any address or interface is taken.
@Suite struct PluginRunTests {
    @Test(arguments: [PluginKind.network, .ipam])
    func versionPrintsTheSupportedVersions(kind: PluginKind) async {
        let output = await CNIPlugin.run(
            kind, environment: ["CNI_COMMAND": "VERSION"], stdin: Array(#"{"cniVersion":"0.4.0"}"#.utf8), host: bareHost
        )
        #expect(output.exitCode == 0)
        #expect(
            output.stdout
                == #"{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"# + "\n")
        let empty = await CNIPlugin.run(kind, environment: ["CNI_COMMAND": "VERSION"], stdin: [], host: bareHost)
        #expect(empty.exitCode == 0 && empty.json?["cniVersion"] == .string("1.1.0"))
    }

    @Test func errorsArePrintedAsTheSpecsErrorResultWithExitStatusOne() async {
        let output = await CNIPlugin.run(
            .network, environment: pluginEnvironment("ADD"), stdin: Array(#"{"cniVersion":"0.4.0","name":"#.utf8),
            host: bareHost)
        #expect(output.exitCode == 1)
        #expect(output.errorCode == 6)
        #expect(output.json?["msg"] == .string("the network config on stdin is not valid JSON"))
        #expect(output.stdout.hasSuffix("}\n"))
    }

    @Test func theErrorResultCarriesTheConfigsVersion() async {
        let output = await CNIPlugin.run(
            .network, environment: pluginEnvironment("ADD"),
            stdin: Array(#"{"cniVersion":"0.3.1","name":"n","type":"tabby"}"#.utf8), host: bareHost)
        #expect(output.json?["cniVersion"] == .string("0.3.1"))
        #expect(output.errorCode == 7)
        #expect(output.errorDetails == "field ipam is missing")
    }

    @Test func aMissingCommandIsCodeFour() async {
        let output = await CNIPlugin.run(.ipam, environment: [:], stdin: pluginConfig(), host: bareHost)
        #expect(output.exitCode == 1 && output.errorCode == 4)
        #expect(output.errorDetails == "CNI_COMMAND is not set")
    }

    @Test(arguments: [("CHECK", "0.3.1", "0.4.0"), ("STATUS", "1.0.0", "1.1.0"), ("GC", "0.4.0", "1.1.0")])
    func commandsNewerThanTheConfigAreRefused(command: String, version: String, needed: String) async {
        let output = await CNIPlugin.run(
            .network, environment: pluginEnvironment(command), stdin: pluginConfig(version: version), host: bareHost)
        #expect(output.errorCode == 1)
        #expect(output.json?["msg"] == .string("config version does not allow \(command)"))
        #expect(output.errorDetails.contains(needed))
    }

    @Test func addIntoSomethingThatIsNoNamespaceIsCodeThreeBeforeAnythingElse() async throws {
        try await withPluginDirectory { directory in
            let file = directory + "/not-a-namespace"
            #expect(FileManager.default.createFile(atPath: file, contents: Data()))
            // The datastore path does not exist either: the namespace is checked first, before anything is opened.
            for netns in [file, directory + "/missing", directory] {
                let output = await CNIPlugin.run(
                    .network, environment: pluginEnvironment("ADD", netns: netns), stdin: pluginConfig(), host: bareHost
                )
                #expect(output.exitCode == 1)
                #expect(output.errorCode == 3, "\(output.stdout)")
                #expect(output.errorDetails.hasPrefix("CNI_NETNS \(netns)"))
            }
        }
    }

    @Test func aWorkloadWhoseEndpointCannotBeNamedIsRefusedFirst() async {
        // Neither the namespace nor the datastore exists: the name is checked before either.
        let output = await CNIPlugin.run(
            .network, environment: pluginEnvironment("ADD", arguments: "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-"),
            stdin: pluginConfig(), host: bareHost)
        #expect(output.errorCode == 4, "\(output.stdout)")
        #expect(output.json?["msg"] == .string("error constructing WorkloadEndpoint name"))
        #expect(output.errorDetails.contains("web-"))
    }

    @Test func aMissingDatastoreIsCodeFiveNamingThePath() async throws {
        // The test process's own namespace passes the namespace check; the datastore is missing, so nothing
        // is taken or changed.
        let output = await CNIPlugin.run(
            .network, environment: pluginEnvironment("ADD", netns: "/proc/self/ns/net"),
            stdin: pluginConfig(datastore: "/nonexistent/tabby-datastore"), host: bareHost)
        #expect(output.errorCode == 5)
        #expect(output.errorDetails.hasPrefix("datastore_path /nonexistent/tabby-datastore: ENOENT"))
        let ipam = await CNIPlugin.run(
            .ipam, environment: pluginEnvironment("ADD"), stdin: pluginConfig(type: "tabby-ipam"), host: bareHost)
        #expect(ipam.errorCode == 5)
    }

    @Test func anUnreachableEtcdFailsTheCommandNamingTheEndpoint() async {
        // Nothing listens on loopback's discard port: the connection is refused at once.
        let output = await CNIPlugin.run(
            .ipam, environment: pluginEnvironment("DEL"),
            stdin: pluginConfig(extra: #""datastore_type":"etcdv3","etcd_endpoints":"http://127.0.0.1:9""#),
            host: bareHost)
        #expect(output.errorCode == 5)
        #expect(output.errorDetails.contains("etcd is unreachable (http://127.0.0.1:9: connection refused)"))
    }

    @Test func statusIsReadyWithAnEnabledPoolOfEachAssignedFamily() async throws {
        try await withPluginDirectory { directory in
            try await makePluginDatastore(
                directory, pools: [pluginPool("v4", "192.0.2.0/24"), pluginPool("v6", "2001:db8:1::/112", disabled: true)])
            let environment = ["CNI_COMMAND": "STATUS"]
            let ready = await CNIPlugin.run(
                .network, environment: environment, stdin: pluginConfig(version: "1.1.0", datastore: directory),
                host: bareHost)
            #expect(ready == PluginOutput(stdout: "", exitCode: 0))
            let dualStack = pluginConfig(
                version: "1.1.0", ipam: #"{"type":"tabby-ipam","assign_ipv6":"true"}"#, datastore: directory)
            let notReady = await CNIPlugin.run(.ipam, environment: environment, stdin: dualStack, host: bareHost)
            #expect(notReady.errorCode == 50)
            #expect(notReady.errorDetails == "the datastore has no enabled IPv6 IPPool, and ipam.assign_ipv6 is true")
        }
    }

    @Test func statusWithoutADatastoreIsCodeFifty() async {
        let output = await CNIPlugin.run(
            .network, environment: ["CNI_COMMAND": "STATUS"], stdin: pluginConfig(version: "1.1.0"), host: bareHost)
        #expect(output.errorCode == 50)
        #expect(output.errorDetails.contains("/nonexistent/tabby-datastore"))
    }

    @Test func gcNeedsTheValidAttachments() async {
        let output = await CNIPlugin.run(
            .ipam, environment: ["CNI_COMMAND": "GC", "CNI_PATH": "/opt/cni/bin"],
            stdin: pluginConfig(version: "1.1.0"),
            host: bareHost)
        #expect(output.errorCode == 7)
        #expect(output.errorDetails == "GC needs cni.dev/valid-attachments (the attachments to keep)")
    }

    @Test func checkNeedsAPrevResult() async {
        let output = await CNIPlugin.run(
            .ipam, environment: pluginEnvironment("CHECK"), stdin: pluginConfig(type: "tabby-ipam"), host: bareHost)
        #expect(output.errorCode == 7)
        #expect(output.errorDetails == "CHECK needs prevResult")
    }

    @Test func aMissingNodeNameFileThatIsRequiredStopsTheCall() async {
        let output = await CNIPlugin.run(
            .ipam, environment: pluginEnvironment("DEL"),
            stdin: Array(
                #"{"cniVersion":"1.0.0","name":"n","type":"tabby-ipam","nodename_file":"/nonexistent/nodename","#
                    .utf8) + Array(#""ipam":{"type":"tabby-ipam"}}"#.utf8), host: bareHost)
        #expect(output.errorCode == 7)
        #expect(output.errorDetails.hasPrefix("nodename_file /nonexistent/nodename does not exist"))
    }
}
