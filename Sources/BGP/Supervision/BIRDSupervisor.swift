import Foundation
import Glibc
import SystemError

/// Runs one BIRD: checks each rendered configuration with `bird -p` before it goes in force, writes it
/// atomically, starts BIRD (or adopts the one a previous tabbyd left running on the same socket), reconfigures
/// it in place over its control socket, and restarts it when it dies, with the last good configuration.
public actor BIRDSupervisor {
    public let paths: BIRDPaths
    private let events: @Sendable (BIRDEvent) -> Void
    private var control: BIRDControlClient { BIRDControlClient(socketPath: paths.controlSocket) }

    private var pid: Int32?
    /// A BIRD this supervisor did not start (found answering on the socket): watched by polling, not waitpid.
    private var adopted = false
    private var starts = 0
    private var version: String?
    private var lastError: String?
    private var inForce: BIRDConfiguration?
    private var stopping = false
    private var restartDelay: Duration = .seconds(1)
    private var startedAt = ContinuousClock.now

    public init(paths: BIRDPaths, events: @escaping @Sendable (BIRDEvent) -> Void) {
        self.paths = paths
        self.events = events
    }

    /// Puts `configuration` in force: unchanged text does nothing; a text `bird -p` refuses is not written.
    public func apply(_ configuration: BIRDConfiguration) async -> BIRDApplyOutcome {
        stopping = false
        if configuration.text == inForce?.text, pid != nil { return .unchanged }
        guard let executable = ChildProcess.find(paths.birdPath) else {
            return failure("the BIRD executable \(paths.birdPath) is not installed (not on $PATH); install bird2")
        }
        let candidate = paths.configFile + ".candidate"
        if let problem = Self.write(configuration.text, to: candidate) { return failure(problem) }
        let check = ChildProcess.run(executable, ["-p", "-c", candidate])
        guard check.status == 0 else {
            unlink(candidate)
            let message = Self.birdMessage(check.output, candidate: candidate, file: paths.configFile)
            lastError = message
            events(.rejected(message))
            return .rejected(message)
        }
        let previous = Self.read(paths.configFile)
        guard rename(candidate, paths.configFile) == 0 else {
            return failure("renaming \(candidate) to \(paths.configFile): \(Errno.current.explained)")
        }
        if pid == nil { adoptRunningBIRD() }
        if pid != nil {
            do {
                let (_, reply) = try control.send("configure \(BIRDSyntax.quoted(paths.configFile))")
                if reply.isError {
                    if let previous { _ = Self.write(previous, to: paths.configFile) }
                    let message = reply.text
                    lastError = message
                    events(.rejected(message))
                    return .rejected(message)
                }
                inForce = configuration
                lastError = nil
                events(.reconfigured)
                return .reconfigured
            } catch {
                // The socket stopped answering: BIRD is gone or going; start one below.
                if adopted { forget() }
            }
        }
        guard pid == nil else { return failure("BIRD (pid \(pid ?? 0)) does not answer on \(paths.controlSocket)") }
        if let problem = await start(executable) { return failure(problem) }
        inForce = configuration
        lastError = nil
        return .started
    }

    /// Forgets a refused configuration's error: the agent went back to the configuration in force.
    public func clearLastError() { lastError = nil }

    /// What BIRD is doing: its process, and a row per BGP session from its control socket.
    public func status() -> BIRDStatus {
        var status = BIRDStatus(running: false, pid: pid, version: version, starts: starts, lastError: lastError)
        guard pid != nil, let answer = try? control.send("show protocols all") else { return status }
        status.running = true
        if let greeting = answer.version {
            version = greeting
            status.version = greeting
        }
        status.peers = BIRDProtocolTable.peers(answer.reply, sessions: inForce?.sessions ?? [])
        return status
    }

    /// Stops BIRD (SIGTERM, then SIGKILL after 5 s): its sessions close with a notification, so peers withdraw
    /// this node's routes at once; the routes BIRD programmed here stay (its kernel protocol persists them).
    public func stop() async {
        stopping = true
        guard let running = pid else { return }
        kill(running, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while pid == running, ContinuousClock.now < deadline {
            if adopted, kill(running, 0) != 0 { forget() }
            try? await Task.sleep(for: .milliseconds(20))
        }
        if pid == running {
            kill(running, SIGKILL)
            if adopted { forget() }
        }
    }

    // MARK: Starting and watching

    private func start(_ executable: String) async -> String? {
        if !control.answers() { unlink(paths.controlSocket) }
        let child: ChildProcess
        do {
            // -R: graceful-restart recovery, as calico-node runs BIRD. The kernel protocol keeps the routes a
            // killed BIRD left in the kernel until the BGP sessions are back and have sent their routes, instead of
            // flushing them at the first scan.
            child = try ChildProcess.spawn(
                executable, ["-f", "-R", "-c", paths.configFile, "-s", paths.controlSocket, "-P", paths.pidFile])
        } catch {
            return error.description
        }
        pid = child.pid
        adopted = false
        starts += 1
        startedAt = ContinuousClock.now
        events(.started(pid: child.pid))
        let output = OutputCollector()
        let events = self.events
        Thread.detachNewThread {
            Self.forwardOutput(child.output, to: events, collector: output)
        }
        Thread.detachNewThread { [weak self] in
            let status = ChildProcess.waitForExit(child.pid)
            Task { await self?.exited(child.pid, status?.description ?? "gone") }
        }
        // BIRD opens its socket within milliseconds; a loaded machine (a busy node, a test run) may take seconds.
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if pid != child.pid {
                return "BIRD exited at start: " + output.text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let answer = try? control.send("show status") {
                version = answer.version
                return nil
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // A late wake-up (a starved executor) must not call a BIRD that answers now a failure.
        if pid == child.pid, let answer = try? control.send("show status") {
            version = answer.version
            return nil
        }
        return "BIRD (pid \(child.pid)) did not answer on \(paths.controlSocket) within 15 s"
    }

    /// A BIRD already answering on the socket (left by a previous tabbyd): watched and reconfigured rather than
    /// started twice, so a restart of tabbyd does not drop the BGP sessions.
    private func adoptRunningBIRD() {
        guard let answer = try? control.send("show status"),
            let text = Self.read(paths.pidFile), let found = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            kill(found, 0) == 0
        else { return }
        pid = found
        adopted = true
        version = answer.version
        events(.output("adopted the BIRD already running with pid \(found) on \(paths.controlSocket)"))
        Task { [weak self] in
            while true {
                try? await Task.sleep(for: .milliseconds(500))
                guard let self, await self.adoptedStillRuns(found) else { return }
            }
        }
    }

    private func adoptedStillRuns(_ watched: Int32) -> Bool {
        guard pid == watched, adopted else { return false }
        if kill(watched, 0) == 0 { return true }
        exited(watched, "gone")
        return false
    }

    private func forget() {
        pid = nil
        adopted = false
    }

    private func exited(_ gone: Int32, _ status: String) {
        guard pid == gone else { return }
        pid = nil
        adopted = false
        events(.exited(pid: gone, status: status))
        guard !stopping, inForce != nil else { return }
        // Back off when BIRD dies soon after each start (a crash loop); a run of 10 s resets the delay.
        if ContinuousClock.now - startedAt > .seconds(10) { restartDelay = .seconds(1) }
        let delay = restartDelay
        restartDelay = min(restartDelay * 2, .seconds(16))
        events(.restarting(after: delay))
        Task { [weak self] in
            try? await Task.sleep(for: delay)
            await self?.restart()
        }
    }

    private func restart() async {
        guard pid == nil, !stopping, inForce != nil else { return }
        guard let executable = ChildProcess.find(paths.birdPath) else {
            lastError = "the BIRD executable \(paths.birdPath) is not installed"
            return
        }
        adoptRunningBIRD()
        guard pid == nil else { return }
        if let problem = await start(executable) {
            lastError = problem
            events(.output("restart failed: \(problem)"))
        }
    }

    private func failure(_ message: String) -> BIRDApplyOutcome {
        lastError = message
        return .failed(message)
    }

    // MARK: Files and output

    private static func write(_ text: String, to path: String) -> String? {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return "writing \(path): \(Errno.current.explained)" }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return "writing \(path): \(Errno.current.explained)"
            }
            written += count
        }
        guard fsync(descriptor) == 0 else { return "writing \(path): \(Errno.current.explained)" }
        return nil
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// BIRD's complaint about a candidate, naming the configuration file it was rendered for:
    /// `bird: /run/tabby/bird/bird.conf.candidate:12:5 syntax error` -> `... bird.conf (rendered), line 12: ...`.
    static func birdMessage(_ output: String, candidate: String, file: String) -> String {
        let lines = output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        var message = lines.last ?? "bird -p failed without a message"
        if message.hasPrefix("bird: ") { message.removeFirst(6) }
        return message.replacingOccurrences(of: candidate, with: file + " (rendered)")
    }

    private static func forwardOutput(
        _ descriptor: Int32, to events: @Sendable (BIRDEvent) -> Void, collector: OutputCollector
    ) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending += buffer[..<count]
            while let newline = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                collector.append(line)
                events(.output(line))
            }
        }
        if !pending.isEmpty {
            let line = String(decoding: pending, as: UTF8.self)
            collector.append(line)
            events(.output(line))
        }
        close(descriptor)
    }
}

/// The first lines BIRD printed, for the message of a failed start.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        if lines.count < 20 { lines.append(line) }
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }
}
