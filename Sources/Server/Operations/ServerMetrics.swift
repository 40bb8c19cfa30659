import Messages

/// The metrics the server exposes, registered once.
final class ServerMetrics: Sendable {
    let registry = MetricsRegistry()
    let events: Counter
    let ackLatency: Histogram
    let storeWrite: Histogram
    let alertsRaised: Counter
    let alertsWithdrawn: Counter
    let followedCases: Gauge
    let watchers: Gauge
    let commits: Gauge
    let committedItems: Gauge
    let checkpointPasses: Gauge
    let logPages: Gauge
    let connections: Gauge
    let streams: Gauge

    init() {
        let latencyBuckets = [
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5,
        ]
        events = registry.counter(
            "monitor_events_total", help: "Case events received, by acknowledgement status.",
            labels: ["status"])
        ackLatency = registry.histogram(
            "monitor_event_ack_seconds",
            help: "From an event's arrival to its acknowledgement, once durable.",
            buckets: latencyBuckets)
        storeWrite = registry.histogram(
            "monitor_store_write_seconds",
            help: "From queueing a write to its group commit being durable.",
            buckets: latencyBuckets)
        alertsRaised = registry.counter(
            "monitor_alerts_raised_total", help: "Alerts raised, by rule and level.",
            labels: ["rule", "level"])
        alertsWithdrawn = registry.counter(
            "monitor_alerts_withdrawn_total",
            help: "Alerts withdrawn because corrected or late data showed they no longer hold.")
        followedCases = registry.gauge(
            "monitor_followed_cases", help: "Cases with a deadline still ahead.")
        watchers = registry.gauge("monitor_alert_watchers", help: "Alert watch streams open.")
        commits = registry.gauge(
            "monitor_store_commits", help: "Transactions the store's writer committed.")
        committedItems = registry.gauge(
            "monitor_store_committed_writes",
            help: "Writes those transactions carried (their ratio is the group commit).")
        checkpointPasses = registry.gauge(
            "monitor_store_checkpoint_passes",
            help: "Background passes that copied write-ahead log pages into the database file.")
        logPages = registry.gauge(
            "monitor_store_log_pages",
            help: "Pages in the write-ahead log at the last background pass.")
        connections = registry.gauge(
            "monitor_connections", help: "HTTP/2 connections open.")
        streams = registry.gauge("monitor_streams", help: "gRPC calls in flight.")
    }

    /// Counts alerts raised by a write.
    func recordRaised(_ alerts: [Messages.Alert]) {
        for alert in alerts {
            alertsRaised.increment(
                alert.rule.protoName ?? "RULE_\(alert.rule.rawValue)",
                alert.level.protoName ?? "LEVEL_\(alert.level.rawValue)")
        }
    }
}
