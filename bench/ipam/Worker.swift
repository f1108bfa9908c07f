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

/// Assigns and releases at random on `store` as `node`, logging every step.
///
/// Log lines: `A <ns> <address> <handle>` after an assignment succeeded, `R <ns> <address> <handle>` before a
/// release starts, `r <ns> <address> <handle>` after it succeeded. A test replays them to prove that no address
/// was ever held twice at once.
func worker(store: any Datastore, node: String, operations: Int, seed: UInt64, logPath: String) async throws {
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
