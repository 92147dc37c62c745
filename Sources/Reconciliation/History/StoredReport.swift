import Foundation
import ReconEngine

extension RunReport {
    /// The report without its discrepancies, as the run row keeps it (`report_summary`): with
    /// the discrepancy rows, it gives back the report a run key answers with.
    public var envelopeJSON: String {
        String(decoding: (try? NDJSONReport.SummaryLine(report: self).encoded(pretty: false)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The report of a recorded run, from its row, its kept envelope (nil for a run whose record
    /// could not be completed, or from an older version) and its discrepancy rows.
    public static func stored(run: RunRecord, envelope: String?, rows: [DiscrepancyRecord]) -> RunReport {
        let findings = rows.map(\.finding).sorted(by: Finding.reportOrder)
        if let envelope, var report = try? JSONDecoder().decode(RunReport.self, from: Data(envelope.utf8)) {
            report.discrepancies = findings
            report.status = run.status
            // Kept before the completion was known to have been written: it was.
            report.persisted = true
            return report
        }
        return RunReport(
            runId: run.id, status: run.status, dryRun: run.dryRun, persisted: run.status != .running, startedAt: run.startedAt,
            finishedAt: run.finishedAt ?? run.startedAt, rules: Rules(name: run.rulesName, sha256: run.rulesSha256),
            source: Source(chainBlock: run.chainBlock.map { UInt64(clamping: $0) }),
            summary: Summary(streamsChecked: run.streamsChecked ?? 0, discrepancies: findings.count, byKind: byKind(findings), streamsByStatus: [:]),
            discrepancies: findings, error: run.error, runKey: run.runKey)
    }
}
