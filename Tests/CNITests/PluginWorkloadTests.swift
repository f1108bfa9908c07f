import CNI
import CalicoAPI
import Foundation
import NetworkAddress
import Testing

@Suite(
    "tabby and tabby-ipam run as the runtime runs them, in namespaces of the test's own",
    .enabled(if: pluginCanCreateNamespaces, "needs root, ip and nsenter to create network namespaces"),
    .timeLimit(.minutes(2)))
struct PluginWorkloadTests {
    @Test func addWiresTheContainerAndDelRemovesEverythingTwice() async throws {
        try await PluginCluster.with { cluster in
            let netns = try await cluster.container("c1")
            let add = try await cluster.run("ADD", containerID: "c1abc", netns: netns)
            #expect(add.status == 0, "\(add.output)")
            let addresses = add.addresses
            #expect(addresses.count == 2)
            #expect(addresses.first.flatMap(CIDR.init).map { CIDR("192.0.2.0/24")!.contains($0.address) } == true)
            #expect(addresses.first?.hasSuffix("/32") == true && addresses.last?.hasSuffix("/128") == true)

            // eth0 in the container has both, the host side is Calico's name, the endpoint is stored.
            let containerAddresses = try await cluster.ip(
                "-n", String(netns.dropFirst("/run/netns/".count)), "addr", "show", "eth0")
            for address in addresses { #expect(containerAddresses.contains(address)) }
            #expect(try await cluster.hostVeths() == ["calic1abc"])
            let endpoints = try await cluster.endpoints()
            #expect(endpoints.count == 1)
            #expect(endpoints.first?.spec.interfaceName == "calic1abc")
            #expect(endpoints.first?.spec.ipNetworks?.map(\.description).sorted() == addresses.sorted())
            #expect(try await cluster.allocations().count == 2)

            // CHECK with the ADD's result as prevResult.
            var checkConfig = try JSONValue.parse(cluster.config(), what: "config")
            if case .object(var members) = checkConfig, let result = add.json {
                members["prevResult"] = result
                checkConfig = .object(members)
            }
            let check = try await cluster.run(
                "CHECK", containerID: "c1abc", netns: netns, stdin: Array(checkConfig.text.utf8))
            #expect(check.status == 0, "\(check.output)")

            for _ in 0..<2 {
                let delete = try await cluster.run("DEL", containerID: "c1abc", netns: netns)
                #expect(delete.status == 0, "\(delete.output)")
                #expect(try await cluster.hostVeths().isEmpty)
                #expect(try await cluster.endpoints().isEmpty)
                #expect(try await cluster.allocations().isEmpty)
            }
            // DEL without a namespace (the container is long gone) succeeds too.
            #expect(try await cluster.run("DEL", containerID: "c1abc", netns: "").status == 0)
        }
    }

    @Test func aFailedAddLeavesNoVethAndNoAllocation() async throws {
        try await PluginCluster.with { cluster in
            let first = try await cluster.container("a")
            let second = try await cluster.container("b")
            let taken = try await cluster.run("ADD", containerID: "a1", netns: first, arguments: "IP=192.0.2.10")
            #expect(taken.status == 0, "\(taken.output)")
            #expect(taken.addresses.first == "192.0.2.10/32")

            let refused = try await cluster.run("ADD", containerID: "b1", netns: second, arguments: "IP=192.0.2.10")
            #expect(refused.status == 1)
            #expect(refused.code == 100, "\(refused.output)")
            #expect(try await cluster.hostVeths() == ["calia1"])
            let handles = Set(try await cluster.allocations().compactMap(\.handle))
            #expect(handles == ["k8s-pod-network.a1"])
            #expect(try await cluster.endpoints().count == 1)
        }
    }

    @Test func aNamespacePathThatIsNoNamespaceIsCodeThree() async throws {
        try await PluginCluster.with { cluster in
            let result = try await cluster.run("ADD", containerID: "x1", netns: cluster.directory)
            #expect(result.status == 1 && result.code == 3, "\(result.output)")
            #expect(try await cluster.allocations().isEmpty)
        }
    }

    @Test func twentyParallelAddsGetTwentyDistinctAddresses() async throws {
        try await PluginCluster.with { cluster in
            var namespaces: [String] = []
            for index in 0..<20 { namespaces.append(try await cluster.container("p\(index)")) }
            let results = try await withThrowingTaskGroup(of: PluginProcess.self) { group in
                for (index, netns) in namespaces.enumerated() {
                    group.addTask {
                        try await cluster.run(
                            "ADD", containerID: "p\(index)x", netns: netns, stdin: cluster.config(ipv6: false))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.status == 0 }, "\(results.filter { $0.status != 0 }.map(\.output))")
            let addresses = results.flatMap(\.addresses)
            #expect(addresses.count == 20)
            #expect(Set(addresses).count == 20)
            #expect(try await cluster.hostVeths().count == 20)
            #expect(try await cluster.allocations().count == 20)
        }
    }

    @Test func aPodIsNamedAsCalicoNamesIt() async throws {
        try await PluginCluster.with { cluster in
            let netns = try await cluster.container("k1")
            let add = try await cluster.run(
                "ADD", containerID: "k1abc", netns: netns,
                arguments: "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;K8S_POD_UID=u1",
                stdin: cluster.config(ipv6: false))
            #expect(add.status == 0, "\(add.output)")
            // cali + the first 11 hex characters of SHA-1("shop.web-1").
            let expected = "cali" + (try await sha1Hex("shop.web-1")).prefix(11)
            #expect(try await cluster.hostVeths() == [expected])
            let endpoint = try #require(try await cluster.endpoints().first)
            #expect(endpoint.metadata.name == "node--1-k8s-web--1-eth0")
            #expect(endpoint.metadata.namespace == "shop")
            #expect(endpoint.spec.orchestrator == "k8s")
            let delete = try await cluster.run(
                "DEL", containerID: "k1abc", netns: netns,
                arguments: "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1", stdin: cluster.config(ipv6: false))
            #expect(delete.status == 0, "\(delete.output)")
            #expect(try await cluster.hostVeths().isEmpty)
            #expect(try await cluster.endpoints().isEmpty)
        }
    }

    @Test func gcReleasesWhatNoValidAttachmentHolds() async throws {
        try await PluginCluster.with { cluster in
            for name in ["g1", "g2"] {
                let netns = try await cluster.container(name)
                let add = try await cluster.run(
                    "ADD", containerID: name, netns: netns, stdin: cluster.config(ipv6: false))
                #expect(add.status == 0, "\(add.output)")
            }
            let gcConfig = pluginConfig(
                version: "1.1.0", datastore: cluster.datastore,
                extra: #""cni.dev/valid-attachments":[{"containerID":"g1","ifname":"eth0"}]"#)
            let gc = try await cluster.run("GC", containerID: "", netns: "", stdin: gcConfig)
            #expect(gc.status == 0, "\(gc.output)")
            #expect(Set(try await cluster.allocations().compactMap(\.handle)) == ["k8s-pod-network.g1"])
            #expect(try await cluster.endpoints().map(\.spec.containerID) == ["g1"])
            let status = try await cluster.run("STATUS", containerID: "", netns: "", stdin: gcConfig)
            #expect(status.status == 0, "\(status.output)")
        }
    }

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/tuning"), "needs /usr/lib/cni/tuning"))
    func tuningAfterTabbyTakesItsResult() async throws {
        try await PluginCluster.with { cluster in
            let netns = try await cluster.container("t1")
            let add = try await cluster.run("ADD", containerID: "t1", netns: netns)
            #expect(add.status == 0, "\(add.output)")
            let result = try #require(add.json)
            let tuning = JSONValue.object([
                "cniVersion": .string("1.0.0"), "name": .string("k8s-pod-network"), "type": .string("tuning"),
                "sysctl": .object(["net.ipv4.conf.eth0.accept_local": .string("1")]), "prevResult": result,
            ])
            let environment = [
                "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "t1", "CNI_NETNS": netns, "CNI_IFNAME": "eth0",
                "CNI_PATH": "/usr/lib/cni",
            ]
            let chained = try await PluginProcess.run(
                "/usr/bin/nsenter", ["--net=/run/netns/\(cluster.node)", "/usr/lib/cni/tuning"],
                environment: environment, stdin: Array(tuning.text.utf8))
            #expect(chained.status == 0, "\(chained.output)")
            #expect(chained.json?["ips"] == result["ips"])
            let sysctl = try await cluster.ip(
                "netns", "exec", String(netns.dropFirst("/run/netns/".count)), "cat",
                "/proc/sys/net/ipv4/conf/eth0/accept_local")
            #expect(sysctl.hasPrefix("1"))
        }
    }
}
