import CoreMetrics
import Foundation
import Prometheus
import Reconciliation

/// The server's metrics (SPEC §7), through swift-metrics into a Prometheus registry of its own,
/// so that two servers in one process (as in tests) never share counters.
public struct ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let inProgress: CoreMetrics.Gauge

    static let statuses: [RunStatus] = [.clean, .drift, .failed, .aborted]

    public init() {
        factory = PrometheusMetricsFactory(registry: registry)
        inProgress = Gauge(label: "streamrecon_run_in_progress", factory: factory)
        inProgress.record(0)
    }

    /// Whether a run is in progress, as a 0/1 gauge.
    func running(_ running: Bool) {
        inProgress.record(running ? 1 : 0)
    }

    /// Records a finished run: its status, duration and discrepancies by kind.
    func record(_ report: RunReport, duration: Duration, finishedAt: Date) {
        let dryRun = report.dryRun ? "true" : "false"
        Counter(label: "streamrecon_runs_total", dimensions: [("status", report.status.rawValue), ("dry_run", dryRun)], factory: factory)
            .increment()
        CoreMetrics.Timer(label: "streamrecon_run_duration_seconds", dimensions: [("dry_run", dryRun)], factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        for (kind, count) in report.summary.byKind {
            Counter(label: "streamrecon_discrepancies_total", dimensions: [("kind", kind)], factory: factory).increment(by: count)
        }
        // The last-run gauges follow recorded runs only: an engineer's dry run must not clear an alert.
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
        Counter(label: "streamrecon_runs_not_started_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    private func lastRun(status: RunStatus, finishedAt: Date, discrepancies: Int) {
        for candidate in Self.statuses {
            Gauge(label: "streamrecon_last_run_status", dimensions: [("status", candidate.rawValue)], factory: factory)
                .record(candidate == status ? 1 : 0)
        }
        Gauge(label: "streamrecon_last_run_timestamp_seconds", factory: factory).record(finishedAt.timeIntervalSince1970)
        Gauge(label: "streamrecon_last_run_discrepancies", factory: factory).record(discrepancies)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
