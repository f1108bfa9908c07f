import Testing

/// Polls `condition` for up to 120 s (a second when the machine is idle; the whole suite runs beside the
/// multi-process IPAM tests, which can starve the agent tests for many seconds on two cores).
func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}
