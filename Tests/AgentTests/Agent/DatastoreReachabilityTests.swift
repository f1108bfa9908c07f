import CalicoAPI
import Dataplane
import Datastore
import Foundation
import Testing

@testable import Agent

/// An agent on a datastore behind a network (etcd): it waits for the datastore at start-up as calico-node does,
/// and when the watch loses contact it reports not-in-sync with the datastore's name and the reason, keeps the
/// dataplane as it is, and applies what changed once the datastore is back. The whole agent on the fake kernels.
@Suite("Agent with an unreachable datastore", .serialized)
struct DatastoreReachabilityTests {
    static let etcdArguments = ["--datastore-type", "etcdv3", "--etcd-endpoints", SwitchableDatastore.endpoint]
    static let problemResource = "datastore etcdv3 \(SwitchableDatastore.endpoint)"

    final class Harness: Sendable {
        let store: SwitchableDatastore
        let agent: NodeAgent
        let directory: String
        let running: Task<Void, any Error>

        init(store: SwitchableDatastore, arguments extra: [String] = DatastoreReachabilityTests.etcdArguments) throws {
            self.store = store
            directory = NSTemporaryDirectory() + "tabby-reach-\(uniqueName())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "".write(toFile: directory + "/tabbyd.yaml", atomically: true, encoding: .utf8)
            let arguments =
                [
                    "--node", AgentCluster.local, "--config", directory + "/tabbyd.yaml", "--node-ip", "192.0.2.10/24",
                    "--status-socket", directory + "/status.sock", "--mtu-file", directory + "/mtu",
                ] + extra
            let configuration = try AgentConfiguration.load(arguments: arguments, environment: [:])
            let wiring = AgentWiring(
                openDatastore: { _ in store },
                openRouteKernel: {
                    let kernel = FakeKernel()
                    _ = kernel.addLink(name: "eth0", kind: .other("veth"), mtu: 1500)
                    return kernel
                },
                openRulesetKernel: { FakeRulesetKernel() })
            let agent = NodeAgent(
                configuration: configuration, arguments: arguments, environment: [:],
                log: AgentLog(level: .error, format: .text, environment: [:]), wiring: wiring)
            self.agent = agent
            running = Task { try await agent.run() }
        }

        func routes(containing text: String) async -> [String] {
            await agent.withKernels { kernel, _ in
                (kernel as! FakeKernel).routes().map(\.description).filter { $0.contains(text) }
            } ?? []
        }

        var datastoreErrors: [StatusReport.Problem] {
            agent.board.statusReport().errors.filter { $0.resource == DatastoreReachabilityTests.problemResource }
        }

        func stop() async throws {
            await agent.stop()
            try await running.value
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func startUpWaitsForTheDatastoreAndSaysSoInTheStatus() async throws {
        let store = SwitchableDatastore(try AgentCluster.resources(), reachable: false)
        let harness = try Harness(store: store)
        try await waitFor("the status error of the unreachable datastore") { !harness.datastoreErrors.isEmpty }
        let reason = harness.datastoreErrors.first?.reason ?? ""
        #expect(reason.contains("waiting for the datastore") && reason.contains("ECONNREFUSED"), "\(reason)")
        #expect(reason.contains(SwitchableDatastore.endpoint), "\(reason)")
        #expect(!harness.agent.board.statusReport().datastoreInSync)
        #expect(await !harness.agent.isReady)
        // Still waiting a while later, not exited.
        try await Task.sleep(for: .milliseconds(600))
        #expect(await !harness.agent.isReady)

        store.isReachable = true
        try await waitFor("the agent to register and sync") { await harness.agent.isReady }
        #expect(harness.datastoreErrors.isEmpty)
        #expect(try await store.inner.get(ResourceKey(kind: .node, name: AgentCluster.local)).kind == .node)
        try await harness.stop()
    }

    @Test func aStopWhileWaitingIsACleanStop() async throws {
        let store = SwitchableDatastore(try AgentCluster.resources(), reachable: false)
        let harness = try Harness(store: store)
        try await waitFor("the agent to wait") { !harness.datastoreErrors.isEmpty }
        try await harness.stop()
    }

    @Test func theFileDatastoreIsNotWaitedFor() async throws {
        let store = SwitchableDatastore(try AgentCluster.resources(), reachable: false)
        let harness = try Harness(store: store, arguments: [])
        await #expect(throws: AgentError.self) { try await harness.running.value }
        try? FileManager.default.removeItem(atPath: harness.directory)
    }

    @Test func lostContactKeepsTheDataplaneAndReportsNotInSyncUntilSynced() async throws {
        let store = SwitchableDatastore(try AgentCluster.resources())
        let harness = try Harness(store: store)
        try await waitFor("the first apply") { await harness.agent.isReady }
        let remoteBlock = "198.51.100.16/28"
        try await waitFor("node-b's block route") { await !harness.routes(containing: remoteBlock).isEmpty }

        let reason = "etcd \(SwitchableDatastore.endpoint): connection refused"
        store.send(.resyncing(reason: reason))
        try await waitFor("not in sync") { !harness.agent.board.statusReport().datastoreInSync }
        #expect(harness.datastoreErrors.map(\.reason) == ["not in sync: \(reason)"])

        // A change arrives while not in sync (the watch re-lists when the datastore is back): nothing is removed
        // until the watch says it is in sync again, even by a resync.
        let block = try await store.inner.list(.ipamBlock, namespace: nil).resources.first {
            $0.as(IPAMBlock.self)?.spec.cidr?.description == remoteBlock
        }
        _ = try await store.inner.delete(try #require(block).key, resourceVersion: nil)
        await harness.agent.requestResync()
        try await Task.sleep(for: .milliseconds(300))
        #expect(await !harness.routes(containing: remoteBlock).isEmpty)
        #expect(!harness.agent.board.statusReport().datastoreInSync)

        store.send(.synced)
        try await waitFor("in sync again") { harness.agent.board.statusReport().datastoreInSync }
        try await waitFor("the block's route removed") { await harness.routes(containing: remoteBlock).isEmpty }
        #expect(harness.datastoreErrors.isEmpty)
        try await harness.stop()
    }
}
