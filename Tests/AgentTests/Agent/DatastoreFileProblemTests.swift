import CalicoAPI
import Dataplane
import Datastore
import Foundation
import Testing

@testable import Agent

/// The agent on a file datastore (the store where broken files come from) and the fake kernels: every unusable
/// file is a status error, named by path and line, until it is fixed or removed, and what good files programmed
/// stays programmed meanwhile.
@Suite("Agent: unusable datastore files in the status", .serialized)
struct DatastoreFileProblemTests {
    /// One agent on a file datastore holding `AgentCluster`, with a status socket.
    final class Harness: Sendable {
        let directory: String
        let datastore: String
        let socket: String
        let agent: NodeAgent
        let running: Task<Void, any Error>

        init() async throws {
            directory = NSTemporaryDirectory() + "tabby-agent-files-\(uniqueName())"
            datastore = directory + "/datastore"
            socket = directory + "/status.sock"
            let store = try FileDatastore(directory: datastore)
            for resource in try AgentCluster.resources() { _ = try await store.create(resource) }
            try "".write(toFile: directory + "/tabbyd.yaml", atomically: true, encoding: .utf8)
            let arguments = [
                "--node", AgentCluster.local, "--config", directory + "/tabbyd.yaml", "--node-ip", "192.0.2.10/24",
                "--datastore", datastore, "--status-socket", socket, "--mtu-file", directory + "/mtu",
            ]
            let configuration = try AgentConfiguration.load(arguments: arguments, environment: [:])
            let wiring = AgentWiring(
                openDatastore: { try FileDatastore(directory: $0.datastore) },
                openRouteKernel: {
                    let kernel = FakeKernel()
                    kernel.addLink(name: "eth0", kind: .other("veth"), mtu: 1500)
                    kernel.addLink(name: "caliweba")
                    kernel.addLink(name: "calidba")
                    return kernel
                },
                openRulesetKernel: { FakeRulesetKernel() })
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

        var errors: [StatusReport.Problem] { agent.board.statusReport().errors }

        func routes() async -> [String] {
            await agent.withKernels { kernel, _ in (kernel as! FakeKernel).routes().map(\.description) } ?? []
        }

        /// Writes a file of the datastore as a person would (in place, not by rename).
        func writeByHand(_ relativePath: String, _ text: String) throws {
            let path = datastore + "/" + relativePath
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
    }

    @Test func aGarbageFileIsAStatusErrorUntilRemoved() async throws {
        let harness = try await Harness()
        #expect(harness.errors.isEmpty, "\(harness.errors)")
        let path = harness.datastore + "/globalnetworkpolicies/garbage.yaml"
        try harness.writeByHand("globalnetworkpolicies/garbage.yaml", "kind: GlobalNetworkPolicy\nspec: {order: [\n")
        try await waitFor("the garbage file in the errors") {
            harness.errors.contains { $0.resource == "file " + path }
        }
        let problem = try #require(harness.errors.first { $0.resource == "file " + path })
        #expect(problem.reason.contains("line "), "\(problem.reason)")
        #expect(MetricsSamples(harness.agent.board.metricsText())["tabby_status_errors"] == 1)

        try FileManager.default.removeItem(atPath: path)
        try await waitFor("the error to go with the file") { harness.errors.isEmpty }
        try await harness.stop()
    }

    @Test func aCorruptedEndpointIsAStatusErrorAndKeepsItsRouteUntilFixed() async throws {
        let harness = try await Harness()
        let relative = "workloadendpoints/shop/weba.yaml"
        let path = harness.datastore + "/" + relative
        let good = try String(contentsOfFile: path, encoding: .utf8)
        #expect(await harness.routes().contains { $0.hasPrefix("198.51.100.2/32 ") })

        // An invalid field on line 7 of the file.
        try harness.writeByHand(
            relative,
            AgentCluster.endpoint("weba", node: "node-a", ip: "198.51.100.2", labels: "app: web")
                .replacingOccurrences(of: "interfaceName: caliweba", with: "interfaceName: 'bad name&'"))
        try await waitFor("the corrupted endpoint in the errors") {
            harness.errors.contains { $0.resource == "file " + path }
        }
        let problem = try #require(harness.errors.first { $0.resource == "file " + path })
        #expect(problem.reason.hasPrefix("line 7: WorkloadEndpoint"), "\(problem.reason)")
        #expect(problem.reason.contains("interfaceName"), "\(problem.reason)")
        // The last good content stays in effect: its route is still programmed.
        let applies = await harness.agent.workDone.applies
        await harness.agent.requestResync()
        try await waitFor("the resync's apply") { await harness.agent.workDone.applies > applies }
        #expect(await harness.routes().contains { $0.hasPrefix("198.51.100.2/32 ") })

        // Fixed back to exactly its last good content: no resource changes, the error still goes.
        try harness.writeByHand(relative, good)
        try await waitFor("the error to go once the file is fixed") { harness.errors.isEmpty }
        #expect(await harness.routes().contains { $0.hasPrefix("198.51.100.2/32 ") })
        try await harness.stop()
    }

    @Test func tabbyctlNodeStatusListsTheUnusableFile() async throws {
        let harness = try await Harness()
        let tabbyctl = try tabbyctlBinary()
        #expect(try nodeStatus(tabbyctl, socket: harness.socket).contains("Errors: none"))

        let path = harness.datastore + "/ippools/broken.yaml"
        try harness.writeByHand(
            "ippools/broken.yaml",
            "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: broken}\nspec: {cidr: 7}\n")
        try await waitFor("the broken pool in the errors") { !harness.errors.isEmpty }
        let output = try nodeStatus(tabbyctl, socket: harness.socket)
        #expect(!output.contains("Errors: none"), "\(output)")
        let row = try #require(output.split(separator: "\n").first { $0.contains("file " + path) }, "\(output)")
        #expect(row.contains("line 4"), "\(row)")

        try FileManager.default.removeItem(atPath: path)
        try await waitFor("the error to go") { harness.errors.isEmpty }
        #expect(try nodeStatus(tabbyctl, socket: harness.socket).contains("Errors: none"))
        try await harness.stop()
    }

    @Test func problemsOfAFileFixedWhileNoWatchRanGoAtTheNextSync() {
        var problems = DatastoreFileProblems()
        let broken = DatastoreProblem(path: "/d/ippools/a.yaml", error: ResourceError(reason: "bad"))
        let other = DatastoreProblem(path: "/d/ippools/b.yaml", error: ResourceError(reason: "worse"))
        problems.watchStarted()
        var changes = [problems.record(broken), problems.record(broken), problems.record(other), problems.synced()]
        #expect(changes == [true, false, true, false])
        // The watch restarts; meanwhile a.yaml was fixed, so its snapshot reports only b.yaml.
        problems.watchStarted()
        changes = [problems.record(other)]
        #expect(changes == [false])
        #expect(problems.byPath.count == 2)
        changes = [problems.synced()]
        #expect(changes == [true])
        #expect(problems.statusProblems.map(\.resource) == ["file /d/ippools/b.yaml"])
        changes = [problems.clear(path: "/d/ippools/b.yaml"), problems.clear(path: "/d/ippools/b.yaml")]
        #expect(changes == [true, false])
        #expect(problems.statusProblems.isEmpty)
    }
}

/// tabbyctl, built next to this test bundle.
private func tabbyctlBinary() throws -> String {
    let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let path = (testBinary as NSString).deletingLastPathComponent + "/tabbyctl"
    try #require(
        FileManager.default.isExecutableFile(atPath: path),
        "tabbyctl is not built at \(path); build it with `swift build --build-tests`")
    return path
}

private func nodeStatus(_ tabbyctl: String, socket: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tabbyctl)
    process.arguments = ["node", "status", "--status-socket", socket]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
