import Foundation
import Glibc

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

/// The nearest-rank 99th percentile (the 99th of 100 samples).
func p99(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[max(0, Int((0.99 * Double(sorted.count)).rounded(.up)) - 1)]
}

func ms(_ value: Double) -> String {
    if value.isNaN { return "-" }
    if value >= 1000 { return String(format: "%.2f s", value / 1000) }
    return String(format: value < 10 ? "%.2f ms" : "%.1f ms", value)
}

func ratio(_ value: Double) -> String { value.isNaN ? "-" : String(format: value < 0.1 ? "%.3fx" : "%.2fx", value) }

/// Machine-wide busy share (0-100) over `interval`, from /proc/stat.
func busyPercent(over interval: Duration = .milliseconds(200)) -> Double {
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
    usleep(UInt32(milliseconds(interval) * 1000))
    let second = sample()
    let total = second.total - first.total
    return total > 0 ? 100 * (second.busy - first.busy) / total : 0
}

/// Waits (at most `limit`) until other work on the machine is below `threshold` percent busy, so that a
/// measurement does not start in the middle of a neighbour's build burst; returns the last reading.
@discardableResult
func waitForQuiet(threshold: Double = 25, limit: Duration = .seconds(3)) -> Double {
    let deadline = ContinuousClock.now + limit
    var busy = busyPercent()
    while busy > threshold && ContinuousClock.now < deadline { busy = busyPercent() }
    return busy
}

/// `VmRSS` and `VmHWM` of a process, in MiB.
func memory(of pid: pid_t) -> (rss: Double, peak: Double) {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (.nan, .nan) }
    func field(_ name: String) -> Double {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return .nan }
        return kilobytes / 1024
    }
    return (field("VmRSS"), field("VmHWM"))
}
