/// The `/metrics` text as the Prometheus registry emits it, with its families put in a stable order: the
/// registry keeps them in a dictionary, whose order changes from one process to the next.
enum MetricsExposition {
    /// The Content-Type of the text format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `text`'s families (each a run of lines that starts at its `# HELP` or `# TYPE`) in the order of
    /// `families`, then any others sorted by name, less those in `omitted`; the lines of each family stay as
    /// they were.
    static func ordered(_ text: String, families: [String], omitting omitted: Set<String> = []) -> String {
        var blocks: [String: [Substring]] = [:]
        var current: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                current = line.split(separator: " ", maxSplits: 3).dropFirst(2).first.map(String.init)
            }
            guard let current else { continue }
            blocks[current, default: []].append(line)
        }
        let rank = Dictionary(families.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let names = blocks.keys.filter { !omitted.contains($0) }
            .sorted { (rank[$0] ?? Int.max, $0) < (rank[$1] ?? Int.max, $1) }
        return names.map { blocks[$0, default: []].joined(separator: "\n") + "\n" }.joined()
    }
}
