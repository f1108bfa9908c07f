/// The samples of a Prometheus text exposition by series (`name` or `name{labels}`), for checking values.
struct MetricsSamples {
    let values: [String: Double]

    init(_ text: String) {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            values[String(line[..<space])] = Double(line[line.index(after: space)...])
        }
        self.values = values
    }

    subscript(_ series: String) -> Double? { values[series] }

    /// The family names in the order their `# TYPE` lines come.
    static func families(_ text: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
    }
}
