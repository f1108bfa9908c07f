import Foundation
import Glibc

/// Latency samples of one case (one plugin set, one operation, one way of running), in milliseconds.
struct Samples {
    var wall: [Double] = []
    var cpu: [Double] = []

    mutating func add(_ outcome: Outcome) {
        wall.append(outcome.wallMilliseconds)
        cpu.append(outcome.cpuMilliseconds)
    }

    var median: Double { percentile(wall, 0.5) }
    var p99: Double { percentile(wall, 0.99) }
    var mean: Double { wall.isEmpty ? .nan : wall.reduce(0, +) / Double(wall.count) }
    var cpuMedian: Double { percentile(cpu, 0.5) }
}

/// The nearest-rank percentile: the 99th of 100 samples for 0.99, the 50th for 0.5.
func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))]
}

func ms(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.2f", value) }

func ratio(_ value: Double) -> String { value.isNaN ? "-" : String(format: "%.2fx", value) }

/// Prints a line at once (stdout is block-buffered when piped).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Machine-wide busy share (0-100) over `seconds`, from /proc/stat.
func busyPercent(over seconds: Double) -> Double {
    func sample() -> (busy: Double, total: Double) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first
        else { return (0, 0) }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 5 else { return (0, 0) }
        let idle = fields[3] + fields[4]
        let total = fields.reduce(0, +)
        return (total - idle, total)
    }
    let first = sample()
    usleep(UInt32(seconds * 1e6))
    let second = sample()
    let total = second.total - first.total
    return total > 0 ? 100 * (second.busy - first.busy) / total : 0
}

/// The 1-, 5- and 15-minute load averages, as /proc/loadavg has them.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}

/// Waits before a measurement until other tenants leave the machine mostly idle (at most `limit` seconds), so that
/// both plugin sets see a quiet machine; keeps the readings for the report.
final class QuietGate {
    let enabled: Bool
    let threshold: Double
    let limit: Double
    private(set) var readings: [Double] = []
    private(set) var timeouts = 0

    init(enabled: Bool, threshold: Double = 25, limit: Double = 2) {
        self.enabled = enabled
        self.threshold = threshold
        self.limit = limit
    }

    func wait() {
        guard enabled else { return }
        let deadline = now() + limit
        var busy = busyPercent(over: 0.1)
        while busy > threshold {
            if now() > deadline {
                timeouts += 1
                break
            }
            busy = busyPercent(over: 0.1)
        }
        readings.append(busy)
    }
}
