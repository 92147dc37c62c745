import Foundation
import ReconEngine

/// `junit`: JUnit XML for test dashboards. One suite named after the rules, one failing testcase
/// per discrepancy whatever its severity (the failure's `type` is the severity), a source error
/// as an `<error>`; a clean run has no testcases. A run that failed or was stopped adds a `run`
/// testcase in error, so a dashboard never shows it green.
public struct JUnitReport: ReportFormat {
    public static let identifier = "junit"
    public static let summary = "JUnit XML for test dashboards: a failing testcase per discrepancy."
    let output: ReportOutput

    public init(output: ReportOutput) { self.output = output }

    public mutating func found(_ finding: Finding) throws(ReportOutput.WriteFailure) {}

    public mutating func finish(_ report: RunReport) throws(ReportOutput.WriteFailure) {
        try output.write(Self.document(report).render())
    }

    /// The testcase of one discrepancy: classname the stream, name its kind and field or rule
    /// (and side, so a pair's two violations stay two cases).
    static func testCase(_ finding: Finding, locations: RuleLocations?) -> JUnitXML.TestCase {
        let place = locations?.rule(for: finding)?.location
        let name = "\(finding.kind.rawValue) \(finding.field ?? finding.rule)" + (finding.side.map { " (\($0.rawValue))" } ?? "")
        var details = ["stream: \(finding.streamId)", "kind: \(finding.kind.rawValue)"]
        if let field = finding.field { details.append("field: \(field)") }
        if let side = finding.side { details.append("side: \(side.rawValue)") }
        if finding.kind == .mismatch || finding.dbValue != nil { details.append("db: \(finding.dbValue ?? "null")") }
        if finding.kind == .mismatch || finding.onChainValue != nil { details.append("chain: \(finding.onChainValue ?? "null")") }
        if let values = finding.values { details += values.sorted { $0.key < $1.key }.map { "value: \($0.key)=\($0.value)" } }
        details.append("rule: \(finding.rule)" + (place.map { " (\($0))" } ?? locations.map { " (\($0.file))" } ?? ""))
        let outcome: JUnitXML.TestCase.Outcome = finding.kind == .sourceError
            ? .error(message: finding.message, type: finding.kind.rawValue, details: details.joined(separator: "\n"))
            : .failure(message: finding.message, type: finding.severity.rawValue, details: details.joined(separator: "\n"))
        return JUnitXML.TestCase(classname: finding.streamId, name: name, file: place?.file ?? locations?.file, line: place?.line, outcome: outcome)
    }

    static func document(_ report: RunReport) -> JUnitXML {
        var cases = report.discrepancies.map { testCase($0, locations: report.ruleLocations) }
        if report.status == .failed || report.status == .aborted {
            let message = report.error ?? "the run \(report.status.rawValue)"
            cases.append(JUnitXML.TestCase(classname: "streamrecon", name: "run",
                                           outcome: .error(message: message, type: report.status.rawValue, details: message)))
        }
        var properties = [("runId", report.runId), ("status", report.status.rawValue), ("dryRun", String(report.dryRun)),
                          ("rulesSha256", report.rules.sha256), ("streamsChecked", String(report.summary.streamsChecked))]
        if let block = report.source.chainBlock { properties.append(("chainBlock", String(block))) }
        return JUnitXML(name: "streamrecon run", suites: [JUnitXML.Suite(name: report.rules.name, properties: properties, cases: cases)])
    }
}
