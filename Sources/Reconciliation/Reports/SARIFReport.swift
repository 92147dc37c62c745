import Foundation
import ReconEngine

/// `sarif`: SARIF 2.1.0 for code scanning, one result per discrepancy at the field or invariant
/// it comes from in the rules file (docs/operations.md, "SARIF and JUnit reports").
public struct SARIFReport: ReportFormat {
    public static let identifier = "sarif"
    public static let summary = "SARIF 2.1.0 for code scanning: a result per discrepancy, at its rule in the rules file."
    let output: ReportOutput

    public init(output: ReportOutput) { self.output = output }

    public mutating func found(_ finding: Finding) throws(ReportOutput.WriteFailure) {}

    public mutating func finish(_ report: RunReport) throws(ReportOutput.WriteFailure) {
        try output.write(Self.log(report))
    }

    /// What a result carries besides its message: the discrepancy's members, absent ones left out.
    struct Properties: Encodable, Sendable {
        var streamId: String
        var kind: String
        var field: String?
        var side: String?
        var dbValue: String?
        var onChainValue: String?
        var values: [String: String]?
        var rule: String
        var severity: String
    }

    /// The rule id of a finding: `field:NAME` for a mismatch or an invalid value,
    /// `invariant:NAME` for a violation, `key` for a missing record, `source-error` for a record
    /// that could not be read. Prefixed, as a field and an invariant may share a name.
    static func ruleId(_ finding: Finding) -> String {
        switch finding.kind {
        case .mismatch, .invalidValue: "field:" + (finding.field ?? finding.rule)
        case .invariantViolation: "invariant:" + finding.rule
        case .missingOnChain, .missingInDB: "key"
        case .sourceError: "source-error"
        }
    }

    static func level(_ severity: Severity) -> SARIF.Level {
        switch severity {
        case .critical: .error
        case .warning: .warning
        case .info: .note
        }
    }

    /// The rule a result refers to, described from the rules when the report has them.
    static func descriptor(id: String, example: Finding, locations: RuleLocations?) -> SARIF.Rule {
        if example.kind == .sourceError {
            return SARIF.Rule(id: id, name: id, shortDescription: "A record could not be read from a source.", level: .error)
        }
        guard let rule = locations?.rule(for: example) else { return SARIF.Rule(id: id, name: example.rule) }
        let what = switch rule.kind {
        case .field: "Field '\(rule.name)': \(rule.summary)."
        case .invariant: "Invariant '\(rule.name)': \(rule.summary)."
        case .key: "Key: \(rule.summary); a stream on one side only is missing on the other."
        }
        return SARIF.Rule(id: id, name: rule.name, shortDescription: what, level: level(rule.severity))
    }

    /// The whole log: one pass over the discrepancies for the rules they use, one to make the results.
    static func log(_ report: RunReport) -> Data {
        let locations = report.ruleLocations
        var examples: [String: Finding] = [:]
        for finding in report.discrepancies {
            let id = ruleId(finding)
            if examples[id] == nil { examples[id] = finding }
        }
        let ids = examples.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let rules = ids.map { descriptor(id: $0, example: examples[$0]!, locations: locations) }
        var results: [SARIF.Result<Properties>] = []
        results.reserveCapacity(report.discrepancies.count)
        // Where there are rules, every result points into the rules file: at its rule when that
        // has a place, else at the file as a whole. One place per rule id, made once.
        var places: [String: [SARIF.Location]] = [:]
        for finding in report.discrepancies {
            let id = ruleId(finding)
            var place = places[id]
            if place == nil, let locations {
                let location = locations.rule(for: finding)?.location
                place = [SARIF.Location(file: locations.file, line: location?.line, column: location?.column)]
                places[id] = place
            }
            let properties = Properties(streamId: finding.streamId, kind: finding.kind.rawValue, field: finding.field, side: finding.side?.rawValue,
                                        dbValue: finding.dbValue, onChainValue: finding.onChainValue, values: finding.values, rule: finding.rule,
                                        severity: finding.severity.rawValue)
            // The fingerprint lets code scanning follow a discrepancy from run to run; the status
            // and an acknowledgement map to SARIF's baseline state and suppressions.
            let tracking = finding.tracking
            let suppression = tracking?.acknowledged.map { note in
                [SARIF.Suppression(justification: "acknowledged by \(note.owner) until \(note.expires): \(note.reason)")]
            }
            results.append(SARIF.Result(ruleId: id, ruleIndex: index[id], level: level(finding.severity),
                                        message: finding.streamId.isEmpty ? finding.message : "\(finding.streamId): \(finding.message)",
                                        locations: place, partialFingerprints: tracking.map { ["streamrecon/v1": $0.fingerprint] },
                                        baselineState: tracking.map { $0.status == .new ? "new" : "unchanged" }, suppressions: suppression,
                                        properties: properties))
        }
        var properties = ["runId": report.runId, "status": report.status.rawValue, "rules": report.rules.name, "rulesSha256": report.rules.sha256,
                          "dryRun": String(report.dryRun)]
        if let block = report.source.chainBlock { properties["chainBlock"] = String(block) }
        let failed = report.status == .failed || report.status == .aborted
        let run = SARIF.Run(category: "streamrecon-run/\(report.rules.name)", rules: rules, results: results,
                            invocation: SARIF.Invocation(executionSuccessful: !failed, error: report.error), properties: properties)
        return SARIF.log(run)
    }
}
