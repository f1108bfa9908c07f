// ipam-bench: IPAM assignment throughput with 1, 2 and 8 concurrent writer processes on one file datastore,
// and the worker those processes (and the IPAM concurrency test) run.
//
//   ipam-bench [--ops N] [--writers 1,2,8]          run the benchmark and print the figures
//   ipam-bench worker DIR NODE OPS SEED LOGFILE     assign and release at random, logging every step
import CalicoAPI
import Datastore
import Foundation
import IPAM
import NetworkAddress

#if canImport(Glibc)
    import Glibc
#endif

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Appends lines to a log file, one write(2) per line so lines of a killed process are never torn.
final class EventLog {
    let fd: Int32
    init(path: String) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        precondition(fd >= 0, "cannot open \(path)")
    }
    func write(_ line: String) {
        var text = line
        text += "\n"
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }
    deinit { close(fd) }
}

/// A tiny deterministic generator (SplitMix64), so a worker's choices depend only on its seed.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Log lines: `A <ns> <address> <handle>` after an assignment succeeded, `R <ns> <address> <handle>` before a
/// release starts, `r <ns> <address> <handle>` after it succeeded. A test replays them to prove that no address
/// was ever held twice at once.
func worker(directory: String, node: String, operations: Int, seed: UInt64, logPath: String) async throws {
    let store = try FileDatastore(directory: directory)
    let ipam = IPAMClient(datastore: store)
    let log = EventLog(path: logPath)
    var random = SplitMix64(state: seed)
    var held: [(address: IPAddress, handle: String)] = []
    var counter = 0
    for _ in 0..<operations {
        if held.isEmpty || random.next() % 100 < 55 {
            counter += 1
            let handle = "w\(getpid())-\(counter)"
            let addresses = try await ipam.assign(count: 1, handle: handle, attributes: ["pod": handle], node: node)
            log.write("A \(monotonicNanoseconds()) \(addresses[0]) \(handle)")
            held.append((addresses[0], handle))
        } else {
            let index = Int(random.next() % UInt64(held.count))
            let victim = held.remove(at: index)
            log.write("R \(monotonicNanoseconds()) \(victim.address) \(victim.handle)")
            _ = try await ipam.release(handle: victim.handle)
            log.write("r \(monotonicNanoseconds()) \(victim.address) \(victim.handle)")
        }
    }
}

func makeDatastore(nodes: Int) async throws -> String {
    let directory = "/tmp/tabby-ipam-bench-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
    let store = try FileDatastore(directory: directory)
    var spec = IPPoolSpec(cidr: try CIDR(parsing: "10.128.0.0/16"))
    spec.blockSize = 26
    _ = try await store.create(AnyResource(IPPool(name: "bench", spec: spec)))
    for index in 0..<nodes { _ = try await store.create(AnyResource(Node(name: "node-\(index)"))) }
    return directory
}

func runWriters(_ writers: Int, operations: Int) async throws -> (seconds: Double, assigns: Int) {
    let directory = try await makeDatastore(nodes: 4)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let start = monotonicNanoseconds()
    var processes: [Process] = []
    var logs: [String] = []
    for index in 0..<writers {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        let log = "\(directory)-w\(index).log"
        logs.append(log)
        process.arguments = ["worker", directory, "node-\(index % 4)", String(operations), String(index + 1), log]
        try process.run()
        processes.append(process)
    }
    for process in processes { process.waitUntilExit() }
    let seconds = Double(monotonicNanoseconds() - start) / 1e9
    var assigns = 0
    for log in logs {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        assigns += text.split(separator: "\n").filter { $0.hasPrefix("A ") }.count
        try? FileManager.default.removeItem(atPath: log)
    }
    for process in processes where process.terminationStatus != 0 {
        throw NSError(domain: "ipam-bench", code: Int(process.terminationStatus))
    }
    return (seconds, assigns)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "worker" {
    guard arguments.count == 6, let operations = Int(arguments[3]), let seed = UInt64(arguments[4]) else {
        FileHandle.standardError.write("usage: ipam-bench worker DIR NODE OPS SEED LOGFILE\n".data(using: .utf8)!)
        exit(2)
    }
    do {
        try await worker(directory: arguments[1], node: arguments[2], operations: operations, seed: seed, logPath: arguments[5])
    } catch {
        FileHandle.standardError.write("worker failed: \(error)\n".data(using: .utf8)!)
        exit(1)
    }
    exit(0)
}

var operations = 300
var writerCounts = [1, 2, 8]
var repetitions = 3
var index = 0
while index < arguments.count {
    switch arguments[index] {
    case "--ops": operations = Int(arguments[index + 1]) ?? operations; index += 1
    case "--writers": writerCounts = arguments[index + 1].split(separator: ",").compactMap { Int($0) }; index += 1
    case "--repeat": repetitions = Int(arguments[index + 1]) ?? repetitions; index += 1
    default: break
    }
    index += 1
}
print("IPAM assignment throughput on a file datastore (\(operations) operations per writer: ~55% assign, ~45% release)")
print("writers  assigns/s (median of \(repetitions))  operations/s  wall (s)")
var single = 0.0
for writers in writerCounts {
    var rates: [Double] = []
    var opsRates: [Double] = []
    var walls: [Double] = []
    for _ in 0..<repetitions {
        let (seconds, assigns) = try await runWriters(writers, operations: operations)
        rates.append(Double(assigns) / seconds)
        opsRates.append(Double(writers * operations) / seconds)
        walls.append(seconds)
    }
    if writers == writerCounts.first { single = median(opsRates) }
    let scaling = single > 0 ? String(format: " (%.2fx of 1 writer)", median(opsRates) / single) : ""
    print(String(format: "%7d  %26.0f  %12.0f  %8.2f", writers, median(rates), median(opsRates), median(walls)) + scaling)
}
