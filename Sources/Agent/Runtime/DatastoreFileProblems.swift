import Datastore

/// The datastore's unusable files (or etcd keys) as the watch reports them, for the status errors: one entry per path from its
/// `.problem` until its `.problemCleared` (the file was fixed or removed).
///
/// When the watch is restarted its snapshot reports every problem again, and a file fixed while no watch was
/// running sends no `.problemCleared`: so a restarted watch collects its problems afresh and the set is replaced
/// by them at `.synced`, keeping the old ones on show until then.
struct DatastoreFileProblems {
    /// What status errors of this kind start with: `file /var/lib/tabby/ippools/a.yaml` for the file datastore,
    /// `key /calico/resources/v3/projectcalico.org/ippools/a` for etcd.
    let resourcePrefix: String
    static let resourcePrefixes = ["file ", "key "]

    init(connection: DatastoreConnection = .file(directory: "")) {
        switch connection {
        case .file: resourcePrefix = "file "
        case .etcdV3: resourcePrefix = "key "
        }
    }

    /// Whether a status error is one of these (of either datastore).
    static func isProblem(_ problem: StatusReport.Problem) -> Bool {
        resourcePrefixes.contains { problem.resource.hasPrefix($0) }
    }

    private(set) var byPath: [String: DatastoreProblem] = [:]
    /// The problems a restarted watch has reported so far, before its `.synced`.
    private var collecting: [String: DatastoreProblem]?

    /// A new watch started: what it reports until `.synced` replaces the current set.
    mutating func watchStarted() { collecting = [:] }

    /// Records a problem; false when it was already known as it is.
    mutating func record(_ problem: DatastoreProblem) -> Bool {
        collecting?[problem.path] = problem
        return byPath.updateValue(problem, forKey: problem.path) != problem
    }

    /// Forgets the problem of a path; false when there was none.
    mutating func clear(path: String) -> Bool {
        collecting?[path] = nil
        return byPath.removeValue(forKey: path) != nil
    }

    /// The watch is in sync: the problems it reported are the current ones. True when that changed the set.
    mutating func synced() -> Bool {
        guard let collected = collecting else { return false }
        collecting = nil
        defer { byPath = collected }
        return byPath != collected
    }

    /// One status error per file, sorted by path: `file <path>` (or `key <etcd key>`) and the reason with its
    /// line.
    var statusProblems: [StatusReport.Problem] {
        byPath.values.sorted { $0.path < $1.path }.map { statusProblem($0) }
    }

    func statusProblem(_ problem: DatastoreProblem) -> StatusReport.Problem {
        var error = problem.error
        if error.source == problem.path { error.source = nil }
        // A stored file holds one document: "document 1" says nothing.
        if error.document == 1 { error.document = nil }
        return StatusReport.Problem(resource: resourcePrefix + problem.path, reason: error.description)
    }
}
