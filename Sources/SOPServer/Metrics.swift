import Prometheus

/// The server's Prometheus metrics, served at `/metrics`.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let started: Counter
    let stepDuration: DurationHistogram
    let timersFired: Counter
    let ticks: Counter

    public init() {
        started = registry.makeCounter(descriptor: Self.name("sop_runs_started", "total", "Runs started through the API."))
        stepDuration = registry.makeDurationHistogram(
            descriptor: Self.name("sop_step_duration", "seconds", "Time from a step's request to its commit (steps and ticket updates)."),
            buckets: [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)])
        timersFired = registry.makeCounter(descriptor: Self.name("sop_timers_fired", "total", "Transitions taken by the server's tick loop."))
        ticks = registry.makeCounter(descriptor: Self.name("sop_ticks", "total", "Ticks the server has run."))
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: metric, unitName: unit, helpText: help)
    }

    /// Steps by result: ok, duplicate, or the kind of error (refused, forbidden, stale_version…).
    func steps(_ result: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("sop_steps", "total", "Steps and ticket updates by result."), labels: [("result", result)])
    }

    /// Refused steps by the kind of refusal.
    func refusals(_ reason: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("sop_refusals", "total", "Steps refused, by reason."), labels: [("reason", reason)])
    }

    /// Outbound webhook deliveries by result: delivered, retry, failed.
    func deliveries(_ result: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("sop_webhook_deliveries", "total", "Webhook delivery attempts by result."), labels: [("result", result)])
    }

    /// Inbound helpdesk deliveries by result: applied, duplicate, stale.
    func hookDeliveries(_ result: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("sop_helpdesk_deliveries", "total", "Helpdesk ticket updates received, by result."), labels: [("result", result)])
    }

    func requests(_ status: Int) -> Counter {
        registry.makeCounter(descriptor: Self.name("sop_http_requests", "total", "HTTP requests by status."), labels: [("status", String(status))])
    }
}
