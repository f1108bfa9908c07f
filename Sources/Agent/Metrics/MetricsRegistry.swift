import Synchronization

/// A Prometheus metrics registry: counters, gauges, histograms and gauges read at scrape time, rendered in
/// the text exposition format (version 0.0.4) that `GET /metrics` serves.
///
/// Registering returns a handle for one series (a family name plus a set of label values); registering the
/// same name and labels again returns the same series. Handles are cheap values that any thread or task may
/// update; one lock guards the registry, held only for an update or a render.
public final class MetricsRegistry: Sendable {
    enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    struct Family: Sendable {
        var name: String
        var help: String
        var kind: Kind
        var buckets: [Double]
        var series: [LabelSet: SeriesValue] = [:]
        var readers: [LabelSet: @Sendable () -> Double] = [:]
    }

    enum SeriesValue: Sendable {
        case number(Double)
        case histogram(HistogramCounts)
    }

    struct HistogramCounts: Sendable {
        /// Observations per bucket (not cumulative), one more than the bounds for +Inf.
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    struct State: Sendable {
        var families: [Family] = []
        var indexByName: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A counter series: only goes up; name it `…_total`.
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        let key = register(name, help: help, kind: .counter, buckets: [], labels: labels, initial: .number(0))
        return Counter(registry: self, family: key.family, labels: key.labels)
    }

    /// A gauge series: a value that goes up and down.
    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        let key = register(name, help: help, kind: .gauge, buckets: [], labels: labels, initial: .number(0))
        return Gauge(registry: self, family: key.family, labels: key.labels)
    }

    /// A histogram series with upper bucket bounds `buckets` (ascending; +Inf is implied).
    public func histogram(
        _ name: String, help: String, buckets: [Double] = Histogram.defaultBuckets, labels: [String: String] = [:]
    ) -> Histogram {
        let bounds = Array(Set(buckets.filter { $0.isFinite })).sorted()
        let key = register(
            name, help: help, kind: .histogram, buckets: bounds, labels: labels,
            initial: .histogram(HistogramCounts(counts: Array(repeating: 0, count: bounds.count + 1))))
        return Histogram(registry: self, family: key.family, labels: key.labels)
    }

    /// A gauge whose value `read` returns when the registry is rendered (memory in use, open files).
    public func gauge(
        _ name: String, help: String, labels: [String: String] = [:], reading read: @escaping @Sendable () -> Double
    ) {
        let key = register(name, help: help, kind: .gauge, buckets: [], labels: labels, initial: nil)
        state.withLock { $0.families[key.family].readers[key.labels] = read }
    }

    /// Every family in registration order, each series sorted by its labels, in Prometheus text format.
    public func render() -> String {
        // Readers run outside the lock: they may do I/O, and must not be able to deadlock on the registry.
        let (families, readers) = state.withLock { state in
            (state.families, state.families.map { $0.readers })
        }
        var values: [[LabelSet: Double]] = []
        for familyReaders in readers {
            values.append(familyReaders.mapValues { $0() })
        }
        return MetricsText.render(families, readValues: values)
    }

    private func register(
        _ name: String, help: String, kind: Kind, buckets: [Double], labels: [String: String], initial: SeriesValue?
    ) -> (family: Int, labels: LabelSet) {
        precondition(MetricsText.isValidMetricName(name), "invalid metric name \"\(name)\"")
        for label in labels.keys {
            precondition(MetricsText.isValidLabelName(label), "invalid label name \"\(label)\" on \(name)")
        }
        let labelSet = LabelSet(labels)
        return state.withLock { state in
            let index: Int
            if let existing = state.indexByName[name] {
                precondition(
                    state.families[existing].kind == kind,
                    "metric \(name) registered as \(state.families[existing].kind) and as \(kind)")
                index = existing
            } else {
                index = state.families.count
                state.families.append(Family(name: name, help: help, kind: kind, buckets: buckets))
                state.indexByName[name] = index
            }
            if let initial, state.families[index].series[labelSet] == nil {
                state.families[index].series[labelSet] = initial
            }
            return (index, labelSet)
        }
    }

    func update(family: Int, labels: LabelSet, _ body: (inout SeriesValue, [Double]) -> Void) {
        state.withLock { state in
            let buckets = state.families[family].buckets
            if var value = state.families[family].series[labels] {
                body(&value, buckets)
                state.families[family].series[labels] = value
            }
        }
    }

    func value(family: Int, labels: LabelSet) -> SeriesValue? {
        state.withLock { $0.families[family].series[labels] }
    }
}

/// Label names and values of one series, sorted by name.
struct LabelSet: Hashable, Sendable, Comparable {
    var pairs: [Pair]

    struct Pair: Hashable, Sendable {
        var name: String
        var value: String
    }

    init(_ labels: [String: String]) {
        pairs = labels.map { Pair(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    static func < (lhs: LabelSet, rhs: LabelSet) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) {
            if left.name != right.name { return left.name < right.name }
            if left.value != right.value { return left.value < right.value }
        }
        return lhs.pairs.count < rhs.pairs.count
    }
}

/// One counter series.
public struct Counter: Sendable {
    let registry: MetricsRegistry
    let family: Int
    let labels: LabelSet

    /// Adds `amount` (ignored unless positive: a counter never goes down).
    public func increment(by amount: Double = 1) {
        guard amount > 0 else { return }
        registry.update(family: family, labels: labels) { value, _ in
            if case .number(let current) = value { value = .number(current + amount) }
        }
    }

    public var value: Double {
        if case .number(let value) = registry.value(family: family, labels: labels) { return value }
        return 0
    }
}

/// One gauge series.
public struct Gauge: Sendable {
    let registry: MetricsRegistry
    let family: Int
    let labels: LabelSet

    public func set(_ newValue: Double) {
        registry.update(family: family, labels: labels) { value, _ in value = .number(newValue) }
    }

    public func set(_ newValue: Int) { set(Double(newValue)) }

    public func add(_ amount: Double) {
        registry.update(family: family, labels: labels) { value, _ in
            if case .number(let current) = value { value = .number(current + amount) }
        }
    }

    public var value: Double {
        if case .number(let value) = registry.value(family: family, labels: labels) { return value }
        return 0
    }
}

/// One histogram series.
public struct Histogram: Sendable {
    /// Bounds in seconds from 1 ms to 10 s, for durations of applies and resyncs.
    public static let defaultBuckets: [Double] = [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    let registry: MetricsRegistry
    let family: Int
    let labels: LabelSet

    public func observe(_ observation: Double) {
        guard !observation.isNaN else { return }
        registry.update(family: family, labels: labels) { value, bounds in
            guard case .histogram(var counts) = value else { return }
            let bucket = bounds.firstIndex { observation <= $0 } ?? bounds.count
            counts.counts[bucket] += 1
            counts.sum += observation
            counts.count += 1
            value = .histogram(counts)
        }
    }

    /// How many observations there were.
    public var count: UInt64 {
        if case .histogram(let counts) = registry.value(family: family, labels: labels) { return counts.count }
        return 0
    }
}
