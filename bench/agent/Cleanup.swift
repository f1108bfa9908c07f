import Dispatch
import Foundation
import Glibc
import Synchronization

/// What the benchmark must undo however it ends: tabbyd processes it started, namespaces it created, and its
/// temporary directory. SIGINT and SIGTERM run it too (run.sh forwards an interrupt as SIGTERM).
final class Cleanup: Sendable {
    private struct State {
        var processes: Set<pid_t> = []
        var namespaces: Set<String> = []
        var directory: String?
    }

    private let state = Mutex(State())

    func started(_ pid: pid_t) { state.withLock { _ = $0.processes.insert(pid) } }
    func stopped(_ pid: pid_t) { state.withLock { _ = $0.processes.remove(pid) } }
    func created(namespace: String) { state.withLock { _ = $0.namespaces.insert(namespace) } }
    func deleted(namespace: String) { state.withLock { _ = $0.namespaces.remove(namespace) } }
    func created(directory: String) { state.withLock { $0.directory = directory } }

    /// Stops every process (by the PID it was started with), deletes every namespace and the directory.
    func runAll() {
        let current = state.withLock { state in
            defer { state = State() }
            return state
        }
        for pid in current.processes { Processes.stop(pid) }
        for namespace in current.namespaces { try? Processes.run("ip", "netns", "delete", namespace) }
        if let directory = current.directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// Runs `runAll` and exits on SIGINT or SIGTERM. Keep the returned sources alive.
    func installSignalHandlers() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                FileHandle.standardError.write(Data("agent-bench: interrupted; cleaning up\n".utf8))
                runAll()
                exit(130)
            }
            source.resume()
            return source
        }
    }
}
