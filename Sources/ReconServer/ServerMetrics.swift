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
        for status in Self.statuses {
            Gauge(label: "streamrecon_last_run_status", dimensions: [("status", status.rawValue)], factory: factory)
                .record(status == report.status ? 1 : 0)
        }
        Gauge(label: "streamrecon_last_run_timestamp_seconds", factory: factory).record(finishedAt.timeIntervalSince1970)
        Gauge(label: "streamrecon_last_run_discrepancies", factory: factory).record(report.summary.discrepancies)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
