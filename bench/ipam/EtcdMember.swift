import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One etcd member (Debian's `etcd`) started by the benchmark on loopback, with its data directory under
/// `parent` (the file datastore's disk, so that both pay the same fsyncs), stopped by its PID.
final class EtcdMember {
    let endpoint: String
    let dataDirectory: String
    private let process: Process

    static var executable: String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(parent: String) throws {
        guard let executable = Self.executable else {
            throw UsageError("etcd is not installed (apt-get install etcd-server; `make deps` does)")
        }
        let ports = try freePorts(2)
        endpoint = "http://127.0.0.1:\(ports[0])"
        let peer = "http://127.0.0.1:\(ports[1])"
        dataDirectory = "\(parent)/tabby-ipam-bench-etcd-\(getpid())"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--name", "bench", "--data-dir", dataDirectory, "--listen-client-urls", endpoint,
            "--advertise-client-urls", endpoint, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "bench=\(peer)", "--initial-cluster-token", "tabby-ipam-bench-\(getpid())",
            // No automatic snapshot in the middle of a run: 10,000 entries is etcd 3.4's default.
            "--snapshot-count", "1000000",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while (try? Self.curl(endpoint + "/health")) == nil {
            guard process.isRunning, Date() < deadline else {
                stop()
                throw UsageError("etcd at \(endpoint) did not become healthy within 20 s")
            }
            usleep(50_000)
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// Removes every key under `/calico/` (between runs), with etcdctl.
    func wipe() throws {
        try Self.run("/usr/bin/etcdctl", ["--endpoints", endpoint, "del", "--prefix", "/calico/"])
    }

    /// etcd's own counters: WAL fsyncs and their total time, backend commits, and the KV requests served.
    func counters() throws -> EtcdCounters {
        let text = try Self.curl(endpoint + "/metrics")
        var counters = EtcdCounters()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let value = Double(fields[1]) else { continue }
            let name = fields[0]
            switch name {
            case "etcd_disk_wal_fsync_duration_seconds_count": counters.fsyncs = value
            case "etcd_disk_wal_fsync_duration_seconds_sum": counters.fsyncSeconds = value
            case "etcd_disk_backend_commit_duration_seconds_count": counters.commits = value
            case "etcd_disk_backend_commit_duration_seconds_sum": counters.commitSeconds = value
            default:
                guard name.hasPrefix("grpc_server_handled_total{"), name.contains("grpc_service=\"etcdserverpb.KV\"")
                else { continue }
                if name.contains("grpc_method=\"Range\"") { counters.ranges += value }
                if name.contains("grpc_method=\"Txn\"") { counters.txns += value }
                if name.contains("grpc_method=\"Put\"") || name.contains("grpc_method=\"DeleteRange\"") {
                    counters.otherWrites += value
                }
            }
        }
        return counters
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    deinit { stop() }

    static func curl(_ url: String) throws -> String {
        try run("/usr/bin/curl", ["-sf", "-m", "2", url])
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw UsageError("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Cumulative counters from etcd's `/metrics`; subtract two readings for one run.
struct EtcdCounters {
    var fsyncs = 0.0
    var fsyncSeconds = 0.0
    var commits = 0.0
    var commitSeconds = 0.0
    var ranges = 0.0
    var txns = 0.0
    var otherWrites = 0.0

    static func - (after: EtcdCounters, before: EtcdCounters) -> EtcdCounters {
        EtcdCounters(
            fsyncs: after.fsyncs - before.fsyncs, fsyncSeconds: after.fsyncSeconds - before.fsyncSeconds,
            commits: after.commits - before.commits, commitSeconds: after.commitSeconds - before.commitSeconds,
            ranges: after.ranges - before.ranges, txns: after.txns - before.txns,
            otherWrites: after.otherWrites - before.otherWrites)
    }
}

/// Loopback TCP ports nobody listens on right now (bound, read back, released).
func freePorts(_ count: Int) throws -> [Int] {
    var descriptors: [Int32] = []
    defer { descriptors.forEach { close($0) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw UsageError("socket: errno \(errno)") }
        descriptors.append(descriptor)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw UsageError("bind: errno \(errno)") }
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
}
