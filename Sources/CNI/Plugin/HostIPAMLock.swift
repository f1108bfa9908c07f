import Foundation
import Glibc

/// Calico's host-wide IPAM lock (`ipam_lock_file`, default `/var/run/calico/ipam.lock`): every in-process IPAM
/// assignment and release on this node holds an exclusive `flock` on it. The IPAM module is safe without it
/// (every write is a compare-and-swap), but parallel ADDs on one node all write the same block: without the lock
/// most of them lose the race, re-read and rewrite (two fsyncs each time); with it they queue and each writes once.
///
/// Best effort, as the lock only saves work: when the file cannot be opened (a read-only `/var/run`) the call
/// goes ahead unlocked with a warning. The lock is released when the descriptor closes, also when the plugin dies.
enum HostIPAMLock {
    static func holding<T>(
        _ path: String, log: PluginLog, _ body: () async throws(CNIError) -> T
    ) async throws(CNIError) -> T {
        guard let descriptor = open(path) else {
            log.warning(
                "cannot open ipam_lock_file \(path) (\(String(cString: strerror(errno)))); IPAM goes on unlocked")
            return try await body()
        }
        defer { close(descriptor) }
        await lock(descriptor)
        return try await body()
    }

    private static func open(_ path: String) -> Int32? {
        if let slash = path.lastIndex(of: "/"), slash > path.startIndex {
            try? FileManager.default.createDirectory(
                atPath: String(path[..<slash]), withIntermediateDirectories: true)
        }
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        return descriptor >= 0 ? descriptor : nil
    }

    /// Waits for the lock on a thread of its own: a blocking `flock` must not hold one of the few threads Swift's
    /// concurrency runs on.
    private static func lock(_ descriptor: Int32) async {
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiter = Thread {
                while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
                continuation.resume()
            }
            waiter.start()
        }
    }
}
