import ReconEngine

/// Gives each finding of a run its fingerprint, its status against the baseline (new or
/// persisting) and the acknowledgement that covers it; then sums the run up: what was resolved,
/// the counts by status, and the acknowledgements that expired or matched nothing.
public struct DriftTracker: Sendable {
    public let rulesName: String
    public let runId: String
    public let startedAt: String
    public let baseline: RunBaseline?
    /// The acknowledgements that apply tonight, by stream.
    private let active: [String: [Acknowledgement]]
    public let activeAcks: [Acknowledgement]
    public let expiredAcks: [Acknowledgement]

    /// `today` is `YYYY-MM-DD` (UTC): an acknowledgement applies through its `expires` day.
    public init(rulesName: String, runId: String, startedAt: String, baseline: RunBaseline?, acks: [Acknowledgement], today: String) {
        self.rulesName = rulesName
        self.runId = runId
        self.startedAt = startedAt
        self.baseline = baseline
        activeAcks = acks.filter { !$0.hasExpired(today: today) }
        expiredAcks = acks.filter { $0.hasExpired(today: today) }
        active = Dictionary(grouping: activeAcks, by: \.stream)
    }

    public func track(_ finding: inout Finding) {
        let fingerprint = Fingerprint.of(finding, rulesName: rulesName)
        let acknowledged = active.isEmpty ? nil : active[finding.streamId]?.first { $0.matches(finding) }?.note
        if let previous = baseline?.entries[fingerprint] {
            finding.tracking = Finding.Tracking(fingerprint: fingerprint, status: .persisting, firstSeenAt: previous.firstSeenAt,
                                                firstSeenRunId: previous.firstSeenRunId, acknowledged: acknowledged)
        } else {
            finding.tracking = Finding.Tracking(fingerprint: fingerprint, status: .new, firstSeenAt: startedAt, firstSeenRunId: runId,
                                                acknowledged: acknowledged)
        }
    }

    /// Fills in the report's `resolved`, `summary.byStatus`, `summary.acknowledged`,
    /// `expiredAcks` and `staleAcks` from its tracked discrepancies. Only a run that checked
    /// every stream (`clean` or `drift`) resolves anything: a run that stopped early or could not
    /// read some records has not looked for the rest.
    /// `rechecked`: the streams an incremental run checked (nil: every stream); a discrepancy of a
    /// stream it did not check is never resolved, and an acknowledgement of one never stale.
    public func summarize(_ report: inout RunReport, rechecked: Set<String>? = nil) {
        let complete = report.status == .clean || report.status == .drift
        var (new, persisting, acknowledged) = (0, 0, 0)
        for finding in report.discrepancies {
            guard let tracking = finding.tracking else { continue }
            if tracking.status == .new { new += 1 } else { persisting += 1 }
            if tracking.acknowledged != nil { acknowledged += 1 }
        }
        report.resolved = []
        if let baseline, complete {
            var found = Set<String>(minimumCapacity: new + persisting)
            for finding in report.discrepancies {
                if let fingerprint = finding.tracking?.fingerprint { found.insert(fingerprint) }
            }
            let resolved = baseline.entries.values.filter { !found.contains($0.fingerprint) && rechecked?.contains($0.streamId) != false }
            report.resolved = resolved.indicesInReportOrder(streamId: \.streamId, RunBaseline.Entry.reportOrder).map { resolved[$0] }
        }
        report.summary.byStatus = ["new": new, "persisting": persisting, "resolved": report.resolved.count]
        report.summary.acknowledged = acknowledged
        report.previousRunId = baseline?.runId
        report.expiredAcks = expiredAcks
        // Stale: an acknowledgement that applies tonight and covers nothing found. A run that
        // stopped early may not have reached its stream, so it calls none stale.
        if complete, !activeAcks.isEmpty {
            // Only the findings of acknowledged streams are looked at.
            var byStream: [String: [Finding]] = [:]
            for finding in report.discrepancies where active[finding.streamId] != nil { byStream[finding.streamId, default: []].append(finding) }
            report.staleAcks = activeAcks.filter { ack in
                rechecked?.contains(ack.stream) != false && !(byStream[ack.stream] ?? []).contains { ack.matches($0) }
            }
        } else {
            report.staleAcks = []
        }
    }
}
