import ArgumentParser
import ReconEngine
import Reconciliation

extension StreamRecon.Runs.Show {
    /// Prints the shards of one run merged (table or JSON), then exits as the run would have:
    /// 0 clean, 1 drift, 3 when a shard failed or the merge is incomplete (stderr says why).
    func show(_ merged: MergedRun) throws {
        if options.format == .json {
            try Terminal.write(StreamRecon.Runs.encode(merged))
        } else {
            try Terminal.write(Self.text(merged))
        }
        // Every shard present: the status is clean or drift.
        if let reason = merged.incompleteReason {
            Terminal.printError("error: \(reason)")
            throw ExitCode(ExitStatus.failed)
        }
        if merged.status == .drift, merged.highestSeverity != nil { throw ExitCode(ExitStatus.problems) }
    }

    static func text(_ merged: MergedRun) -> String {
        let safe = { (text: String) in TerminalText.escaped(text) }
        let shards = merged.shards
        var lines = ["Run key \(safe(merged.runKey)) (\(shards.count) shards merged): \(merged.status.rawValue)"
            + (merged.complete ? "" : ", INCOMPLETE (\(shards.present.count) of \(shards.count) shards complete)")]
        if let rules = merged.rules { lines.append("  rules     \(safe(rules.name)) (sha256 \(safe(String(rules.sha256.prefix(12)))))") }
        let kinds = merged.summary.byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("  streams   \(merged.summary.streamsChecked) checked, \(merged.summary.discrepancies) discrepancies"
            + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))"))
        let byStatus = merged.summary.byStatus
        lines.append("  since     \(byStatus["new"] ?? 0) new, \(byStatus["persisting"] ?? 0) persisting, \(byStatus["resolved"] ?? 0) resolved")
        for part in shards.parts {
            guard let runId = part.runId else {
                lines.append("  shard \(part.index)   missing: no run of shard \(part.index)/\(shards.count) is recorded under this key")
                continue
            }
            let counts = [part.chainBlock.map { "block \($0)" }, part.streamsChecked.map { "\($0) streams" },
                          part.discrepancies.map { "\($0) discrepancies" }].compactMap { $0 }.joined(separator: ", ")
            lines.append("  shard \(part.index)   \(part.status?.rawValue ?? "-"): run \(safe(runId)), started \(safe(part.startedAt ?? "-"))"
                + (counts.isEmpty ? "" : "; \(counts)"))
        }
        for note in shards.notes { lines.append("  note      \(safe(note))") }
        if let reason = merged.incompleteReason { lines.append("  incomplete  \(safe(reason))") }
        var text = lines.joined(separator: "\n") + "\n"
        guard !merged.discrepancies.isEmpty else { return text }
        let header = ["STREAM", "KIND", "FIELD/RULE", "SIDE", "DB", "CHAIN", "STATUS", "SEVERITY", "MESSAGE"]
        // New first, then persisting, as a run's table report shows them.
        let ordered = merged.discrepancies.filter { $0.tracking?.status != .persisting } + merged.discrepancies.filter { $0.tracking?.status == .persisting }
        let rows = ordered.map { finding in
            [finding.streamId, finding.kind.rawValue, finding.field ?? finding.rule, finding.side?.rawValue ?? "-",
             TableReport.cell(finding.dbValue, kind: finding.kind.rawValue), TableReport.cell(finding.onChainValue, kind: finding.kind.rawValue),
             TableReport.status(finding.tracking), finding.severity.rawValue, finding.message]
        }
        text += "\n" + TextTable.render([header] + rows)
        return text
    }
}
