import Agent
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let seconds = Mutex(1000.0)
    func advance(by delta: Double) { seconds.withLock { $0 += delta } }
    var now: @Sendable () -> Double { { [self] in seconds.withLock { $0 } } }
}

private func sampleReport() -> StatusReport {
    StatusReport(
        node: "node-1", version: "0.1.0-test", datastoreInSync: true,
        lastApply: StatusReport.Apply(time: "2025-03-01T12:00:00.123Z", durationSeconds: 0.0125, writes: 7),
        counts: StatusReport.Counts(routes: 12, devices: 1, neighbors: 3, workloadEndpoints: 2),
        blocks: [
            StatusReport.Block(cidr: "10.65.0.0/26", node: "node-1", state: "local"),
            StatusReport.Block(cidr: "10.65.0.64/26", node: "node-2", state: "vxlan"),
        ],
        tunnelAddresses: StatusReport.TunnelAddresses(vxlan: "10.65.0.1", vxlanMAC: "66:e1:a7:c4:0b:2f"),
        errors: [StatusReport.Problem(resource: "IPPool pool-b", reason: "no route: node-3 is not on-link")],
        readiness: true)
}

/// A server on a Unix socket in a scratch directory (below a folder that does not exist yet).
private struct RunningServer {
    let scratch: ScratchDirectory
    let socketPath: String
    let board: StatusBoard
    let clock: ManualClock
    let server: StatusServer

    init(tcp: [StatusServer.Configuration.TCPListener] = []) throws {
        scratch = try ScratchDirectory()
        socketPath = scratch.path + "/run/tabby/tabbyd.sock"
        clock = ManualClock()
        board = StatusBoard(node: "node-1", version: "0.1.0-test", livenessTimeout: 90, monotonicSeconds: clock.now)
        server = try StatusServer.start(.init(unixSocket: socketPath, tcp: tcp), provider: board)
    }

    func stop() {
        server.stop()
        scratch.remove()
    }
}

@Suite("Status server")
struct StatusServerTests {
    @Test func statusIsTheProvidersReportAsJSON() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let report = sampleReport()
        running.board.update { $0 = report }
        running.clock.advance(by: 42.5)

        let response = try RawClient.get(unixSocket: running.socketPath, "/status")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.headers["content-length"] == "\(response.body.utf8.count)")
        #expect(response.headers["connection"] == "close")
        var expected = report
        expected.uptimeSeconds = 42.5
        #expect(try JSONDecoder().decode(StatusReport.self, from: Data(response.body.utf8)) == expected)
        #expect(response.body.contains("\"vxlanMAC\" : \"66:e1:a7:c4:0b:2f\""))
    }

    @Test func theSocketHasMode0660InACreatedDirectory() throws {
        let running = try RunningServer()
        defer { running.stop() }
        var status = stat()
        #expect(lstat(running.socketPath, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o777 == 0o660)
    }

    @Test func livenessFollowsTheHeartbeat() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let live = try RawClient.get(unixSocket: running.socketPath, "/liveness")
        #expect(live.status == 200 && live.body == "live\n")

        running.clock.advance(by: 91)
        let dead = try RawClient.get(unixSocket: running.socketPath, "/liveness")
        #expect(dead.status == 503)
        #expect(dead.body == "no heartbeat from the main loop for 91 s (timeout 90 s)\n")

        running.board.heartbeat()
        #expect(try RawClient.get(unixSocket: running.socketPath, "/liveness").status == 200)
    }

    @Test func readinessComesWithTheFirstSuccessfulApply() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let waiting = try RawClient.get(unixSocket: running.socketPath, "/readiness")
        #expect(waiting.status == 503)
        #expect(waiting.body == "not ready: waiting for the datastore to be in sync\n")

        running.board.setDatastoreInSync(true)
        let applying = try RawClient.get(unixSocket: running.socketPath, "/readiness")
        #expect(applying.body == "not ready: waiting for the first successful dataplane apply\n")

        running.board.recordApplyFailure()
        #expect(try RawClient.get(unixSocket: running.socketPath, "/readiness").status == 503)
        running.board.recordApply(durationSeconds: 0.25, writes: 40)
        let ready = try RawClient.get(unixSocket: running.socketPath, "/readiness")
        #expect(ready.status == 200 && ready.body == "ready\n")
        let report = running.board.statusReport()
        #expect(report.readiness && report.lastApply?.writes == 40 && report.lastApply?.durationSeconds == 0.25)
    }

    @Test func metricsAreServedAsPrometheusText() throws {
        let running = try RunningServer()
        defer { running.stop() }
        running.board.setDatastoreInSync(true)
        running.board.recordApply(durationSeconds: 0.5, writes: 10)
        running.board.recordApply(durationSeconds: 0.003, writes: 2)
        running.board.recordApplyFailure()
        let response = try RawClient.get(unixSocket: running.socketPath, "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let samples = MetricsSamples(response.body)
        #expect(samples["tabby_resync_state"] == 3)
        #expect(samples["tabby_int_dataplane_initial_resync_time_seconds"] == 0.5)
        #expect(response.body.contains("\ntabby_int_dataplane_apply_time_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(response.body.contains("\ntabby_int_dataplane_apply_time_seconds_count 1\n"))
        #expect(response.body.contains("\ntabby_int_dataplane_failures_total 1\n"))
        #expect(response.body.contains("\ntabby_int_dataplane_kernel_writes_total 12\n"))
        #expect(samples["tabby_host{hostname=\"node-1\"}"] == 1)
    }

    @Test func headAnswersHeadersWithoutABody() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let response = try RawClient.get(unixSocket: running.socketPath, "/status", method: "HEAD")
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(Int(response.headers["content-length"] ?? "") ?? 0 > 100)
    }

    @Test(
        arguments: [
            ("POST /status HTTP/1.1\r\nHost: x\r\n\r\n", 405, "POST is not allowed; use GET\n"),
            ("DELETE /metrics HTTP/1.1\r\n\r\n", 405, "DELETE is not allowed; use GET\n"),
            (
                "GET /nope HTTP/1.1\r\n\r\n", 404,
                "no such endpoint: /nope (served here: /liveness, /metrics, /readiness, /status)\n"
            ),
            ("GET /status/ HTTP/1.1\r\n\r\n", 404, nil),
            ("hello\r\n\r\n", 400, "malformed request line\n"),
            ("GET status HTTP/1.1\r\n\r\n", 400, "the target must be a path\n"),
            ("GET /status HTTP/2.0\r\n\r\n", 505, "only HTTP/1.0 and HTTP/1.1 are served\n"),
            ("GET /status XTTP/1.1\r\n\r\n", 400, "malformed HTTP version\n"),
            ("GET /status HTTP/1.1\r\nno colon here\r\n\r\n", 400, "malformed header line\n"),
            ("get /status HTTP/1.1\r\n\r\n", 400, "malformed request line\n"),
        ] as [(String, Int, String?)])
    func badRequestsGetTheRightStatus(request: String, status: Int, body: String?) throws {
        let running = try RunningServer()
        defer { running.stop() }
        let response = try RawClient.exchange(unixSocket: running.socketPath, request)
        #expect(response.status == status, "\(response.raw)")
        if let body { #expect(response.body == body) }
        if status == 405 { #expect(response.headers["allow"] == "GET, HEAD") }
    }

    @Test func queryStringsAndHTTP10AreAccepted() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let response = try RawClient.exchange(unixSocket: running.socketPath, "GET /liveness?verbose=1 HTTP/1.0\n\n")
        #expect(response.status == 200)
    }

    @Test func aRequestCutShortIsABadRequest() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try RawClient(unixSocket: running.socketPath)
        client.send("GET /status HTTP/1.1\r\nHost: x\r\n")
        client.finishSending()
        let response = client.response()
        #expect(response.status == 400)
        #expect(response.body == "the request ended before its header did\n")
    }

    @Test func aClientThatStallsIsToldItTookTooLong() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/tabbyd.sock"
        var configuration = StatusServer.Configuration(unixSocket: path)
        configuration.clientTimeoutSeconds = 1
        let server = try StatusServer.start(configuration, provider: StatusBoard(node: "n", version: "v"))
        defer { server.stop() }
        let client = try RawClient(unixSocket: path)
        client.send("GET /liveness HTTP/1.1\r\n")
        let response = client.response()
        #expect(response.status == 408)
        #expect(response.body == "the request did not arrive in time\n")
    }

    @Test(arguments: [
        "GET /readiness HTTP/1.1\n\n", "GET /readiness HTTP/1.1\r\nHost: x\n\n", "\r\nGET /readiness HTTP/1.1\r\n\r\n",
    ])
    func bareLineFeedsAndLeadingBlankLinesAreAccepted(request: String) throws {
        let running = try RunningServer()
        defer { running.stop() }
        let response = try RawClient.exchange(unixSocket: running.socketPath, request)
        #expect(response.status == 503 && response.body == "not ready: waiting for the datastore to be in sync\n")
    }

    @Test func anOversizedHeaderIsRefused() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let client = try RawClient(unixSocket: running.socketPath)
        client.send("GET /status HTTP/1.1\r\nX-Padding: " + String(repeating: "a", count: 9000))
        let response = client.response()
        #expect(response.status == 431)
    }

    @Test func concurrentClientsAreAllServed() throws {
        let running = try RunningServer()
        defer { running.stop() }
        running.board.update { $0 = sampleReport() }

        // A client that sent half a request holds its connection open while everyone else is served.
        let slow = try RawClient(unixSocket: running.socketPath)
        slow.send("GET /stat")

        let results = Mutex<[Int]>([])
        let path = running.socketPath
        DispatchQueue.concurrentPerform(iterations: 48) { index in
            let target = ["/status", "/metrics", "/liveness", "/readiness"][index % 4]
            let response = try? RawClient.get(unixSocket: path, target)
            let complete = response.map { $0.headers["content-length"] == "\($0.body.utf8.count)" } ?? false
            results.withLock { $0.append(complete ? response!.status : -1) }
        }
        #expect(results.withLock { $0 }.sorted() == Array(repeating: 200, count: 48))

        slow.send("us HTTP/1.1\r\n\r\n")
        let response = slow.response()
        #expect(response.status == 200)
        #expect(response.body.contains("\"node\" : \"node-1\""))
    }

    /// The commands Docs/operations.md shows, run with curl itself.
    @Test(.enabled(if: toolExists("curl"), "curl is not installed"))
    func curlReadsTheUnixSocketAndTCP() throws {
        let running = try RunningServer(tcp: [.init(host: "127.0.0.1", port: 0, endpoints: [.metrics])])
        defer { running.stop() }
        running.board.update { $0 = sampleReport() }
        let status = try runTool("curl", ["-sS", "--unix-socket", running.socketPath, "http://localhost/status"])
        #expect(try JSONDecoder().decode(StatusReport.self, from: Data(status.output.utf8)).node == "node-1")
        let readiness = try runTool(
            "curl",
            [
                "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", running.socketPath,
                "http://localhost/readiness",
            ])
        #expect(readiness.output == "200")
        let metrics = try runTool("curl", ["-sS", "http://127.0.0.1:\(running.server.tcpPorts[0])/metrics"])
        #expect(MetricsSamples(metrics.output)["tabby_resync_state"] == 1)
    }

    @Test func beyondTheConnectionLimitClientsAreToldBusy() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/tabbyd.sock"
        var configuration = StatusServer.Configuration(unixSocket: path)
        configuration.maximumConnections = 3
        configuration.clientTimeoutSeconds = 120  // the slow clients below never time out during the test
        let server = try StatusServer.start(configuration, provider: StatusBoard(node: "n", version: "v"))

        // Connections are accepted in the order they were made: these three take every slot.
        let slow = try (0..<3).map { _ in try RawClient(unixSocket: path) }
        for client in slow { client.send("GET /liv") }
        let refused = try RawClient.get(unixSocket: path, "/liveness")
        #expect(refused.status == 503)
        #expect(refused.body == "busy: too many status connections\n")

        // stop() ends the connections in progress rather than waiting out their timeout.
        server.stop()
        for client in slow { #expect(client.readAll().isEmpty) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aStaleSocketFileIsReplaced() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/tabbyd.sock"
        // What a killed agent leaves: a socket file nobody listens on.
        let stale = try bindUnixSocket(path)
        close(stale)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(throws: (any Error).self) { try RawClient(unixSocket: path) }

        let server = try StatusServer.start(
            .init(unixSocket: path), provider: StatusBoard(node: "n", version: "v"))
        #expect(try RawClient.get(unixSocket: path, "/liveness").status == 200)
        server.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: (any Error).self) { try RawClient(unixSocket: path) }
    }

    @Test func aLiveSocketIsNotTakenOver() throws {
        let running = try RunningServer()
        defer { running.stop() }
        let error = try #require(
            throws: SystemCallError.self,
            performing: {
                try StatusServer.start(.init(unixSocket: running.socketPath), provider: running.board)
            })
        #expect(error.name == "EADDRINUSE")
        #expect(error.description.contains("another process serves this socket"))
        #expect(try RawClient.get(unixSocket: running.socketPath, "/liveness").status == 200)
    }

    @Test func aFileThatIsNotASocketIsLeftAlone() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/tabbyd.sock"
        try "precious".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(
            throws: SystemCallError.self,
            performing: {
                try StatusServer.start(.init(unixSocket: path), provider: StatusBoard(node: "n", version: "v"))
            })
        #expect(error.name == "EEXIST")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    }

    @Test func stopLeavesASocketFileThatIsNoLongerOurs() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/tabbyd.sock"
        let server = try StatusServer.start(.init(unixSocket: path), provider: StatusBoard(node: "n", version: "v"))
        // Someone replaced the file (e.g. a second agent after a forced restart).
        unlink(path)
        let other = try bindUnixSocket(path)
        defer { close(other) }
        server.stop()
        server.stop()  // a second stop does nothing
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func healthAndMetricsOverTCPServeOnlyTheirEndpoints() throws {
        let running = try RunningServer(tcp: [
            .init(host: "127.0.0.1", port: 0, endpoints: StatusEndpoint.health),
            .init(host: "127.0.0.1", port: 0, endpoints: [.metrics]),
        ])
        defer { running.stop() }
        let ports = running.server.tcpPorts
        #expect(ports.count == 2 && ports.allSatisfy { $0 > 0 } && ports[0] != ports[1])

        #expect(try RawClient.get(tcpPort: ports[0], "/liveness").status == 200)
        #expect(try RawClient.get(tcpPort: ports[0], "/readiness").status == 503)
        #expect(try RawClient.get(tcpPort: ports[0], "/status").status == 404)
        #expect(try RawClient.get(tcpPort: ports[0], "/metrics").status == 404)
        #expect(try RawClient.get(tcpPort: ports[1], "/metrics").status == 200)
        #expect(try RawClient.get(tcpPort: ports[1], "/liveness").status == 404)
    }

    @Test func aPortInUseFailsTheWholeStart() throws {
        let first = try RunningServer(tcp: [.init(host: "127.0.0.1", port: 0, endpoints: [.metrics])])
        defer { first.stop() }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path + "/second.sock"
        let error = try #require(
            throws: SystemCallError.self,
            performing: {
                try StatusServer.start(
                    .init(
                        unixSocket: path,
                        tcp: [.init(host: "127.0.0.1", port: first.server.tcpPorts[0], endpoints: [.metrics])]),
                    provider: first.board)
            })
        #expect(error.name == "EADDRINUSE")
        #expect(error.operation == "bind 127.0.0.1:\(first.server.tcpPorts[0])")
        // All or nothing: the Unix socket bound before the failure is gone again.
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func listenersFollowTheAgentConfiguration() throws {
        var configuration = AgentConfiguration(nodeName: "n")
        #expect(StatusServer.Configuration(agent: configuration).tcp.isEmpty)
        #expect(StatusServer.Configuration(agent: configuration).unixSocket == "/run/tabby/tabbyd.sock")
        configuration.healthEnabled = true
        configuration.metricsEnabled = true
        #expect(
            StatusServer.Configuration(agent: configuration).tcp == [
                .init(host: "localhost", port: 9099, endpoints: StatusEndpoint.health),
                .init(host: "", port: 9091, endpoints: [.metrics]),
            ])
        configuration.metricsHost = "localhost"
        configuration.metricsPort = 9099
        #expect(
            StatusServer.Configuration(agent: configuration).tcp == [
                .init(host: "localhost", port: 9099, endpoints: [.liveness, .readiness, .metrics])
            ])
    }

    @Test func statusBoardKeepsErrorsAndCounts() throws {
        let board = StatusBoard(node: "n", version: "v")
        board.setErrors([.init(resource: "config /etc/tabby/tabbyd.yaml", reason: "line 3: healthPort: bad")])
        board.update { $0.counts.routes = 5 }
        let report = board.statusReport()
        #expect(report.errors.count == 1 && report.counts.routes == 5)
        #expect(MetricsSamples(board.metricsText())["tabby_status_errors"] == 1)
        #expect(board.liveness().isHealthy)
        #expect(!board.readiness().isHealthy)
    }
}

/// Binds (and does not listen on) a Unix stream socket at `path`, as a killed process leaves one.
func bindUnixSocket(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else {
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
    return fd
}
