import CalicoAPI
import Datastore
import Foundation
import Testing

@testable import IPAM

#if canImport(Glibc)
    import Glibc
#endif

/// Where `swift build` put the executables: next to the test bundle.
enum BuildProducts {
    static let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent()

    static func executable(_ name: String) -> String? {
        let path = directory.appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}

/// Replays worker logs: every address's holding periods (from a logged assignment to the start of its release)
/// must never overlap.
struct HoldLog {
    struct Hold {
        var start: UInt64
        var end: UInt64
        var handle: String
    }

    var holds: [String: [Hold]] = [:]
    var assigns = 0
    var releases = 0

    mutating func read(_ path: String) throws {
        var open: [String: (UInt64, String)] = [:]
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 4, let time = UInt64(fields[1]) else { continue }
            let address = String(fields[2])
            let handle = String(fields[3])
            switch fields[0] {
            case "A":
                assigns += 1
                open[handle] = (time, address)
            case "R":
                if let (start, held) = open.removeValue(forKey: handle) {
                    holds[held, default: []].append(Hold(start: start, end: time, handle: handle))
                }
            case "r":
                releases += 1
            default: break
            }
        }
        for (handle, (start, address)) in open {
            holds[address, default: []].append(Hold(start: start, end: .max, handle: handle))
        }
    }

    /// Addresses that two handles held at the same time.
    var doubleHandouts: [String] {
        holds.compactMap { address, list in
            let sorted = list.sorted { $0.start < $1.start }
            for (previous, next) in zip(sorted, sorted.dropFirst()) where next.start < previous.end {
                return "\(address): \(previous.handle) and \(next.handle)"
            }
            return nil
        }
    }
}

@Suite("IPAM between processes", .serialized)
struct ConcurrencyTests {
    static let worker = BuildProducts.executable("ipam-bench")

    func makeDirectory() async throws -> String {
        let directory = "/tmp/tabby-ipam-test-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        let store = try FileDatastore(directory: directory)
        var spec = IPPoolSpec(cidr: cidr("10.128.0.0/20"))
        spec.blockSize = 26
        _ = try await store.create(AnyResource(IPPool(name: "stress", spec: spec)))
        for node in 0..<4 { _ = try await store.create(AnyResource(Node(name: "node-\(node)"))) }
        return directory
    }

    func start(_ count: Int, directory: String, operations: Int, round: Int) throws -> [(Process, String)] {
        try (0..<count).map { index in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.worker!)
            let log = "\(directory).r\(round)w\(index).log"
            process.arguments = [
                "worker", directory, "node-\(index % 4)", String(operations), String(round * 100 + index + 1), log,
            ]
            try process.run()
            return (process, log)
        }
    }

    @Test(
        "8 processes on 4 nodes assign and release 500 addresses each",
        .enabled(if: worker != nil, "the ipam-bench executable is not built"))
    func eightWriters() async throws {
        let directory = try await makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let workers = try start(8, directory: directory, operations: 500, round: 0)
        var log = HoldLog()
        for (process, path) in workers {
            await process.exited()
            #expect(process.terminationStatus == 0)
            try log.read(path)
            try? FileManager.default.removeItem(atPath: path)
        }
        #expect(log.doubleHandouts.isEmpty, "\(log.doubleHandouts)")
        let ipam = IPAMClient(datastore: try FileDatastore(directory: directory))
        let report = try await ipam.check(repair: false)
        #expect(report.isClean, "\(report.problems)")
        #expect(try await ipam.allocations().count == log.assigns - log.releases)
        #expect(log.assigns > 1000)
    }

    @Test(
        "writers killed with SIGKILL: repair restores consistency and nothing is handed out twice",
        .enabled(if: worker != nil, "the ipam-bench executable is not built"))
    func killedWriters() async throws {
        let directory = try await makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var log = HoldLog()
        for round in 0..<3 {
            let workers = try start(8, directory: directory, operations: 300, round: round)
            try await Task.sleep(for: .milliseconds(400 + 300 * round))
            for (index, (process, _)) in workers.enumerated() where index % 2 == 0 && process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            for (process, path) in workers {
                await process.exited()
                if process.terminationReason == .exit { #expect(process.terminationStatus == 0) }
                try log.read(path)
                try? FileManager.default.removeItem(atPath: path)
            }
            let ipam = IPAMClient(datastore: try FileDatastore(directory: directory))
            let repaired = try await ipam.check(repair: true)
            #expect(repaired.unrepaired.isEmpty, "\(repaired.unrepaired)")
            let after = try await ipam.check(repair: false)
            #expect(after.isClean, "round \(round): \(after.problems)")
        }
        #expect(log.doubleHandouts.isEmpty, "\(log.doubleHandouts)")
    }
}
