import CalicoAPI
import Dataplane
import Datastore
import Foundation
import Netlink
import NetworkAddress
import Testing

@testable import Agent

/// Start-up as calico-node does it: the node address from a bare `IP`, and the default IPPools on a datastore
/// without pools. The whole agent on the fake kernels, with the in-memory and the file datastore.
@Suite("Agent start-up: node address and default pools", .serialized)
struct StartupBootstrapTests {
    /// An agent started on `store` with a fake kernel whose eth0 holds `addresses` (192.0.2.10/24 and
    /// `extraAddress` by default), and `config` as its configuration file.
    final class Harness: Sendable {
        let agent: NodeAgent
        let directory: String
        let running: Task<Void, any Error>

        init(
            store: any Datastore, arguments extra: [String] = [], environment: [String: String] = [:],
            node: String = "node-a", extraAddress: String? = nil, addresses: [String]? = nil, config: String = ""
        ) async throws {
            directory = NSTemporaryDirectory() + "tabby-boot-\(uniqueName())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try config.write(toFile: directory + "/tabbyd.yaml", atomically: true, encoding: .utf8)
            let arguments =
                [
                    "--node", node, "--config", directory + "/tabbyd.yaml", "--status-socket",
                    directory + "/status.sock", "--mtu-file", directory + "/mtu",
                ] + extra
            let configuration = try AgentConfiguration.load(arguments: arguments, environment: environment)
            let kernelAddresses = addresses ?? ["192.0.2.10/24"] + (extraAddress.map { [$0] } ?? [])
            let wiring = AgentWiring(
                openDatastore: { _ in store },
                openRouteKernel: {
                    let kernel = FakeKernel()
                    let eth0 = kernel.addLink(name: "eth0", kind: .other("veth"), mtu: 1500)
                    for address in kernelAddresses {
                        try kernel.external(
                            .addAddress(InterfaceAddress(interfaceIndex: eth0.index, prefix: CIDR(address)!)))
                    }
                    return kernel
                },
                openRulesetKernel: { FakeRulesetKernel() })
            let agent = NodeAgent(
                configuration: configuration, arguments: arguments, environment: environment,
                log: AgentLog(level: .error, format: .text, environment: [:]), wiring: wiring)
            self.agent = agent
            running = Task { try await agent.run() }
        }

        /// Waits for the first apply (start-up, pools included, is done by then).
        func started() async throws {
            try await waitFor("the first apply") { await agent.isReady }
        }

        func stop() async throws {
            await agent.stop()
            try await running.value
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private func pools(in store: any Datastore) async throws -> [IPPool] {
        try await store.list(.ipPool, namespace: nil).resources.compactMap { $0.as(IPPool.self) }
    }

    private func node(_ name: String, in store: any Datastore) async throws -> Node? {
        try await store.get(ResourceKey(kind: .node, name: name)).as(Node.self)
    }

    @Test func aBareNodeIPTakesTheSubnetOfItsInterface() async throws {
        let store = InMemoryDatastore([])
        let harness = try await Harness(store: store, arguments: ["--node-ip", "192.0.2.10"])
        try await harness.started()
        #expect(try await node("node-a", in: store)?.spec.bgp?.ipv4Address == CIDR("192.0.2.10/24"))
        try await harness.stop()
    }

    @Test func calicoNodesIPVariablesRegisterBothFamilies() async throws {
        let store = InMemoryDatastore([])
        let harness = try await Harness(
            store: store, environment: ["IP": "192.0.2.10", "IP6": "autodetect", "NO_DEFAULT_POOLS": "true"],
            extraAddress: "2001:db8:7::10/64")
        try await harness.started()
        let bgp = try await node("node-a", in: store)?.spec.bgp
        #expect(bgp?.ipv4Address == CIDR("192.0.2.10/24") && bgp?.ipv6Address == CIDR("2001:db8:7::10/64"))
        #expect(try await pools(in: store).isEmpty)
        try await harness.stop()
    }

    @Test func aBareNodeIPNoInterfaceHoldsStopsTheStartWithAClearError() async throws {
        let harness = try await Harness(store: InMemoryDatastore([]), arguments: ["--node-ip", "192.0.2.99"])
        let error = try await #require(throws: AgentError.self, performing: { try await harness.running.value })
        #expect(
            error.description
                == "cannot determine the node's IPv4 address 192.0.2.99: no interface holds 192.0.2.99, so its "
                + "subnet is unknown; add it to an interface or write it with its subnet (like 192.0.2.99/24); set it "
                + "with --node-ip (IP) or choose another autodetection method")
        try? FileManager.default.removeItem(atPath: harness.directory)
    }

    @Test func autodetectionFindingNothingKeepsTheNodesAddress() async throws {
        var registered = Node(name: "node-a")
        registered.spec.bgp = NodeSpec.BGP(ipv4Address: CIDR("198.51.100.7/24")!)
        let store = InMemoryDatastore([AnyResource(registered)])
        let harness = try await Harness(store: store, arguments: ["--no-default-pools"], addresses: [])
        try await harness.started()
        #expect(try await node("node-a", in: store)?.spec.bgp?.ipv4Address == CIDR("198.51.100.7/24"))
        try await harness.stop()

        // Without an address on the Node there is nothing to keep: the start fails and says why.
        let bare = try await Harness(store: InMemoryDatastore([]), arguments: ["--no-default-pools"], addresses: [])
        let error = try await #require(throws: AgentError.self, performing: { try await bare.running.value })
        #expect(
            error.description.hasPrefix(
                "cannot determine the node's IPv4 address by first-found: no global IPv4 address on an interface "
                    + "calico-node does not skip"), "\(error)")
        try? FileManager.default.removeItem(atPath: bare.directory)
    }

    @Test func aReloadWithAnotherNodeIPRegistersItAgain() async throws {
        let store = InMemoryDatastore([])
        let harness = try await Harness(
            store: store, addresses: ["192.0.2.10/24", "203.0.113.10/28"],
            config: "nodeIP: 192.0.2.10\nnoDefaultPools: true\n")
        try await harness.started()
        #expect(try await node("node-a", in: store)?.spec.bgp?.ipv4Address == CIDR("192.0.2.10/24"))
        try "nodeIP: 203.0.113.10\nnoDefaultPools: true\n".write(
            toFile: harness.directory + "/tabbyd.yaml", atomically: true, encoding: .utf8)
        await harness.agent.reload()
        #expect(try await node("node-a", in: store)?.spec.bgp?.ipv4Address == CIDR("203.0.113.10/28"))
        try await harness.stop()
    }

    @Test func theFirstStartCreatesCalicoNodesDefaultPools() async throws {
        let store = InMemoryDatastore([])
        let harness = try await Harness(store: store)
        try await harness.started()
        let created = try await pools(in: store).sorted { $0.metadata.name < $1.metadata.name }
        #expect(created.map(\.metadata.name) == ["default-ipv4-ippool", "default-ipv6-ippool"])
        #expect(created.first?.spec.cidr == CIDR("192.168.0.0/16") && created.first?.spec.blockSize == 26)
        #expect(created.first?.spec.natOutgoing == true)
        let ipv6 = try #require(created.last?.spec.cidr)
        #expect(ipv6.prefixLength == 48 && CIDR("fd00::/8")!.contains(ipv6) && created.last?.spec.blockSize == 122)
        // The node autodetected its address (first-found: eth0) and, with a pool now, its tunnel checks ran.
        #expect(try await node("node-a", in: store)?.spec.bgp?.ipv4Address == CIDR("192.0.2.10/24"))
        #expect(harness.agent.board.statusReport().errors.isEmpty)
        try await harness.stop()
    }

    @Test func settingsShapeThePoolsAndIPv6OffSkipsIt() async throws {
        let store = InMemoryDatastore([])
        let harness = try await Harness(
            store: store, arguments: ["--felix", "ipv6Support=false"],
            environment: [
                "CALICO_IPV4POOL_CIDR": "10.244.0.0/16", "CALICO_IPV4POOL_BLOCK_SIZE": "24",
                "CALICO_IPV4POOL_VXLAN": "Always", "CALICO_IPV4POOL_NAT_OUTGOING": "false",
                "CALICO_IPV4POOL_NODE_SELECTOR": "!has(edge)",
            ])
        try await harness.started()
        let created = try await pools(in: store)
        #expect(created.map(\.metadata.name) == ["default-ipv4-ippool"])
        let spec = try #require(created.first?.spec)
        #expect(spec.cidr == CIDR("10.244.0.0/16") && spec.blockSize == 24 && spec.vxlanMode == .always)
        #expect(spec.natOutgoing == false && spec.nodeSelector == "!has(edge)" && spec.ipipMode == .never)
        // The pool is in use at once: the node claimed its VXLAN tunnel address from it.
        let tunnel = try await node("node-a", in: store)?.spec.ipv4VXLANTunnelAddr
        #expect(tunnel.map { CIDR("10.244.0.0/16")!.contains($0) } == true, "\(String(describing: tunnel))")
        try await harness.stop()
    }

    @Test func aHostAddressInside192168MovesTheDefaultPool() async throws {
        let store = InMemoryDatastore([])
        let harness = try await Harness(
            store: store, arguments: ["--ipv6-pool-cidr", "none"], extraAddress: "192.168.1.20/24")
        try await harness.started()
        #expect(try await pools(in: store).map { $0.spec.cidr } == [CIDR("172.16.0.0/16")])
        try await harness.stop()
    }

    @Test func anExistingPoolOfTheFamilyMeansNoDefault() async throws {
        let existing = IPPool(name: "pods", spec: IPPoolSpec(cidr: CIDR("198.51.100.0/24")!))
        let store = InMemoryDatastore([AnyResource(existing)])
        let harness = try await Harness(store: store, arguments: ["--ipv6-pool-cidr", "none"])
        try await harness.started()
        #expect(try await pools(in: store).map(\.metadata.name) == ["pods"])
        try await harness.stop()
    }

    @Test func noDefaultPoolsCreatesNone() async throws {
        let store = InMemoryDatastore([])
        let harness = try await Harness(store: store, arguments: ["--no-default-pools"])
        try await harness.started()
        #expect(try await pools(in: store).isEmpty)
        try await harness.stop()
    }

    @Test func theFileStoreGetsThePoolsOnceForSeveralNodes() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let first = try await Harness(
            store: try FileDatastore(directory: scratch.path), arguments: ["--ipv6-pool-cidr", "2001:db8:42::/48"])
        try await first.started()
        let second = try await Harness(
            store: try FileDatastore(directory: scratch.path), arguments: ["--ipv4-pool-cidr", "10.9.0.0/16"],
            node: "node-b")
        try await second.started()
        let reader = try FileDatastore(directory: scratch.path)
        let written = try await pools(in: reader).sorted { $0.metadata.name < $1.metadata.name }
        // The second node found pools of both families and created nothing (its other CIDR is unused).
        #expect(written.map(\.spec.cidr) == [CIDR("192.168.0.0/16"), CIDR("2001:db8:42::/48")])
        try await first.stop()
        try await second.stop()
    }

    @Test func nodesStartingTogetherCreateEachPoolOnce() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let host = DefaultPoolBootstrap.Host(ipv4Addresses: [], ipv6Enabled: true)
        var settings = DefaultPoolSettings()
        let results = try await withThrowingTaskGroup(of: [IPPool].self) { group in
            for index in 0..<6 {
                settings.ipv4?.cidr = CIDR("10.\(index).0.0/16")
                let chosen = settings
                let store = try FileDatastore(directory: scratch.path)
                group.addTask { try await DefaultPoolBootstrap.ensure(chosen, host: host, in: store) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let created = results.flatMap { $0 }
        #expect(created.filter { $0.metadata.name == "default-ipv4-ippool" }.count == 1, "\(created)")
        #expect(created.filter { $0.metadata.name == "default-ipv6-ippool" }.count == 1, "\(created)")
        let stored = try await pools(in: try FileDatastore(directory: scratch.path))
        #expect(stored.count == 2)
        #expect(
            created.contains { $0.spec.cidr == stored.first { $0.metadata.name == "default-ipv4-ippool" }?.spec.cidr })
    }

    @Test func aFailedBootstrapIsInTheStatusAndAReloadRetriesIt() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = try FileDatastore(directory: scratch.path)
        _ = try await store.create(AnyResource(IPPool(name: "pods", spec: IPPoolSpec(cidr: CIDR("198.51.100.0/24")!))))
        let file = try #require(
            try FileManager.default.subpathsOfDirectory(atPath: scratch.path).first { $0.contains("pods") })
        try "spec: [this is not a pool".write(toFile: scratch.path + "/" + file, atomically: true, encoding: .utf8)

        let harness = try await Harness(store: store, arguments: ["--ipv6-pool-cidr", "none"])
        try await harness.started()
        let errors = harness.agent.board.statusReport().errors
        let problem = try #require(errors.first { $0.resource == "IPPool (default)" }, "\(errors)")
        #expect(problem.reason.hasPrefix("not creating default IPPools while an IPPool cannot be read"))
        #expect(try await pools(in: store).isEmpty)

        // The operator removes the broken file and reloads: the bootstrap runs again.
        try FileManager.default.removeItem(atPath: scratch.path + "/" + file)
        await harness.agent.reload()
        #expect(try await pools(in: store).map(\.metadata.name) == ["default-ipv4-ippool"])
        #expect(await harness.agent.configurationProblems.isEmpty)
        try await harness.stop()
    }

    @Test func anUnreadablePoolFileStopsTheBootstrapAndIsReported() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = try FileDatastore(directory: scratch.path)
        let pool = IPPool(name: "pods", spec: IPPoolSpec(cidr: CIDR("198.51.100.0/24")!))
        _ = try await store.create(AnyResource(pool))
        let files = try FileManager.default.subpathsOfDirectory(atPath: scratch.path).filter { $0.contains("pods") }
        let file = try #require(files.first, "\(files)")
        try "spec: [this is not a pool".write(toFile: scratch.path + "/" + file, atomically: true, encoding: .utf8)
        let host = DefaultPoolBootstrap.Host(ipv4Addresses: [], ipv6Enabled: false)
        let error = try await #require(
            throws: DefaultPoolError.self,
            performing: { try await DefaultPoolBootstrap.ensure(DefaultPoolSettings(), host: host, in: store) })
        #expect(error.description.hasPrefix("not creating default IPPools while an IPPool cannot be read"))
        #expect(try await pools(in: store).isEmpty)
    }
}
