/// Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then one `name{labels} value` line per
/// sample; histograms as cumulative `_bucket{le="…"}` lines, `_sum` and `_count`.
enum MetricsText {
    /// The Content-Type of a rendered registry.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(_ families: [MetricsRegistry.Family], readValues: [[LabelSet: Double]]) -> String {
        var text = ""
        for (index, family) in families.enumerated() {
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            var samples: [(LabelSet, MetricsRegistry.SeriesValue)] = family.series.map { ($0.key, $0.value) }
            for (labels, value) in readValues[index] { samples.append((labels, .number(value))) }
            samples.sort { $0.0 < $1.0 }
            for (labels, value) in samples {
                switch value {
                case .number(let number):
                    text += family.name + labelText(labels.pairs) + " " + format(number) + "\n"
                case .histogram(let counts):
                    var cumulative: UInt64 = 0
                    for (bucket, count) in counts.counts.enumerated() {
                        cumulative += count
                        let bound = bucket < family.buckets.count ? format(family.buckets[bucket]) : "+Inf"
                        let le = labels.pairs + [LabelSet.Pair(name: "le", value: bound)]
                        text += family.name + "_bucket" + labelText(le) + " \(cumulative)\n"
                    }
                    text += family.name + "_sum" + labelText(labels.pairs) + " " + format(counts.sum) + "\n"
                    text += family.name + "_count" + labelText(labels.pairs) + " \(counts.count)\n"
                }
            }
        }
        return text
    }

    /// `{a="1",b="x"}`, or nothing without labels.
    static func labelText(_ pairs: [LabelSet.Pair]) -> String {
        guard !pairs.isEmpty else { return "" }
        return "{" + pairs.map { "\($0.name)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",") + "}"
    }

    /// A sample value: integers without a fraction, others in Swift's shortest round-trip form (which Go's
    /// ParseFloat reads), and `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeLabelValue(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    static func escapeHelp(_ help: String) -> String {
        var result = ""
        for character in help {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool {
        isName(name, extra: UInt8(ascii: ":"))
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved) and not `le` (histograms use it).
    static func isValidLabelName(_ name: String) -> Bool {
        isName(name, extra: nil) && !name.hasPrefix("__") && name != "le"
    }

    private static func isName(_ name: String, extra: UInt8?) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        func letter(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == UInt8(ascii: "_")
                || byte == extra
        }
        return letter(first) && bytes.dropFirst().allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
