import Agent
import Foundation
import Glibc
import Testing

/// A datagram socket the test binds, standing in for systemd's notification socket.
/// Sendable: it holds only a file descriptor, read by one receiver at a time.
final class NotificationSocket: @unchecked Sendable {
    let fd: Int32
    /// What to put in `NOTIFY_SOCKET`.
    let address: String
    private let path: String?

    /// A socket at a file path, or an abstract one (`@name`) when `abstract`.
    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let name = uniqueName("notify")
        var bytes: [UInt8]
        if abstract {
            address = "@" + name
            path = nil
            bytes = [0] + Array(name.utf8)
        } else {
            address = "/tmp/" + name + ".sock"
            path = address
            bytes = Array(address.utf8)
        }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)  // a guard against hanging, not a timing assertion
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    /// The next datagram, or nil when none came.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

@Suite("sd_notify")
struct SystemdNotifierTests {
    @Test(arguments: [false, true])
    func readyReloadingStoppingAndStatusReachTheSocket(abstract: Bool) throws {
        let socket = try NotificationSocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        #expect(notifier.isEnabled)

        try notifier.ready(status: "programmed 12 routes")
        #expect(socket.receive() == "READY=1\nSTATUS=programmed 12 routes")

        let before = SystemdNotifier.monotonicMicroseconds()
        try notifier.reloading()
        let reloading = try #require(socket.receive())
        let lines = reloading.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(UInt64(lines.last?.dropFirst("MONOTONIC_USEC=".count) ?? ""))
        #expect(lines.last?.hasPrefix("MONOTONIC_USEC=") == true)
        #expect(stamp >= before && stamp <= SystemdNotifier.monotonicMicroseconds())

        try notifier.stopping()
        #expect(socket.receive() == "STOPPING=1")
        try notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1")
        try notifier.status("line one\nline two")
        #expect(socket.receive() == "STATUS=line one line two")
    }

    @Test func withoutNotifySocketNothingIsSent() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(notifier.socketPath == nil && notifier.watchdogInterval == nil)
        try notifier.ready()
        try notifier.stopping()
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]).isEnabled)
    }

    @Test func aMissingSocketIsAnErrorNamingIt() throws {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/tmp/\(uniqueName("absent")).sock"])
        let error = try #require(throws: SystemCallError.self, performing: { try notifier.ready() })
        #expect(error.name == "ENOENT")
        #expect(error.operation.hasPrefix("sd_notify /tmp/tabby-t-agent-"))
    }

    @Test func theWatchdogIntervalComesFromTheEnvironment() {
        let pid = getpid()
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "60000000"]).watchdogInterval == .seconds(60))
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(pid)"]).watchdogInterval
                == .seconds(30))
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(pid + 1)"])
                .watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "soon"]).watchdogInterval == nil)
    }

    @Test(.timeLimit(.minutes(1))) func keepWatchdogPingsWhileAlive() async throws {
        let socket = try NotificationSocket(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "20000"])
        let pinger = Task { await notifier.keepWatchdog { true } }
        defer { pinger.cancel() }
        // Receive on a thread of its own: a blocking recv on the cooperative pool (two threads on this machine)
        // could starve the pinger it waits for.
        let received = await withCheckedContinuation { (continuation: CheckedContinuation<[String?], Never>) in
            Thread.detachNewThread { continuation.resume(returning: [socket.receive(), socket.receive()]) }
        }
        #expect(received == ["WATCHDOG=1", "WATCHDOG=1"])
    }

    @Test func keepWatchdogReturnsWithoutAWatchdog() async {
        await SystemdNotifier(environment: ["NOTIFY_SOCKET": "@x"]).keepWatchdog { true }
    }
}
