import ReconEngine
import ReconSources

extension MergedRun {
    /// Merges the shard runs recorded in `store` under the run key `prefix`; nil when none is.
    /// The shard count is the newest run's (runs split another way are left out, with a note).
    /// For each shard it takes the newest run that finished (`clean`, `drift` or `failed`), else
    /// the newest run; the discrepancies of the finished ones are merged.
    public static func merge(runKeyPrefix prefix: String, in store: any RunStore) async throws(SourceError) -> MergedRun? {
        let runs = try await store.shardRuns(runKeyPrefix: prefix)
        guard let count = runs.first?.shard?.count else { return nil }
        var notes: [String] = []
        let others = runs.filter { $0.shard?.count != count }
        if !others.isEmpty {
            let counts = Set(others.compactMap { $0.shard?.count }).sorted().map(String.init).joined(separator: ", ")
            notes.append("the runs under run key '\(prefix)' disagree on the shard count: the newest is split \(count) ways; "
                + "\(others.count) \(others.count == 1 ? "run" : "runs") split \(counts) ways \(others.count == 1 ? "is" : "are") left out")
        }
        var parts: [Part] = []
        var reports: [RunReport] = []
        for index in 0..<count {
            let own = runs.filter { $0.shard?.count == count && $0.shard?.index == index }
            guard let chosen = own.first(where: { [.clean, .drift, .failed].contains($0.status) }) ?? own.first else {
                parts.append(Part(index: index, state: .missing, runs: 0))
                continue
            }
            if own.count > 1 {
                notes.append("shard \(index) ran \(own.count) times; the merge takes run \(chosen.id) (\(chosen.status.rawValue), started \(chosen.startedAt))")
            }
            var part = Part(index: index, state: State(chosen.status), runId: chosen.id, status: chosen.status, startedAt: chosen.startedAt,
                            finishedAt: chosen.finishedAt, chainBlock: chosen.chainBlock, streamsChecked: chosen.streamsChecked,
                            discrepancies: chosen.discrepancyCount, runs: own.count)
            if part.state == .present || part.state == .failed, let report = try await store.storedReport(id: chosen.id) {
                part.streamsChecked = report.summary.streamsChecked
                part.discrepancies = report.discrepancies.count
                reports.append(report)
            }
            parts.append(part)
        }
        let rules = Set(reports.map { "\($0.rules.name) (sha256 \($0.rules.sha256.prefix(12)))" })
        if rules.count > 1 { notes.append("the shards ran different rules: \(rules.sorted().joined(separator: ", "))") }
        return MergedRun(
            runKey: prefix, status: parts.compactMap(\.status).max { $0.severityRank < $1.severityRank } ?? .running,
            complete: parts.allSatisfy { $0.state == .present }, rules: reports.first?.rules, summary: summed(reports),
            shards: Shards(count: count, present: indexes(parts, .present), failed: indexes(parts, .failed), running: indexes(parts, .running),
                           aborted: indexes(parts, .aborted), missing: indexes(parts, .missing), parts: parts, notes: notes),
            discrepancies: reports.flatMap(\.discrepancies).sorted(by: Finding.reportOrder),
            resolved: reports.flatMap(\.resolved).sorted(by: RunBaseline.Entry.reportOrder),
            expiredAcks: reports.flatMap(\.expiredAcks), staleAcks: reports.flatMap(\.staleAcks))
    }

    private static func indexes(_ parts: [Part], _ state: State) -> [Int] {
        parts.filter { $0.state == state }.map(\.index)
    }

    /// The shards' summaries, each count summed.
    private static func summed(_ reports: [RunReport]) -> RunReport.Summary {
        var summary = RunReport.Summary(streamsChecked: 0, discrepancies: 0, byKind: [:], streamsByStatus: [:])
        for report in reports {
            summary.streamsChecked += report.summary.streamsChecked
            summary.discrepancies += report.summary.discrepancies
            summary.byKind.merge(report.summary.byKind, uniquingKeysWith: +)
            summary.streamsByStatus.merge(report.summary.streamsByStatus, uniquingKeysWith: +)
            summary.byStatus.merge(report.summary.byStatus, uniquingKeysWith: +)
            summary.acknowledged += report.summary.acknowledged
        }
        return summary
    }
}

extension MergedRun.State {
    init(_ status: RunStatus) {
        switch status {
        case .clean, .drift: self = .present
        case .failed: self = .failed
        case .running: self = .running
        case .aborted: self = .aborted
        }
    }
}

extension RunStatus {
    /// How bad a shard's status is for the merge: clean, drift, running, aborted, failed.
    var severityRank: Int {
        switch self {
        case .clean: 0
        case .drift: 1
        case .running: 2
        case .aborted: 3
        case .failed: 4
        }
    }
}
