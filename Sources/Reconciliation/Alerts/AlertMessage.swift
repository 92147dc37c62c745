import Foundation
import ReconEngine

/// The JSON a run's alert posts: `{ runId, status, summary, new, resolvedCount, text }`, where
/// `new` holds up to 50 of the new, unacknowledged discrepancies at or above the threshold (none
/// for a failed run: the next completed run lists them, so they page once) and `text` is one paragraph, so a Slack-compatible webhook shows it as it is.
public struct AlertMessage: Sendable, Encodable {
    /// At most this many discrepancies are listed in `new`; `text` gives the total.
    public static let maxListed = 50

    public var runId: String
    public var status: RunStatus
    public var summary: RunReport.Summary
    public var new: [Finding]
    public var resolvedCount: Int
    public var text: String

    /// The alert a recorded run sends, or nil when none is due: it failed, or it found new
    /// discrepancies no acknowledgement covers at or above `threshold`. Persisting drift alone
    /// never alerts (one page per new problem), nor does a dry or stopped run.
    public init?(report: RunReport, threshold: Severity) {
        guard !report.dryRun, report.status == .failed || report.status == .drift else { return nil }
        let due = report.discrepancies.filter {
            $0.tracking?.status == .new && $0.tracking?.acknowledged == nil && $0.severity >= threshold
        }
        guard report.status == .failed || !due.isEmpty else { return nil }
        runId = report.runId
        status = report.status
        summary = report.summary
        // A failed run is never a later run's baseline: the completed run after it finds its new
        // discrepancies new again, and lists them then. Listed now, they would page twice.
        new = report.status == .failed ? [] : Array(due.prefix(Self.maxListed))
        resolvedCount = report.resolved.count
        let rules = report.rules.name
        if report.status == .failed {
            text = "streamrecon run \(report.runId) of '\(rules)' failed: \(report.error ?? "see the run's record")."
                + (due.isEmpty ? "" : " It found \(due.count) new discrepanc\(due.count == 1 ? "y" : "ies") at or above \(threshold.rawValue) before it ended;"
                    + " the next completed run lists them.")
        } else {
            let examples = due.prefix(3).map { "\($0.streamId) \($0.kind.rawValue) \($0.subject)" }.joined(separator: "; ")
            text = "streamrecon run \(report.runId) of '\(rules)' found \(due.count) new discrepanc\(due.count == 1 ? "y" : "ies")"
                + " at or above \(threshold.rawValue) (\(report.summary.discrepancies) in all, \(report.resolved.count) resolved since the last run): "
                + examples + (due.count > 3 ? "; and \(due.count - 3) more." : ".")
        }
    }

    /// The message as compact JSON, keys sorted.
    public var json: Data { (try? JSONEncoder.sorted.encode(self)) ?? Data("{}".utf8) }
}
