import Metrics

// The handles the main loop updates. Each is a swift-metrics handle per exposed name: one for Tabby's name
// and, with `metricsFelixNames`, one more for Felix's, so a single update moves both series.

/// A count that only goes up.
public struct CounterMetric: Sendable {
    let counters: [Counter]

    /// Adds `amount`; an amount below 1 is ignored, since a counter never goes down.
    public func increment(by amount: Int = 1) {
        guard amount > 0 else { return }
        for counter in counters { counter.increment(by: amount) }
    }
}

/// A value that goes up and down.
public struct GaugeMetric: Sendable {
    let gauges: [Gauge]

    public func set(_ value: Double) {
        for gauge in gauges { gauge.record(value) }
    }

    public func set(_ value: Int) { set(Double(value)) }
}

/// Durations in seconds, exposed as a Prometheus histogram (swift-metrics' `Timer`).
public struct DurationMetric: Sendable {
    /// Bounds in seconds from 1 ms to 10 s, for durations of applies, calculations and resyncs.
    public static let buckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    let timers: [Timer]

    /// Records one duration; a negative, infinite or NaN one is ignored.
    public func observe(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        let nanoseconds = Int64(min(seconds * 1e9, Double(Int64.max / 2)))
        for timer in timers { timer.recordNanoseconds(nanoseconds) }
    }
}

/// One exposed series of a metric: its name, labels and the backend handler that holds its value.
struct MetricSeries<Handler> {
    var name: String
    var labels: [(String, String)]
    var handler: Handler
}

extension CounterMetric {
    init(_ series: [MetricSeries<any CounterHandler>], factory: any MetricsFactory) {
        counters = series.map { Counter(label: $0.name, dimensions: $0.labels, handler: $0.handler, factory: factory) }
    }
}

extension GaugeMetric {
    init(_ series: [MetricSeries<any RecorderHandler>], factory: any MetricsFactory) {
        gauges = series.map {
            Gauge(label: $0.name, dimensions: $0.labels, aggregate: false, handler: $0.handler, factory: factory)
        }
    }
}

extension DurationMetric {
    init(_ series: [MetricSeries<any TimerHandler>], factory: any MetricsFactory) {
        timers = series.map { Timer(label: $0.name, dimensions: $0.labels, handler: $0.handler, factory: factory) }
    }
}
