import Foundation
import Prometheus
import Reconciliation

/// The server's metrics (docs/operations.md, "Metrics"), in a Prometheus registry of its own, so
/// that two servers in one process (as in tests) never share counters. Every metric has HELP
/// text and its unit in its name where it has one: `promtool check metrics` accepts the output.
public struct ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let inProgress: Gauge

    static let statuses: [RunStatus] = [.clean, .drift, .failed, .aborted]
    static let discrepancyStatuses = ["new", "persisting", "resolved", "acknowledged"]
    /// Run durations: from a demo's second to a night's hours.
    static let durationBuckets: [Duration] = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400].map { .seconds($0) }

    enum Help {
        static let inProgress = "1 while a reconciliation run is in progress, else 0."
        static let runs = "Reconciliation runs finished, by status and whether they were dry runs."
        static let duration = "How long reconciliation runs took, in seconds."
        static let discrepancies = "Discrepancies found, by kind, over all runs."
        static let notStarted = "Run requests that started no run, by reason: busy, rules_invalid, unavailable, shutting_down or key_used (answered with the stored report of the run with that Idempotency-Key)."
        static let byStatus = "Discrepancies of recorded runs by status against the previous run: new, persisting, resolved (the previous run's, no longer found) and acknowledged."
        static let alerts = "Alert deliveries, by outcome: delivered, failed or stopped."
        static let lastNew = "New discrepancies no acknowledgement covers in the last recorded run."
        static let lastStatus = "1 for the status of the last recorded run, 0 for the other statuses."
        static let lastTimestamp = "When the last recorded run finished, in Unix time seconds."
        static let lastDiscrepancies = "How many discrepancies the last recorded run found."
    }

    public init() {
        inProgress = registry.makeGauge(name: "streamrecon_run_in_progress", help: Help.inProgress)
        inProgress.set(to: 0)
    }

    /// Whether a run is in progress, as a 0/1 gauge.
    func running(_ running: Bool) {
        inProgress.set(to: running ? 1 : 0)
    }

    /// Records a finished run: its status, duration and discrepancies by kind.
    func record(_ report: RunReport, duration: Duration, finishedAt: Date) {
        let dryRun = report.dryRun ? "true" : "false"
        registry.makeCounter(name: "streamrecon_runs_total", labels: [("status", report.status.rawValue), ("dry_run", dryRun)], help: Help.runs)
            .increment()
        registry.makeDurationHistogram(name: "streamrecon_run_duration_seconds", labels: [("dry_run", dryRun)],
                                       buckets: Self.durationBuckets, help: Help.duration)
            .record(duration)
        for (kind, count) in report.summary.byKind {
            registry.makeCounter(name: "streamrecon_discrepancies_total", labels: [("kind", kind)], help: Help.discrepancies)
                .increment(by: Int64(count))
        }
        // The last-run gauges and the counts by status follow recorded runs only: an engineer's
        // dry run must not clear an alert, nor count tonight's drift twice.
        if !report.dryRun {
            let counts = report.summary.byStatus.merging(["acknowledged": report.summary.acknowledged]) { $1 }
            for status in Self.discrepancyStatuses {
                registry.makeCounter(name: "streamrecon_discrepancies_by_status_total", labels: [("status", status)], help: Help.byStatus)
                    .increment(by: Int64(counts[status] ?? 0))
            }
            let newUnacknowledged = report.discrepancies.count { $0.tracking?.status == .new && $0.tracking?.acknowledged == nil }
            registry.makeGauge(name: "streamrecon_last_run_new_unacknowledged", help: Help.lastNew).set(to: Double(newUnacknowledged))
        }
        if let alert = report.alert {
            registry.makeCounter(name: "streamrecon_alerts_total", labels: [("outcome", alert.outcome.rawValue)], help: Help.alerts).increment()
        }
        if !report.dryRun {
            lastRun(status: report.status, finishedAt: finishedAt, discrepancies: report.summary.discrepancies)
        }
    }

    /// Sets the last-run gauges from the run tables at start, so that they survive a restart.
    func restore(_ latest: RunRecord) {
        guard latest.status != .running, let finished = latest.finishedAt,
              let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(finished))
                ?? (try? Date.ISO8601FormatStyle().parse(finished)) else { return }
        lastRun(status: latest.status, finishedAt: date, discrepancies: latest.discrepancyCount ?? 0)
    }

    /// Counts a run request that started no run: `busy`, `rules_invalid`, `unavailable` or `shutting_down`.
    func notStarted(_ reason: String) {
        registry.makeCounter(name: "streamrecon_runs_not_started_total", labels: [("reason", reason)], help: Help.notStarted).increment()
    }

    private func lastRun(status: RunStatus, finishedAt: Date, discrepancies: Int) {
        for candidate in Self.statuses {
            registry.makeGauge(name: "streamrecon_last_run_status", labels: [("status", candidate.rawValue)], help: Help.lastStatus)
                .set(to: candidate == status ? 1 : 0)
        }
        registry.makeGauge(name: "streamrecon_last_run_timestamp_seconds", help: Help.lastTimestamp).set(to: finishedAt.timeIntervalSince1970)
        registry.makeGauge(name: "streamrecon_last_run_discrepancies", help: Help.lastDiscrepancies).set(to: Double(discrepancies))
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
