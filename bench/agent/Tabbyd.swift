import Foundation
import Glibc

/// One tabbyd started as node-0 (or `node`) inside a namespace (`ip netns exec` execs it, so the PID is tabbyd's), timed
/// from the spawn until `/readiness` on its status socket answers 200 (the first apply is done).
final class Tabbyd {
    let pid: pid_t
    let client: StatusClient
    let logPath: String
    /// Spawn to ready, in milliseconds.
    let coldStart: Double
    /// The wall clock at the spawn, in seconds (tabbyd's log lines carry wall-clock times).
    let spawnedAt: Double
    private let cleanup: Cleanup
    private var running = true
    /// How tabbyd reaches its etcd member from its namespace (stopped with tabbyd).
    private let relay: LoopbackForwarder?

    init(
        binary: String, namespace: String, datastoreArguments: [String], scratch: String, tag: String,
        extraArguments: [String], relay: LoopbackForwarder? = nil, node: String = Cluster.localNode,
        address: String = Cluster.localAddress, cleanup: Cleanup
    ) throws {
        self.relay = relay
        let socket = "\(scratch)/\(tag).sock"
        let config = "\(scratch)/\(tag).yaml"
        logPath = "\(scratch)/\(tag).log"
        try "nodeName: \(node)\nfelix: {}\n".write(toFile: config, atomically: false, encoding: .utf8)
        client = StatusClient(socketPath: socket)
        self.cleanup = cleanup
        let arguments =
            [
                "ip", "netns", "exec", namespace, binary, "--node", node,
            ] + datastoreArguments + [
                "--node-ip", address, "--config", config, "--status-socket", socket,
                "--mtu-file", "\(scratch)/\(tag).mtu",
            ] + extraArguments
        spawnedAt = Self.wallClock()
        let started = ContinuousClock.now
        pid = try Processes.spawn(arguments, logPath: logPath)
        cleanup.started(pid)
        var ready: ContinuousClock.Instant?
        while ready == nil {
            if let response = client.get("/readiness"), response.status == 200 {
                ready = ContinuousClock.now
                break
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                cleanup.stopped(pid)
                running = false
                throw BenchError(
                    "tabbyd exited (wait status \(status)) before it was ready; see \(logPath):\n"
                        + Self.tail(of: logPath))
            }
            if ContinuousClock.now - started > .seconds(120) {
                throw BenchError("tabbyd was not ready after 120 s; see \(logPath):\n" + Self.tail(of: logPath))
            }
            usleep(1000)
        }
        coldStart = milliseconds(ready! - started)
    }

    /// Where the cold start went, from tabbyd's log (millisecond stamps), in milliseconds since the spawn: its
    /// first line ("starting": process and runtime start, `ip netns exec` included), "status server listening"
    /// (Node registration and the tunnel address check, which lists pools and blocks), "datastore in sync" (the
    /// watch's snapshot: every resource file read and decoded), the first "applied" (kernel dump and apply).
    func startupPhases() -> (starting: Double, listening: Double, inSync: Double, applied: Double)? {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return nil }
        var stamps: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            guard fields.count == 2, let time = Self.parseTime(fields[0]) else { continue }
            let message = fields[1].drop { $0 != " " }.drop { $0 == " " }
            for key in ["starting", "status server listening", "datastore in sync", "applied"]
            where message.hasPrefix(key) && stamps[key] == nil {
                stamps[key] = (time - spawnedAt) * 1000
            }
        }
        guard let starting = stamps["starting"], let listening = stamps["status server listening"],
            let inSync = stamps["datastore in sync"], let applied = stamps["applied"]
        else { return nil }
        return (starting, listening, inSync, applied)
    }

    /// `2026-11-24T06:06:03.123Z` as seconds since the epoch.
    static func parseTime(_ text: Substring) -> Double? {
        let digits = text.split { !$0.isNumber }.compactMap { Int($0) }
        guard digits.count == 7, text.hasSuffix("Z") else { return nil }
        var parts = tm()
        parts.tm_year = Int32(digits[0] - 1900)
        parts.tm_mon = Int32(digits[1] - 1)
        parts.tm_mday = Int32(digits[2])
        parts.tm_hour = Int32(digits[3])
        parts.tm_min = Int32(digits[4])
        parts.tm_sec = Int32(digits[5])
        return Double(timegm(&parts)) + Double(digits[6]) / 1000
    }

    static func wallClock() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    func logTail() -> String { Self.tail(of: logPath) }

    static func tail(of logPath: String) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    func stop() {
        guard running else { return }
        running = false
        Processes.stop(pid)
        cleanup.stopped(pid)
        relay?.stop()
    }

    deinit { stop() }
}
