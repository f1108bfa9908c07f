import CoreMetrics
import Prometheus

/// Registers metrics in one Prometheus registry (with their help text, which swift-metrics' factory API
/// cannot carry), each under Tabby's name and, where Felix has an equivalent, also under Felix's. Remembers
/// the order of registration, in which ``MetricsExposition`` lists the families, and which are Felix's, which
/// it leaves out unless they are asked for.
struct MetricsRegistration {
    /// A Felix metric name and the labels Felix gives its series.
    struct FelixName: ExpressibleByStringLiteral {
        var name: String
        var labels: [(String, String)] = []

        init(_ name: String, labels: [(String, String)]) {
            self.name = name
            self.labels = labels
        }

        init(stringLiteral name: String) {
            self.name = name
        }
    }

    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private(set) var families: [String] = []
    private(set) var felixFamilies: Set<String> = []

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    mutating func counter(
        _ name: String, labels: [(String, String)] = [], felix: FelixName? = nil, help: String
    ) -> CounterMetric {
        let series = exposedNames(name, labels, felix).map { name, labels in
            MetricSeries<any CounterHandler>(
                name: name, labels: labels,
                handler: registry.makeCounter(descriptor: Self.descriptor(name, help), labels: labels))
        }
        return CounterMetric(series, factory: factory)
    }

    mutating func gauge(
        _ name: String, labels: [(String, String)] = [], felix: FelixName? = nil, help: String
    ) -> GaugeMetric {
        let series = exposedNames(name, labels, felix).map { name, labels in
            MetricSeries<any RecorderHandler>(
                name: name, labels: labels,
                handler: registry.makeGauge(descriptor: Self.descriptor(name, help), labels: labels))
        }
        return GaugeMetric(series, factory: factory)
    }

    mutating func durations(_ name: String, felix: FelixName? = nil, help: String) -> DurationMetric {
        let series = exposedNames(name, [], felix).map { name, labels in
            MetricSeries<any TimerHandler>(
                name: name, labels: labels,
                handler: registry.makeDurationHistogram(
                    descriptor: Self.descriptor(name, help), labels: labels, buckets: DurationMetric.buckets))
        }
        return DurationMetric(series, factory: factory)
    }

    /// Tabby's name, then Felix's if there is one; each is remembered as a family.
    private mutating func exposedNames(_ name: String, _ labels: [(String, String)], _ felix: FelixName?)
        -> [(String, [(String, String)])]
    {
        var names = [(name, labels)]
        if let felix {
            names.append((felix.name, felix.labels))
            felixFamilies.insert(felix.name)
        }
        for (name, _) in names where !families.contains(name) { families.append(name) }
        return names
    }

    private static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
