import Foundation
import Glibc

/// One etcd member (Debian's `etcd`) on loopback for one scenario, its data directory under `parent`, started
/// with `posix_spawn` and stopped by its PID (also by `Cleanup` when the benchmark is interrupted).
final class EtcdMember {
    let endpoint: String
    let port: Int
    let dataDirectory: String
    let pid: pid_t
    private let cleanup: Cleanup
    private var running = true

    static var executable: String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(name: String, parent: String, cleanup: Cleanup) throws {
        guard let executable = Self.executable else {
            throw BenchError("etcd is not installed (apt-get install etcd-server; `make deps` does)")
        }
        let ports = try freePorts(2)
        port = ports[0]
        endpoint = "http://127.0.0.1:\(ports[0])"
        let peer = "http://127.0.0.1:\(ports[1])"
        dataDirectory = "\(parent)/etcd-\(name)"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        self.cleanup = cleanup
        pid = try Processes.spawn(
            [
                executable, "--name", name, "--data-dir", dataDirectory, "--listen-client-urls", endpoint,
                "--advertise-client-urls", endpoint, "--listen-peer-urls", peer, "--initial-advertise-peer-urls",
                peer, "--initial-cluster", "\(name)=\(peer)", "--initial-cluster-token", "tabby-bench-\(name)",
                "--snapshot-count", "1000000",
            ], logPath: "\(parent)/etcd-\(name).log")
        cleanup.started(pid)
        let deadline = ContinuousClock.now + .seconds(20)
        while !Self.healthy(endpoint) {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                running = false
                cleanup.stopped(pid)
                throw BenchError("etcd \(name) exited while starting (see \(parent)/etcd-\(name).log)")
            }
            if ContinuousClock.now > deadline { throw BenchError("etcd \(name) not healthy at \(endpoint) in 20 s") }
            usleep(50_000)
        }
    }

    /// The WAL fsyncs so far and their total time (etcd's `/metrics`).
    func walFsyncs() -> (count: Double, seconds: Double) {
        let text = (try? Self.capture(["curl", "-sf", "-m", "2", endpoint + "/metrics"])) ?? ""
        var count = Double.nan
        var seconds = Double.nan
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 2, let value = Double(fields[1]) else { continue }
            if fields[0] == "etcd_disk_wal_fsync_duration_seconds_count" { count = value }
            if fields[0] == "etcd_disk_wal_fsync_duration_seconds_sum" { seconds = value }
        }
        return (count, seconds)
    }

    func stop() {
        guard running else { return }
        running = false
        Processes.stop(pid)
        cleanup.stopped(pid)
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }

    deinit { stop() }

    private static func healthy(_ endpoint: String) -> Bool {
        (try? Processes.run("curl", "-sf", "-m", "1", "-o", "/dev/null", endpoint + "/health")) != nil
    }

    /// Runs a program and returns its standard output.
    static func capture(_ arguments: [String]) throws -> String {
        let path = "/tmp/tabby-bench-\(getpid())-capture-\(UInt32.random(in: 0..<UInt32.max))"
        defer { unlink(path) }
        let status = Processes.wait(try Processes.spawn(arguments, logPath: path))
        guard status == 0 else { throw BenchError("\(arguments[0]): wait status \(status)") }
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}

/// Loopback TCP ports nobody listens on right now (bound, read back, released).
func freePorts(_ count: Int) throws -> [Int] {
    var descriptors: [Int32] = []
    defer { descriptors.forEach { close($0) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("socket: errno \(errno)") }
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
        guard bound else { throw BenchError("bind: errno \(errno)") }
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
}
