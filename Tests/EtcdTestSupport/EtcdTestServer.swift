import Foundation

/// A real etcd member (Debian's `etcd`, 3.4) started for a test on loopback, with a data directory of its own,
/// stopped by its PID. Tests that need one call `EtcdTestServer.start()` and skip with `EtcdTestServer.skipReason`
/// when etcd is not installed (`make deps` installs it).
public final class EtcdTestServer: @unchecked Sendable {
    /// `http://127.0.0.1:<port>`.
    public let endpoint: String
    public let clientPort: Int
    public let peerPort: Int
    public let dataDirectory: String
    public let name: String
    private let process: Process
    private let lock = NSLock()
    private let healthCheckArguments: [String]
    private var stopped = false

    /// The etcd executable, or nil when it is not installed.
    public static var executable: String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Why etcd tests cannot run here, or nil when they can.
    public static var skipReason: String? {
        executable == nil ? "etcd is not installed (apt-get install etcd-server; `make deps` does)" : nil
    }

    /// Starts one member on free loopback ports and waits until it answers (at most 20 s). With `tls`, clients
    /// talk to it over https (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`).
    public static func start(extraArguments: [String] = [], tls: EtcdTestCertificates? = nil) throws -> EtcdTestServer {
        let ports = try FreePorts.take(2)
        let server = try EtcdTestServer(
            name: "tabby-test", clientPort: ports[0], peerPort: ports[1],
            initialCluster: "tabby-test=http://127.0.0.1:\(ports[1])", extraArguments: extraArguments, tls: tls)
        try server.waitUntilHealthy()
        return server
    }

    init(
        name: String, clientPort: Int, peerPort: Int, initialCluster: String, clusterState: String = "new",
        extraArguments: [String], dataDirectory: String? = nil, tls: EtcdTestCertificates? = nil
    ) throws {
        guard let executable = Self.executable else { throw TestServerError("etcd is not installed") }
        self.name = name
        self.clientPort = clientPort
        self.peerPort = peerPort
        endpoint = "\(tls == nil ? "http" : "https")://127.0.0.1:\(clientPort)"
        healthCheckArguments =
            tls.map { ["--cacert", $0.caFile, "--cert", $0.clientCertFile, "--key", $0.clientKeyFile] } ?? []
        if let dataDirectory {
            self.dataDirectory = dataDirectory
        } else {
            self.dataDirectory = "/tmp/tabby-t-etcd-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
            try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: false)
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            [
                "--name", name, "--data-dir", self.dataDirectory,
                "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
                "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
                "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
                "--initial-cluster", initialCluster, "--initial-cluster-state", clusterState,
                "--initial-cluster-token", "tabby-test-\(getpid())",
            ] + extraArguments
            + (tls.map {
                [
                    "--cert-file", $0.serverCertFile, "--key-file", $0.serverKeyFile, "--trusted-ca-file", $0.caFile,
                    "--client-cert-auth",
                ]
            } ?? [])
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    deinit { stop() }

    public var pid: Int32 { process.processIdentifier }

    /// Waits until the member answers `/health` (a member of a cluster answers once the cluster has a leader).
    public func waitUntilHealthy(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { throw TestServerError("etcd \(name) exited while starting (\(endpoint))") }
            if Self.answers(endpoint + "/health", curlArguments: healthCheckArguments) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestServerError("etcd \(name) did not become healthy at \(endpoint) within \(timeout) s")
    }

    /// Ends the member by its PID (SIGKILL: a crash, not a clean shutdown) and removes its data unless `keepData`.
    public func stop(keepData: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        if !stopped {
            stopped = true
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        if !keepData { try? FileManager.default.removeItem(atPath: dataDirectory) }
    }

    private static func answers(_ url: String, curlArguments: [String]) -> Bool {
        // curl is installed by `make deps`; a plain GET of /health, with a short timeout.
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "-m", "1"] + curlArguments + [url]
        curl.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        curl.standardError = FileHandle(forWritingAtPath: "/dev/null")
        guard (try? curl.run()) != nil else { return false }
        curl.waitUntilExit()
        return curl.terminationStatus == 0
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Loopback TCP ports nobody listens on right now (bound, read back, released).
enum FreePorts {
    static func take(_ count: Int) throws -> [Int] {
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw TestServerError("socket: errno \(errno)") }
            descriptors.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    bind(descriptor, socketAddress, length) == 0
                        && getsockname(descriptor, socketAddress, &length) == 0
                }
            }
            guard bound else { throw TestServerError("bind: errno \(errno)") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}
