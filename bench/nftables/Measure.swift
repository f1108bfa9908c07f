import Glibc

/// Monotonic time in seconds.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = now()
    try body()
    return now() - start
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Machine-wide busy share over `interval` seconds, from /proc/stat.
func busyShare(over interval: Double = 1) -> Double {
    func sample() -> (busy: Double, total: Double) {
        guard let file = fopen("/proc/stat", "r") else { return (0, 1) }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        guard fgets(&line, Int32(line.count), file) != nil else { return (0, 1) }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 5 else { return (0, 1) }
        let idle = fields[3] + fields[4]
        let total = fields.reduce(0, +)
        return (total - idle, total)
    }
    let first = sample()
    usleep(UInt32(interval * 1e6))
    let second = sample()
    return (second.busy - first.busy) / max(second.total - first.total, 1)
}

/// Waits (up to `limit` seconds) until other builders on this shared machine leave it mostly idle.
func waitForQuietMachine(below threshold: Double = 0.2, limit: Double = 45) -> Double {
    let start = now()
    var busy = busyShare()
    while busy > threshold && now() - start < limit { busy = busyShare() }
    return busy
}

func milliseconds(_ seconds: Double) -> String {
    let value = seconds * 1000
    if value < 1 { return format(value, digits: 3) }
    if value < 100 { return format(value, digits: 1) }
    return format(value, digits: 0)
}

func format(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if digits == 0, text.hasSuffix(".0") { text.removeLast(2) }
    if let dot = text.firstIndex(of: "."), digits > 0 {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    }
    return text
}
