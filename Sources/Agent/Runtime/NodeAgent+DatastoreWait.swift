import Datastore

extension NodeAgent {
    /// The first wait between attempts, and the longest.
    static let datastoreRetryFirst: Duration = .milliseconds(250)
    static let datastoreRetryLongest: Duration = .seconds(5)

    /// Whether an error says the datastore is out of reach (etcd unreachable, no leader, a failed handshake)
    /// rather than something about a resource (missing, taken, changed, invalid, unreadable).
    static func isUnreachable(_ error: DatastoreError) -> Bool {
        if case .notFound = error { return false }
        if case .alreadyExists = error { return false }
        if case .conflict = error { return false }
        if case .invalid = error { return false }
        if case .problem = error { return false }
        return true
    }

    /// Runs `body` until it succeeds, as calico-node waits for its datastore at start-up: while etcd is out of
    /// reach, each failure is logged and shown in the status errors (`datastore etcdv3 URL...`), and it is
    /// tried again (a quarter of a second, doubling to 5 s) until it works or the agent is stopped. The file
    /// datastore is not waited for (a directory that cannot be used will not heal by itself), and an error
    /// about a resource is thrown at once.
    func waitForDatastore<T: Sendable>(
        _ what: String, _ body: @Sendable () async throws(DatastoreError) -> T
    ) async throws(AgentError) -> T {
        var delay = Self.datastoreRetryFirst
        var attempts = 0
        while true {
            do {
                let result = try await body()
                if attempts > 0 {
                    log.info("the datastore is reachable", ["datastore": configuration.datastoreConnection.summary])
                    if setDatastoreProblem(nil) { publishFileProblems() }
                }
                return result
            } catch {
                guard case .etcdV3 = configuration.datastoreConnection, Self.isUnreachable(error) else {
                    throw AgentError("\(error)")
                }
                attempts += 1
                log.warning(
                    "waiting for the datastore",
                    [
                        "datastore": configuration.datastoreConnection.summary, "step": what,
                        "attempt": String(attempts), "error": error.description,
                    ])
                if setDatastoreProblem("waiting for the datastore (\(what)): \(error)") { publishFileProblems() }
                try? notifier.status("waiting for the datastore: \(error)")
            }
            if isStopping { throw AgentError("stopped while waiting for the datastore") }
            try? await Task.sleep(for: delay)
            if isStopping { throw AgentError("stopped while waiting for the datastore") }
            delay = min(delay * 2, Self.datastoreRetryLongest)
        }
    }
}
