import CalicoAPI
import Datastore
import Etcd
import EtcdTestSupport
import Foundation
import NetworkAddress
import Testing

@testable import IPAM

#if canImport(Glibc)
    import Glibc
#endif

/// IPAM under contention over a real etcd member: worker processes (`ipam-bench worker --datastore-type etcdv3`)
/// on 4 nodes assign and release at once, some of them SIGKILLed in the middle and started again.
@Suite("IPAM between processes over etcd", .serialized)
struct EtcdContentionTests {
    static let worker = BuildProducts.executable("ipam-bench")

    /// A pool of 64 /26 blocks and 4 Nodes, written through the etcd datastore.
    func seed(_ server: EtcdTestServer) async throws -> any Datastore {
        let store = try Datastores.open(.etcdV3(EtcdSettings(endpoints: [server.endpoint])))
        var spec = IPPoolSpec(cidr: cidr("10.128.0.0/20"))
        spec.blockSize = 26
        _ = try await store.create(AnyResource(IPPool(name: "stress", spec: spec)))
        for node in 0..<4 { _ = try await store.create(AnyResource(Node(name: "node-\(node)"))) }
        return store
    }

    /// Starts worker `index` of `round` (node `index % 4`) with a log of its own under `prefix`.
    func start(index: Int, round: Int, operations: Int, server: EtcdTestServer, prefix: String) throws -> (
        Process, String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.worker!)
        let log = "\(prefix).r\(round)w\(index).log"
        process.arguments = [
            "worker", "--datastore-type", "etcdv3", "--etcd-endpoints", server.endpoint, "node-\(index % 4)",
            String(operations), String(round * 100 + index + 1), log,
        ]
        try process.run()
        return (process, log)
    }

    /// Waits until the log at `path` has `lines` lines (the worker is in the middle of its run), at most 60 s.
    func waitForProgress(_ path: String, lines: Int, of process: Process) async {
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count >= lines { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test(
        "8 writers on 4 nodes over etcd, half SIGKILLed mid-run and restarted: no address held twice, check clean",
        .enabled(if: worker != nil, "the ipam-bench executable is not built"),
        .enabled(if: EtcdTestServer.skipReason == nil, "etcd is not installed (apt-get install etcd-server)"))
    func killedAndRestartedWriters() async throws {
        let server = try EtcdTestServer.start()
        defer { server.stop() }
        let store = try await seed(server)
        let ipam = IPAMClient(datastore: store)
        let prefix = "/tmp/tabby-ipam-etcd-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        var log = HoldLog()
        var killed = 0
        for round in 0..<2 {
            var workers = try (0..<8).map {
                try start(index: $0, round: round, operations: 150, server: server, prefix: prefix)
            }
            // Half the writers die in the middle of their run (between any two requests, or inside one), and a
            // new writer takes each one's place on the same node.
            for index in stride(from: 0, to: 8, by: 2) {
                let (process, path) = workers[index]
                await waitForProgress(path, lines: 20 + 10 * index, of: process)
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    killed += 1
                }
                workers.append(
                    try start(index: index + 8, round: round, operations: 60, server: server, prefix: prefix))
            }
            for (process, path) in workers {
                await process.exited()
                if process.terminationReason == .exit {
                    #expect(process.terminationStatus == 0, "worker \(path) failed")
                }
                try log.read(path)
                try? FileManager.default.removeItem(atPath: path)
            }
            // What killed writers leave (a handle counted before its block write, an allocation never logged) is
            // what `tabbyctl ipam check --repair` mends; after it the datastore is consistent.
            let repaired = try await ipam.check(repair: true)
            #expect(repaired.unrepaired.isEmpty, "round \(round): \(repaired.unrepaired)")
            let after = try await ipam.check(repair: false)
            #expect(after.isClean, "round \(round): \(after.problems)")
        }
        #expect(killed > 0, "no writer was killed mid-run")
        #expect(log.doubleHandouts.isEmpty, "\(log.doubleHandouts)")
        #expect(log.assigns > 500, "only \(log.assigns) assignments")

        // No address is allocated twice across all blocks, and every allocation's handle exists and counts it.
        let allocations = try await ipam.allocations()
        var seen: [IPAddress: String] = [:]
        for allocation in allocations {
            if let other = seen[allocation.address] {
                Issue.record("\(allocation.address) is allocated to \(other) and \(allocation.handle ?? "-")")
            }
            seen[allocation.address] = allocation.handle ?? "-"
        }
        let handles = Set(try await ipam.listHandles().map(\.spec.handleID))
        for allocation in allocations {
            #expect(allocation.handle.map(handles.contains) == true, "\(allocation.address): no handle")
        }
        // Every allocation the logs do not show released is still there, under its handle.
        for (address, holds) in log.holds {
            guard let open = holds.first(where: { $0.end == .max }), let parsed = IPAddress(address) else { continue }
            #expect(seen[parsed] == open.handle, "\(address) of \(open.handle) is gone")
        }

        // The leftovers are released the way an operator (or the plugin's GC) does: by handle.
        for handle in handles { _ = try await ipam.release(handle: handle) }
        #expect(try await ipam.allocations().isEmpty)
        let final = try await ipam.check(repair: false)
        #expect(final.isClean, "after releasing every handle: \(final.problems)")
    }
}
