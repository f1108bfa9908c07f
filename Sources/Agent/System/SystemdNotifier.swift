import Glibc

/// sd_notify without libsystemd: one datagram of `KEY=VALUE` lines to the Unix socket named by
/// `$NOTIFY_SOCKET` (a leading `@` names an abstract socket). Without the variable (not started by systemd
/// with `Type=notify`) every call does nothing.
///
/// The protocol for `Type=notify` with `ExecReload=kill -HUP`: ``ready(status:)`` once serving;
/// ``reloading()`` when a SIGHUP reload starts and ``ready(status:)`` again when it is done; ``stopping()``
/// on SIGTERM; ``watchdog()`` at least every ``watchdogInterval`` / 2 when `WatchdogSec=` is set
/// (``keepWatchdog(while:)`` does that).
public struct SystemdNotifier: Sendable {
    /// What can be said to the service manager.
    public enum State: Sendable, Equatable {
        case ready
        /// A reload started; systemd ≥ 253 requires `MONOTONIC_USEC` with it, which ``reloading()`` adds.
        case reloading(monotonicMicroseconds: UInt64)
        case stopping
        case watchdog
        /// Free text shown by `systemctl status`.
        case status(String)

        var line: String {
            switch self {
            case .ready: "READY=1"
            case .reloading(let microseconds): "RELOADING=1\nMONOTONIC_USEC=\(microseconds)"
            case .stopping: "STOPPING=1"
            case .watchdog: "WATCHDOG=1"
            case .status(let text): "STATUS=" + text.replacing("\n", with: " ")
            }
        }
    }

    /// The socket address from `NOTIFY_SOCKET`, or nil when notifications are off.
    public let socketPath: String?
    /// The watchdog timeout from `WATCHDOG_USEC` (when `WATCHDOG_PID` is unset or this process); nil when the
    /// service has no watchdog.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String], processID: Int32 = getpid()) {
        let path = environment["NOTIFY_SOCKET"] ?? ""
        socketPath = path.isEmpty ? nil : path
        if let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0,
            environment["WATCHDOG_PID"].map({ Int32($0) == processID }) ?? true
        {
            watchdogInterval = .microseconds(Int64(clamping: microseconds))
        } else {
            watchdogInterval = nil
        }
    }

    /// Whether notifications go anywhere.
    public var isEnabled: Bool { socketPath != nil }

    /// `READY=1`, with a status line when given.
    public func ready(status: String? = nil) throws(SystemCallError) {
        try notify([.ready] + (status.map { [.status($0)] } ?? []))
    }

    /// `RELOADING=1` with `MONOTONIC_USEC` of now.
    public func reloading() throws(SystemCallError) {
        try notify([.reloading(monotonicMicroseconds: Self.monotonicMicroseconds())])
    }

    /// `STOPPING=1`.
    public func stopping() throws(SystemCallError) { try notify([.stopping]) }

    /// `WATCHDOG=1`.
    public func watchdog() throws(SystemCallError) { try notify([.watchdog]) }

    /// `STATUS=…`.
    public func status(_ text: String) throws(SystemCallError) { try notify([.status(text)]) }

    /// Sends `states` in one datagram; does nothing when notifications are off.
    public func notify(_ states: [State]) throws(SystemCallError) {
        guard let socketPath, !states.isEmpty else { return }
        let message = Array(states.map(\.line).joined(separator: "\n").utf8)

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }  // An abstract name starts with a NUL byte and has no terminator.
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            throw SystemCallError("sd_notify \(socketPath)", code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(pathOffset + pathBytes.count + (abstract ? 0 : 1))

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("sd_notify socket") }
        defer { close(fd) }
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        guard sent == message.count else { throw SystemCallError("sd_notify \(socketPath)") }
    }

    /// Sends `WATCHDOG=1` every half ``watchdogInterval`` for as long as `isAlive` says so and the task is not
    /// cancelled; returns at once when there is no watchdog. Pass the main loop's liveness, so that a hung
    /// loop stops the pings and systemd restarts the agent.
    public func keepWatchdog(while isAlive: @Sendable () -> Bool) async {
        guard let watchdogInterval, isEnabled else { return }
        let period = watchdogInterval / 2
        while !Task.isCancelled {
            if isAlive() { try? watchdog() }
            try? await Task.sleep(for: period)
        }
    }

    /// `CLOCK_MONOTONIC` in microseconds, the clock systemd compares `MONOTONIC_USEC` with.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
