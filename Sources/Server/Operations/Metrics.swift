import Synchronization

/// The server's metrics, rendered in the Prometheus text exposition format.
///
/// Metrics are registered once at start-up and updated from any thread. Each
/// update takes one uncontended lock, cheap next to the work it counts.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])

    public init() {}

    /// Registers a counter: a value that only goes up.
    public func counter(_ name: String, help: String, labels: [String] = []) -> Counter {
        register(Counter(name: name, help: help, labelNames: labels))
    }

    /// Registers a gauge: a value that goes up and down.
    public func gauge(_ name: String, help: String, labels: [String] = []) -> Gauge {
        register(Gauge(name: name, help: help, labelNames: labels))
    }

    /// Registers a histogram with the given upper bounds, in ascending order.
    public func histogram(_ name: String, help: String, buckets: [Double]) -> Histogram {
        register(Histogram(name: name, help: help, bounds: buckets))
    }

    private func register<M: MetricFamily>(_ metric: M) -> M {
        families.withLock { list in
            precondition(!list.contains { $0.name == metric.name }, "metric \(metric.name) twice")
            list.append(metric)
        }
        return metric
    }

    /// Every metric in the text exposition format, version 0.0.4.
    public func render() -> String {
        var out = ""
        for family in families.withLock({ $0 }) {
            out += "# HELP \(family.name) \(family.help)\n"
            out += "# TYPE \(family.name) \(family.kind)\n"
            family.render(into: &out)
        }
        return out
    }
}

/// One named metric with its samples.
protocol MetricFamily: Sendable {
    var name: String { get }
    var help: String { get }
    var kind: String { get }
    func render(into out: inout String)
}

/// Values keyed by their label values, shared by counters and gauges.
final class LabelledValues: Sendable {
    let labelNames: [String]
    private let values = Mutex<[[String]: Double]>([:])

    init(labelNames: [String]) {
        self.labelNames = labelNames
        if labelNames.isEmpty { values.withLock { $0[[]] = 0 } }
    }

    func add(_ delta: Double, _ labels: [String]) {
        precondition(labels.count == labelNames.count, "label values do not match names")
        values.withLock { $0[labels, default: 0] += delta }
    }

    func set(_ value: Double, _ labels: [String]) {
        precondition(labels.count == labelNames.count, "label values do not match names")
        values.withLock { $0[labels] = value }
    }

    func value(_ labels: [String]) -> Double {
        values.withLock { $0[labels] ?? 0 }
    }

    func render(name: String, into out: inout String) {
        let snapshot = values.withLock { $0 }.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for (labels, value) in snapshot {
            out += name + labelText(labelNames, labels) + " " + formatSample(value) + "\n"
        }
    }
}

/// A value that only goes up: events ingested, alerts raised.
public final class Counter: MetricFamily {
    let name: String
    let help: String
    var kind: String { "counter" }
    private let values: LabelledValues

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.values = LabelledValues(labelNames: labelNames)
    }

    /// Adds `amount` to the sample with these label values, in order.
    public func increment(by amount: Double = 1, _ labels: String...) {
        precondition(amount >= 0, "a counter only goes up")
        values.add(amount, labels)
    }

    /// The current value of the sample with these label values.
    public func value(_ labels: String...) -> Double { values.value(labels) }

    func render(into out: inout String) { values.render(name: name, into: &out) }
}

/// A value that goes up and down: open cases, subscribers.
public final class Gauge: MetricFamily {
    let name: String
    let help: String
    var kind: String { "gauge" }
    private let values: LabelledValues

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.values = LabelledValues(labelNames: labelNames)
    }

    public func set(_ value: Double, _ labels: String...) { values.set(value, labels) }

    public func add(_ delta: Double, _ labels: String...) { values.add(delta, labels) }

    public func value(_ labels: String...) -> Double { values.value(labels) }

    func render(into out: inout String) { values.render(name: name, into: &out) }
}

/// Observations counted into fixed buckets: acknowledgement latency, commit
/// time.
public final class Histogram: MetricFamily {
    let name: String
    let help: String
    var kind: String { "histogram" }
    private let bounds: [Double]
    private let state: Mutex<(buckets: [UInt64], count: UInt64, sum: Double)>

    init(name: String, help: String, bounds: [Double]) {
        precondition(bounds == bounds.sorted(), "histogram bounds must ascend")
        self.name = name
        self.help = help
        self.bounds = bounds
        self.state = Mutex((Array(repeating: 0, count: bounds.count), 0, 0))
    }

    /// Records one observation.
    public func observe(_ value: Double) {
        // The first bound at or above the value; buckets are made cumulative
        // when rendered, so each observation touches one slot.
        var low = 0
        var high = bounds.count
        while low < high {
            let mid = (low + high) / 2
            if bounds[mid] < value { low = mid + 1 } else { high = mid }
        }
        state.withLock { s in
            if low < s.buckets.count { s.buckets[low] += 1 }
            s.count += 1
            s.sum += value
        }
    }

    /// How many observations were recorded.
    public var count: UInt64 { state.withLock { $0.count } }

    func render(into out: inout String) {
        let s = state.withLock { $0 }
        var cumulative: UInt64 = 0
        for (bound, n) in zip(bounds, s.buckets) {
            cumulative += n
            out += "\(name)_bucket{le=\"\(formatSample(bound))\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(s.count)\n"
        out += "\(name)_sum \(formatSample(s.sum))\n"
        out += "\(name)_count \(s.count)\n"
    }
}

private func labelText(_ names: [String], _ values: [String]) -> String {
    if names.isEmpty { return "" }
    let pairs = zip(names, values).map { name, value in
        var escaped = ""
        for c in value {
            switch c {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(c)
            }
        }
        return "\(name)=\"\(escaped)\""
    }
    return "{" + pairs.joined(separator: ",") + "}"
}

/// Integers without a fraction, everything else as Swift prints doubles;
/// both are valid Prometheus sample values.
private func formatSample(_ value: Double) -> String {
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}
