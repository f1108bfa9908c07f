import CalicoAPI
import Dataplane
import Datastore
import Foundation
import NFTables
import Netlink
import NetworkAddress
import SystemError
import Testing

@testable import Agent

/// The whole agent on an in-memory datastore and the fake kernels: no root, no datastore files. Start-up, the
/// first apply, incremental changes, work skipped for changes that cannot matter, repair and reload.
@Suite("Agent on fake kernels", .serialized)
struct FakeAgentTests {
    /// One agent with its datastore and its kernels, and the signals it is sent.
    final class Harness: Sendable {
        let store: InMemoryDatastore
        let agent: NodeAgent
        let signals: AsyncStream<AgentSignal>.Continuation
        let directory: String
        let running: Task<Void, any Error>

        init(config: String = "") async throws {
            directory = NSTemporaryDirectory() + "tabby-agent-\(uniqueName())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let configFile = directory + "/tabbyd.yaml"
            try config.write(toFile: configFile, atomically: true, encoding: .utf8)
            store = InMemoryDatastore(try AgentCluster.resources())
            let arguments = [
                "--node", AgentCluster.local, "--config", configFile, "--node-ip", "192.0.2.10/24",
                "--status-socket", directory + "/status.sock", "--mtu-file", directory + "/mtu",
            ]
            let configuration = try AgentConfiguration.load(arguments: arguments, environment: [:])
            let (signalStream, signals) = AsyncStream.makeStream(of: AgentSignal.self)
            self.signals = signals
            let store = store
            let wiring = AgentWiring(
                openDatastore: { _ in store },
                openRouteKernel: {
                    let kernel = FakeKernel()
                    kernel.addLink(name: "eth0", kind: .other("veth"), mtu: 1500)
                    kernel.addLink(name: "caliweba")
                    kernel.addLink(name: "calidba")
                    return kernel
                },
                openRulesetKernel: { FakeRulesetKernel() },
                signals: { signalStream })
            let agent = NodeAgent(
                configuration: configuration, arguments: arguments, environment: [:],
                log: AgentLog(level: .error, format: .text, environment: [:]), wiring: wiring)
            self.agent = agent
            running = Task { try await agent.run() }
            try await waitFor("the first apply") { await agent.isReady }
        }

        func stop() async throws {
            await agent.stop()
            try await running.value
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// The fake route kernel's routes, as `ip route` text with interface names.
        func routes() async -> [String] {
            await agent.withKernels { kernel, _ in
                let fake = kernel as! FakeKernel
                return fake.routes().map { route in
                    var text = route.description
                    for link in fake.state.links.values {
                        text = text.replacingOccurrences(of: "dev if\(link.index) ", with: "dev \(link.name) ")
                    }
                    if let index = route.outputInterface, let link = fake.state.links[index],
                        text.hasSuffix("dev if\(index)")
                    {
                        text = String(text.dropLast("if\(index)".count)) + link.name
                    }
                    return text
                }.sorted()
            } ?? []
        }

        func writes() async -> Int {
            await agent.withKernels { kernel, _ in (kernel as! FakeKernel).writes.count } ?? 0
        }

        /// The members of every set of the `ip tabby` table, by set name.
        func setElements() async throws -> [String: Set<String>] {
            try await agent.withKernels { _, ruleset in
                guard let table = try ruleset.listTable(Table(family: .ip, name: "tabby")) else { return [:] }
                return table.sets.mapValues { set in
                    Set(set.elements.map { $0.description(keyType: set.namedSet.keyType) })
                }
            } ?? [:]
        }

        func write(_ yaml: String) async throws {
            // No resourceVersion: an unconditional update.
            _ = try await store.update(try AgentCluster.resource(yaml))
        }
    }

    @Test func startsProgramsAndFollowsChanges() async throws {
        let harness = try await Harness()
        let routes = await harness.routes()
        #expect(routes.contains { $0.hasPrefix("198.51.100.2/32 dev caliweba") }, "\(routes)")
        #expect(routes.contains { $0.hasPrefix("198.51.100.16/28 via 198.51.100.17 dev vxlan.calico") }, "\(routes)")
        #expect(routes.contains { $0.hasPrefix("blackhole 198.51.100.0/28") }, "\(routes)")
        let sets = try await harness.setElements()
        #expect(sets.values.contains { $0.contains("198.51.100.18") && $0.contains("198.51.100.2") }, "\(sets)")
        let status = harness.agent.board.statusReport()
        #expect(status.errors.isEmpty, "\(status.errors)")
        // node-a's blocks are local (the one it claimed for its tunnel address too), node-b's through VXLAN.
        #expect(status.blocks.first { $0.cidr == "198.51.100.16/28" }?.state == "vxlan")
        #expect(status.blocks.filter { $0.node == "node-a" }.allSatisfy { $0.state == "local" })

        // A new local endpoint: its interface appears (the fake kernel sends no notifications: a resync reads
        // it), then its WorkloadEndpoint, and its route follows.
        await harness.agent.withKernels { kernel, _ in _ = (kernel as! FakeKernel).addLink(name: "calinewa") }
        await harness.agent.requestResync()
        _ = try await harness.store.create(
            try AgentCluster.resource(
                AgentCluster.endpoint("newa", node: "node-a", ip: "198.51.100.5", labels: "app: web")))
        try await waitFor("the new endpoint's route") {
            await harness.routes().contains { $0.hasPrefix("198.51.100.5/32 ") }
        }
        try await harness.stop()
    }

    @Test func unrelatedChangesCauseNoRouteOrRulesetWork() async throws {
        let harness = try await Harness()
        try await settle(harness.agent)
        let before = await harness.agent.workDone
        let writes = await harness.writes()
        // A remote endpoint's label no selector reads.
        try await harness.write(
            AgentCluster.endpoint("webb", node: "node-b", ip: "198.51.100.18", labels: "app: web, build: '42'"))
        try await waitFor("the delta") { await harness.agent.workDone.deltas == before.deltas + 1 }
        try await settle(harness.agent)
        let after = await harness.agent.workDone
        #expect(after.unusedDeltas == before.unusedDeltas + 1)
        #expect(after.routeCalculations == before.routeCalculations)
        #expect(after.routeReconciliations == before.routeReconciliations)
        #expect(after.rulesetReconciliations == before.rulesetReconciliations)
        #expect(after.policyCalculations == before.policyCalculations)
        #expect(after.policySetRefreshes == before.policySetRefreshes)
        #expect(await harness.writes() == writes)

        // A remote endpoint leaving the web set: one set refresh, one ruleset reconciliation, no route work.
        try await harness.write(
            AgentCluster.endpoint("webb", node: "node-b", ip: "198.51.100.18", labels: "app: cache"))
        try await waitFor("the set refresh") {
            await harness.agent.workDone.policySetRefreshes == after.policySetRefreshes + 1
        }
        try await settle(harness.agent)
        let moved = await harness.agent.workDone
        #expect(moved.policyCalculations == after.policyCalculations)
        #expect(moved.rulesetReconciliations == after.rulesetReconciliations + 1)
        #expect(moved.routeReconciliations == after.routeReconciliations)
        let sets = try await harness.setElements()
        #expect(!sets.values.contains { $0.contains("198.51.100.18") }, "\(sets)")
        try await harness.stop()
    }

    @Test func aChangeDoesNotWaitForAnApplyScheduledLater() async throws {
        let harness = try await Harness()
        // A route on a workload interface that no endpoint wants: kept for the grace period (10 s from the first
        // dump), and an apply is scheduled for its end.
        try await harness.agent.withKernels { kernel, _ in
            let fake = kernel as! FakeKernel
            let caliweba = fake.link(named: "caliweba")!
            try fake.external(
                .addRoute(Route(destination: CIDR("203.0.113.9/32")!, outputInterface: caliweba.index, scope: .link)))
        }
        let before = await harness.agent.workDone.routeReconciliations
        await harness.agent.requestResync()
        try await waitFor("the resync that keeps the stray route") {
            await harness.agent.workDone.routeReconciliations > before
        }
        let kept = await harness.routes()
        #expect(kept.contains { $0.hasPrefix("203.0.113.9/32 dev caliweba") }, "kept at first: \(kept)")
        // A new remote block is programmed at once, not at the end of that grace period.
        _ = try await harness.store.create(
            try AgentCluster.resource(AgentCluster.block("198.51.100.32/28", node: "node-b")))
        try await waitFor("the new block's route") {
            await harness.routes().contains { $0.hasPrefix("198.51.100.32/28 via 198.51.100.17 dev vxlan.calico") }
        }
        let routes = await harness.routes()
        #expect(routes.contains { $0.hasPrefix("203.0.113.9/32 dev caliweba") }, "still in its grace period")
        try await harness.stop()
    }

    @Test func repairsWhatSomeoneElseChanged() async throws {
        let harness = try await Harness()
        // Someone deletes a route and Tabby's ip table.
        try await harness.agent.withKernels { kernel, ruleset in
            let fake = kernel as! FakeKernel
            let route = fake.routes().first { $0.description.hasPrefix("198.51.100.2/32 ") }!
            try fake.external(.deleteRoute(route))
            try ruleset.commit(Transaction([.deleteTable(Table(family: .ip, name: "tabby"))]))
        }
        #expect(await !harness.routes().contains { $0.hasPrefix("198.51.100.2/32 ") })
        // The ruleset is checked every half second by itself; routes at the next resync.
        try await waitFor("the ruleset repair") { try await !harness.setElements().isEmpty }
        await harness.agent.requestResync()
        try await waitFor("the route repair") { await harness.routes().contains { $0.hasPrefix("198.51.100.2/32 ") } }
        try await harness.stop()
    }

    @Test func aRefusedRulesetCommitIsInTheStatusWithItsErrno() async throws {
        let harness = try await Harness()
        await harness.agent.withKernels { _, ruleset in
            (ruleset as! FakeRulesetKernel).injectFailure = { operation in
                if case .addElements = operation { return Errno(ENOMEM) }
                return nil
            }
        }
        try await harness.write(
            AgentCluster.endpoint("webb", node: "node-b", ip: "198.51.100.18", labels: "app: cache"))
        try await harness.write(
            AgentCluster.endpoint("dbb", node: "node-b", ip: "198.51.100.19", labels: "app: web"))
        try await waitFor("the refusal in the status") {
            harness.agent.board.statusReport().errors.contains { $0.errno == "ENOMEM" }
        }
        let problem = harness.agent.board.statusReport().errors.first { $0.errno == "ENOMEM" }
        #expect(problem?.reason.contains("nf_tables") == true, "\(String(describing: problem))")
        // Once the kernel takes it again, the retry commits and the error goes.
        await harness.agent.withKernels { _, ruleset in (ruleset as! FakeRulesetKernel).injectFailure = nil }
        try await waitFor("the retry") { harness.agent.board.statusReport().errors.isEmpty }
        let sets = try await harness.setElements()
        #expect(sets.values.contains { $0.contains("198.51.100.19") }, "\(sets)")
        try await harness.stop()
    }

    @Test func reloadAppliesNewLocalSettings() async throws {
        let harness = try await Harness()
        let mtu = { () async -> UInt32? in
            await harness.agent.withKernels { kernel, _ in (kernel as! FakeKernel).link(named: "vxlan.calico")?.mtu }
                ?? nil
        }
        #expect(await mtu() == 1450)
        try "felix: {vxlanMTU: 1400}\n".write(
            toFile: harness.directory + "/tabbyd.yaml", atomically: true, encoding: .utf8)
        harness.signals.yield(.hangup)
        try await waitFor("the new MTU") { await mtu() == 1400 }
        // A broken file is refused and the running configuration stays.
        try "felix: {vxlanMTU: many}\n".write(
            toFile: harness.directory + "/tabbyd.yaml", atomically: true, encoding: .utf8)
        harness.signals.yield(.hangup)
        try await waitFor("the refusal in the status") {
            harness.agent.board.statusReport().errors.contains { $0.resource.hasPrefix("config") }
        }
        #expect(await mtu() == 1400)
        try await harness.stop()
    }
}

/// Waits until the agent has no apply pending and did none for a while.
private func settle(_ agent: NodeAgent) async throws {
    var last = await agent.workDone
    var quiet = 0
    while quiet < 5 {
        try await Task.sleep(for: .milliseconds(20))
        let now = await agent.workDone
        quiet = now == last ? quiet + 1 : 0
        last = now
    }
}
