import Foundation

extension Process {
    /// Waits for the process to end without holding a thread of the shared pool: the suite's other tests (the agent's
    /// among them, in the same `swift test` run) need those threads while writers run for a minute or more.
    func exited() async {
        while isRunning {
            try? await Task.sleep(for: .milliseconds(20))
        }
        waitUntilExit()
    }
}
