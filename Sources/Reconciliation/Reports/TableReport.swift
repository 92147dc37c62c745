import ReconEngine
import ReconSources

/// `table`: a readable summary and the discrepancies, coloured on a terminal.
public struct TableReport: ReportFormat {
    public static let identifier = "table"
    public static let summary = "A readable summary and a table of discrepancies; the default on a terminal."
    let output: ReportOutput

    public init(output: ReportOutput) { self.output = output }

    public mutating func found(_ finding: Finding) throws(ReportOutput.WriteFailure) {}

    private func paint(_ text: String, _ code: String) -> String {
        output.isColorTerminal ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func paint(_ severity: Severity) -> String {
        paint(severity.rawValue, severity == .critical ? "31" : severity == .warning ? "33" : "36")
    }

    public mutating func finish(_ report: RunReport) throws(ReportOutput.WriteFailure) {
        let status = paint(report.status.rawValue.uppercased(), report.status == .clean ? "32" : "31;1")
        let recorded = report.dryRun ? "dry run, nothing written" : report.persisted ? "recorded" : "not recorded"
        let safe = { (text: String) in TerminalText.escaped(text) }
        var lines = ["Reconciliation \(report.runId): \(status) (\(recorded))"]
        lines.append("  rules    \(safe(report.rules.name)) (sha256 \(report.rules.sha256.prefix(12)))")
        if let deployments = report.source.deployments, !deployments.isEmpty {
            // Each deployment at its own block, or that it could not be read (its error is a source_error finding).
            lines.append("  chain    " + deployments.map { pin in
                "\(safe(pin.name)) (chain \(pin.chainId)) " + (pin.error != nil ? "not read" : pin.chainBlock.map { "block \($0)" } ?? "no block number")
            }.joined(separator: ", "))
        } else {
            lines.append("  chain    " + (report.source.chainBlock.map { "block \($0)" } ?? "no block number"))
        }
        if let shard = report.shard { lines.append("  shard    \(shard) (index \(shard.index) of \(shard.count), counting from 0)") }
        let statuses = report.summary.streamsByStatus.sorted { $0.key < $1.key }.map { "\(safe($0.key)) \($0.value)" }
        lines.append("  streams  \(report.summary.streamsChecked) checked" + (statuses.isEmpty ? "" : " (\(statuses.joined(separator: ", ")))"))
        let kinds = report.summary.byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("  found    \(report.summary.discrepancies) discrepanc\(report.summary.discrepancies == 1 ? "y" : "ies")"
            + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))"))
        if let error = report.error { lines.append("  error    " + paint(safe(error), "31")) }
        let byStatus = report.summary.byStatus
        lines.append("  since    " + (report.previousRunId.map { "run \(safe($0))" } ?? "no earlier run") + ": "
            + "\(byStatus["new"] ?? 0) new, \(byStatus["persisting"] ?? 0) persisting, \(byStatus["resolved"] ?? 0) resolved"
            + (report.summary.acknowledged > 0 ? "; \(report.summary.acknowledged) acknowledged" : ""))
        for ack in report.expiredAcks {
            lines.append("  " + paint("expired", "33") + "  ack of \(safe(ack.stream)) \(ack.kind.rawValue) (\(safe(ack.owner))) expired on \(ack.expires)")
        }
        for ack in report.staleAcks {
            lines.append("  stale    ack of \(safe(([ack.stream, ack.kind.rawValue] + [ack.field ?? ack.rule].compactMap { $0 }).joined(separator: " "))) (\(safe(ack.owner))) matches nothing found")
        }
        if let alert = report.alert { lines.append("  alert    \(alert)") }
        try output.write(lines.joined(separator: "\n") + "\n")
        if !report.resolved.isEmpty {
            let shown = report.resolved.prefix(20).map { "    \(safe($0.streamId))  \($0.kind)  \(safe($0.field ?? $0.rule))  (first seen \($0.firstSeenAt))" }
            try output.write("\nResolved since the last run:\n" + shown.joined(separator: "\n")
                + (report.resolved.count > 20 ? "\n    … and \(report.resolved.count - 20) more (see the JSON report)" : "") + "\n")
        }
        guard !report.discrepancies.isEmpty else { return }
        let tracked = report.discrepancies.contains { $0.tracking != nil }
        let header = ["STREAM", "KIND", "FIELD/RULE", "SIDE", "DB", "CHAIN"] + (tracked ? ["STATUS"] : []) + ["SEVERITY"]
        // New first, then persisting; report order within each.
        let findings = tracked ? report.discrepancies.filter { $0.tracking?.status != .persisting } + report.discrepancies.filter { $0.tracking?.status == .persisting }
            : report.discrepancies
        // Widths are counted on the escaped text, as it is shown.
        let rows = findings.map { finding in
            [safe(finding.streamId), finding.kind.rawValue, safe(finding.field ?? finding.rule), finding.side?.rawValue ?? "-",
             Self.clip(safe(Self.cell(finding.dbValue, kind: finding.kind.rawValue))),
             Self.clip(safe(Self.cell(finding.onChainValue, kind: finding.kind.rawValue)))]
                + (tracked ? [Self.status(finding.tracking)] : []) + [finding.severity.rawValue]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String], severity: Severity?) -> String {
            cells.enumerated().map { column, cell in
                let padded = column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                return column == cells.count - 1 && severity != nil ? paint(severity!) : padded
            }.joined(separator: "  ")
        }
        var table = ["", line(header, severity: nil)]
        for (finding, row) in zip(findings, rows) {
            table.append(line(row, severity: finding.severity))
            table.append("    " + safe(finding.message))
            if let note = finding.tracking?.acknowledged {
                table.append("    acknowledged by \(safe(note.owner)) until \(safe(note.expires)): \(safe(note.reason))")
            }
        }
        try output.write(table.joined(separator: "\n") + "\n")
    }

    /// Long values (a 40-digit amount, an address) shortened to keep the table readable.
    /// A DB or chain value as a table shows it: `-` where the finding has none, except that a
    /// mismatch always compares two values, so an absent one is a null (a nullable field's).
    public static func cell(_ value: String?, kind: String) -> String {
        value ?? (kind == FindingKind.mismatch.rawValue ? "null" : "-")
    }

    /// `new`, `persisting`, with `+ack` when an acknowledgement covers it.
    public static func status(_ tracking: Finding.Tracking?) -> String {
        guard let tracking else { return "-" }
        return tracking.status.rawValue + (tracking.acknowledged == nil ? "" : "+ack")
    }

    static func clip(_ text: String) -> String {
        text.count <= 24 ? text : String(text.prefix(10)) + "…" + String(text.suffix(10))
    }
}
