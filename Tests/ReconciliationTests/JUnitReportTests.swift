import Foundation
import FoundationXML
import ReconEngine
import Reconciliation
import Testing

/// `run --format junit`, from a report.
struct JUnitReportTests {
    func render(_ report: RunReport) throws -> XMLDocument {
        let scratch = try Scratch()
        let output = try ReportOutput(file: scratch.path("report.xml"))
        var writer = JUnitReport(output: output)
        for finding in report.discrepancies { try writer.found(finding) }
        try writer.finish(report)
        try output.commit()
        return try XMLDocument(xmlString: try String(contentsOfFile: scratch.path("report.xml"), encoding: .utf8))
    }

    func attribute(_ node: XMLNode?, _ name: String) -> String? {
        (node as? XMLElement)?.attribute(forName: name)?.stringValue
    }

    @Test func aTestcasePerDiscrepancyAtItsRule() throws {
        let report = try SARIFReportTests.report()
        let document = try render(report)
        let suite = try #require(try document.nodes(forXPath: "/testsuites/testsuite").first)
        #expect(attribute(suite, "name") == "payment-streams")
        #expect(attribute(suite, "tests") == "5")
        #expect(attribute(suite, "failures") == "4")
        #expect(attribute(suite, "errors") == "1")
        let cases = try document.nodes(forXPath: "//testcase")
        #expect(cases.map { attribute($0, "name") } == ["mismatch released_amount", "invariant_violation released-within-total (db)",
                                                        "missing_on_chain key", "source_error key", "mismatch recipient"])
        #expect(cases.map { attribute($0, "line") } == ["19", "43", "7", "7", "31"])
        #expect(cases.allSatisfy { attribute($0, "file") == report.ruleLocations?.file })
        // Every severity fails, its type the severity; a source error is an error.
        #expect(try document.nodes(forXPath: "//failure").map { attribute($0, "type") } == ["critical", "warning", "critical", "info"])
        #expect(try document.nodes(forXPath: "//error").map { attribute($0, "type") } == ["source_error"])
        let details = try #require(try document.nodes(forXPath: "//testcase[@classname='stream_6']/failure").first?.stringValue)
        #expect(details == """
            stream: stream_6
            kind: invariant_violation
            side: db
            value: released_amount=1200
            value: total_amount=1000
            rule: released-within-total (\(report.ruleLocations!.file):43:3)
            """)
    }

    @Test func aCleanRunHasNoTestcases() throws {
        var report = ReportTests.report
        report.status = .clean
        report.discrepancies = []
        let document = try render(report)
        #expect(attribute(document.rootElement(), "tests") == "0")
        #expect(try document.nodes(forXPath: "//testcase").isEmpty)
    }

    @Test func aStoppedRunHasARunTestcaseInError() throws {
        var report = ReportTests.report
        report.status = .aborted
        report.error = "stopped by SIGTERM"
        let document = try render(report)
        #expect(attribute(document.rootElement(), "tests") == "3")
        let error = try #require(try document.nodes(forXPath: "//testcase[@name='run']/error").first)
        #expect(attribute(error, "type") == "aborted")
        #expect(attribute(error, "message") == "stopped by SIGTERM")
    }

    @Test func hostileTextStaysText() throws {
        let hostile = "<x a=\"1\">&amp;</x>'\u{0}\u{1B}]0;title\u{07} é😀"
        var report = ReportTests.report
        report.rules.name = hostile
        report.discrepancies = [Finding(streamId: hostile, kind: .mismatch, field: hostile, dbValue: hostile, onChainValue: nil,
                                        rule: hostile, severity: .critical, message: hostile)]
        let document = try render(report)
        let shown = "<x a=\"1\">&amp;</x>']0;title é😀"
        #expect(attribute(try document.nodes(forXPath: "//testsuite").first, "name") == shown)
        let test = try #require(try document.nodes(forXPath: "//testcase").first)
        #expect(attribute(test, "classname") == shown)
        #expect(attribute(try document.nodes(forXPath: "//failure").first, "message") == shown)
    }
}
