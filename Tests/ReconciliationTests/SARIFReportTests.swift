import Foundation
import ReconEngine
import ReconSQLite
import ReconSources
import Reconciliation
import Testing
import TestSupport

/// `run --format sarif`, from a report: results at their rules, and a log the schema accepts.
struct SARIFReportTests {
    /// The report of ReportTests with the demo rules' locations, a missing record and a source error.
    static func report() throws -> RunReport {
        var report = ReportTests.report
        report.discrepancies += [
            Finding(streamId: "stream_4", kind: .missingOnChain, rule: "key", severity: .critical, message: "stream 'stream_4' is in the database but not on chain"),
            Finding(streamId: "", kind: .sourceError, rule: "key", severity: .critical, message: "the chain could not be read"),
            Finding(streamId: "stream_8", kind: .mismatch, field: "recipient", dbValue: "0xab", onChainValue: "0xcd", rule: "recipient",
                    severity: .info, message: "recipient differs"),
        ]
        report.ruleLocations = RuleLocations(try demoRuleSet())
        return report
    }

    func render(_ report: RunReport) throws -> JSONValue {
        let scratch = try Scratch()
        let output = try ReportOutput(file: scratch.path("report.sarif"))
        var writer = SARIFReport(output: output)
        for finding in report.discrepancies { try writer.found(finding) }
        try writer.finish(report)
        try output.commit()
        let log = try JSONValue(json: try Data(contentsOf: URL(fileURLWithPath: scratch.path("report.sarif"))))
        let violations = try JSONSchema.sarif().violations(of: log)
        #expect(violations.isEmpty, "\(violations)")
        return try #require(log["runs"]?[0])
    }

    @Test func resultsPointAtTheirRules() throws {
        let report = try Self.report()
        let rulesFile = try #require(report.ruleLocations?.file)
        let run = try render(report)
        let results = try #require(run["results"]?.array)
        #expect(results.count == report.discrepancies.count)
        #expect(results.map { $0["ruleId"]?.string } == ["field:released_amount", "invariant:released-within-total", "key", "source-error", "field:recipient"])
        #expect(results.map { $0["level"]?.string } == ["error", "warning", "error", "error", "note"])
        let lines = results.map { $0["locations"]?[0]?["physicalLocation"]?["region"]?["startLine"]?.integer }
        #expect(lines == [19, 43, 7, 7, 31])
        #expect(results.allSatisfy { $0["locations"]?[0]?["physicalLocation"]?["artifactLocation"]?["uri"]?.string == rulesFile })
        #expect(results[3]["message"]?["text"] == .string("the chain could not be read"))
        #expect(results[1]["properties"] == .object([
            "streamId": .string("stream_6"), "kind": .string("invariant_violation"), "side": .string("db"), "rule": .string("released-within-total"),
            "severity": .string("warning"), "values": .object(["released_amount": .string("1200"), "total_amount": .string("1000")]),
        ]))
        // A tracked discrepancy carries its fingerprint, status and acknowledgement; one without history none.
        #expect(results[0]["partialFingerprints"]?["streamrecon/v1"] == .string("74c7d507f4531990f1c94ab63aebe494"))
        #expect(results[0]["baselineState"] == .string("unchanged") && results[1]["baselineState"] == .string("new"))
        #expect(results[0]["suppressions"]?[0]?["status"] == .string("accepted") && results[1]["suppressions"] == nil)
        #expect(results[2...].allSatisfy { $0["partialFingerprints"] == nil && $0["baselineState"] == nil })
        let rules = try #require(run["tool"]?["driver"]?["rules"]?.array)
        #expect(rules.compactMap { $0["id"]?.string } == ["field:recipient", "field:released_amount", "invariant:released-within-total", "key", "source-error"])
        #expect(rules[0]["defaultConfiguration"]?["level"] == .string("error"))
        #expect(rules[2]["shortDescription"]?["text"] == .string("Invariant 'released-within-total': released_amount <= total_amount, on db and chain."))
        #expect(run["properties"]?["runId"] == .string("run-1"))
        #expect(run["properties"]?["chainBlock"] == .string("19000000"))
    }

    /// A report without the rules' locations (not made by a run) still gives a valid log, without places.
    @Test func withoutLocationsResultsHaveNoPlace() throws {
        let run = try render(ReportTests.report)
        let results = try #require(run["results"]?.array)
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0["locations"] == nil })
        #expect(run["tool"]?["driver"]?["rules"]?[0] == .object(["id": .string("field:released_amount"), "name": .string("released_amount")]))
    }

    @Test func aFailedRunIsUnsuccessful() throws {
        var report = try Self.report()
        report.status = .failed
        report.error = "chain unreachable"
        let invocation = try render(report)["invocations"]?[0]
        #expect(invocation?["executionSuccessful"] == .bool(false))
        #expect(invocation?["toolExecutionNotifications"]?[0]?["message"]?["text"] == .string("chain unreachable"))
    }

    @Test func hostileTextStaysText() throws {
        let hostile = "\"}],\n\u{0}\u{1B}[2J é😀 / \\"
        var report = try Self.report()
        report.discrepancies = [Finding(streamId: hostile, kind: .mismatch, field: "released_amount", dbValue: hostile, onChainValue: hostile,
                                        rule: "released_amount", severity: .critical, message: hostile)]
        let result = try #require(try render(report)["results"]?[0])
        #expect(result["message"]?["text"] == .string(hostile + ": " + hostile))
        #expect(result["properties"]?["streamId"] == .string(hostile))
        #expect(result["properties"]?["dbValue"] == .string(hostile))
    }

    /// A large run: one result per discrepancy and the rules described once, in one linear pass.
    @Test func manyDiscrepancies() throws {
        var report = try Self.report()
        let base = report.discrepancies
        report.discrepancies = (0..<100_000).map { base[$0 % base.count].with(streamId: "s\($0)") }
        let started = ContinuousClock.now
        let data = try Self.encode(report)
        let elapsed = ContinuousClock.now - started
        struct Log: Decodable {
            struct Run: Decodable {
                struct Result: Decodable { var ruleId: String }
                struct Rule: Decodable { var id: String }
                struct Tool: Decodable { struct Driver: Decodable { var rules: [Rule] }; var driver: Driver }
                var results: [Result]
                var tool: Tool
            }
            var runs: [Run]
        }
        let run = try #require(try JSONDecoder().decode(Log.self, from: data).runs.first)
        #expect(run.results.count == 100_000)
        #expect(run.tool.driver.rules.count == 5)
        #expect(elapsed < .seconds(60), "\(elapsed)")
    }

    static func encode(_ report: RunReport) throws -> Data {
        let scratch = try Scratch()
        let output = try ReportOutput(file: scratch.path("report.sarif"))
        var writer = SARIFReport(output: output)
        try writer.finish(report)
        try output.commit()
        return try Data(contentsOf: URL(fileURLWithPath: scratch.path("report.sarif")))
    }
}

/// `RunReport.ruleLocations` is for the formats only: the JSON report, its decoding and equality ignore it.
struct RuleLocationsInReportTests {
    @Test func theJSONReportDoesNotChange() throws {
        let report = try SARIFReportTests.report()
        var without = report
        without.ruleLocations = nil
        #expect(report.ruleLocations != nil)
        #expect(report.json() == without.json())
        #expect(report == without)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        #expect(try encoder.encode(report) == report.json())
        let decoded = try JSONDecoder().decode(RunReport.self, from: report.json())
        #expect(decoded == report)
        #expect(decoded.ruleLocations == nil)
    }

    @Test func aRunSetsThem() async throws {
        let scratch = try Scratch()
        let db = try scratch.database(sql: try demoSQL())
        let report = try await RunService().run(RunService.Request(
            rulesPath: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path,
            db: SQLiteAppDatabase(path: db), chain: ChainSnapshotFile(path: demoChainPath), store: nil))
        #expect(report.ruleLocations == RuleLocations(try demoRuleSet()))
    }
}
