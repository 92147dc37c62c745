import Foundation
import GRDB
import Testing
import TestSupport

/// `run --format sarif` and `rules lint --format sarif`, through the real binary, in a copy of the
/// repository's Rules/ and Fixtures/; every log is validated against the SARIF 2.1.0 schema.
struct SARIFCommandTests {
    let directory: URL

    init() throws {
        directory = try RunCommandTests().directory
    }

    func run(_ arguments: [String]) throws -> CLIRunner.Output {
        try CLIRunner.run(arguments, in: directory)
    }

    /// The log, after checking it against the schema.
    func log(_ text: String) throws -> JSONValue {
        let log = try JSONValue(json: Data(text.utf8))
        let violations = try JSONSchema.sarif().violations(of: log)
        #expect(violations.isEmpty, "\(violations)")
        #expect(log["version"] == .string("2.1.0"))
        #expect(log["$schema"] == .string("https://json.schemastore.org/sarif-2.1.0.json"))
        #expect(log["runs"]?.array?.count == 1)
        #expect(log["runs"]?[0]?["tool"]?["driver"]?["name"] == .string("streamrecon"))
        return try #require(log["runs"]?[0])
    }

    /// The 1-based line of the rules file that is exactly `text`.
    func line(of text: String, in file: String = "Rules/streams.yaml") throws -> Int {
        let lines = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        return try #require(lines.firstIndex { $0 == text }) + 1
    }

    func place(_ result: JSONValue) -> (uri: String?, line: Int64?, column: Int64?) {
        let physical = result["locations"]?[0]?["physicalLocation"]
        return (physical?["artifactLocation"]?["uri"]?.string, physical?["region"]?["startLine"]?.integer,
                physical?["region"]?["startColumn"]?.integer)
    }

    @Test func theDemoGivesAResultPerDiscrepancyAtItsRule() throws {
        let output = try run(["run", "--dry-run", "--format", "sarif"])
        #expect(output.status == 1)
        let run = try log(output.stdout)
        let results = try #require(run["results"]?.array)
        #expect(results.count == 8)
        func result(_ stream: String, _ kind: String, side: String? = nil) throws -> JSONValue {
            try #require(results.first { $0["properties"]?["streamId"]?.string == stream && $0["properties"]?["kind"]?.string == kind
                && $0["properties"]?["side"]?.string == side })
        }

        let drift = try result("stream_2", "mismatch")
        #expect(drift["ruleId"] == .string("field:released_amount"))
        #expect(drift["level"] == .string("error"))
        #expect(drift["message"]?["text"] == .string("stream_2: released_amount differs: DB 500, on chain 450 (exact)"))
        #expect(drift["properties"]?["dbValue"] == .string("500") && drift["properties"]?["onChainValue"] == .string("450"))
        #expect(place(drift) == ("Rules/streams.yaml", 19, 3))
        #expect(try line(of: "  released_amount:") == 19)

        let violation = try result("stream_6", "invariant_violation", side: "chain")
        #expect(violation["ruleId"] == .string("invariant:released-within-total"))
        #expect(place(violation) == ("Rules/streams.yaml", 43, 3))
        #expect(try line(of: "  released-within-total:") == 43)
        let warning = try result("stream_9", "invariant_violation", side: "db")
        #expect(warning["level"] == .string("warning"))
        #expect(place(warning).line.map(Int.init) == (try line(of: "  cancelled-has-time:")))

        let invalid = try result("stream_7", "invalid_value", side: "db")
        #expect(invalid["ruleId"] == .string("field:total_amount"))
        #expect(place(invalid).line.map(Int.init) == (try line(of: "  total_amount:")))

        // Missing records point at `key:`.
        let missing = try result("stream_4", "missing_on_chain")
        #expect(missing["ruleId"] == .string("key"))
        #expect(place(missing) == ("Rules/streams.yaml", 7, 1))
        #expect(try line(of: "key:                    # how a DB row and an on-chain record are paired") == 7)

        // Each rule a result names is described once, at the index the result gives.
        let rules = try #require(run["tool"]?["driver"]?["rules"]?.array)
        #expect(rules.compactMap { $0["id"]?.string } == ["field:cancelled_at", "field:released_amount", "field:total_amount",
                                                         "invariant:cancelled-has-time", "invariant:released-within-total", "key"])
        for result in results {
            let index = try #require(result["ruleIndex"]?.integer)
            #expect(rules[Int(index)]["id"] == result["ruleId"])
        }
        #expect(rules[1]["shortDescription"]?["text"] == .string("Field 'released_amount': DB released_amount against on-chain withdrawn (amount, exact)."))
        #expect(run["invocations"]?[0]?["executionSuccessful"] == .bool(true))
        #expect(run["automationDetails"]?["id"] == .string("streamrecon-run/payment-streams/"))
    }

    /// The run's memory in SARIF: the fingerprint for code scanning to follow a discrepancy, the
    /// status as the baseline state, an acknowledgement as an accepted suppression.
    @Test func statusesFingerprintsAndAcknowledgementsMapToSARIF() throws {
        let app = directory.appendingPathComponent("app.sqlite").path
        let queue = try DatabaseQueue(path: app)
        try queue.write { try $0.execute(sql: try String(contentsOf: directory.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8)) }
        try queue.close()
        let acks = directory.appendingPathComponent("acks.yaml").path
        try "- { stream: stream_2, kind: mismatch, owner: ops, reason: PAY-1, expires: 2999-01-01 }\n".write(toFile: acks, atomically: true, encoding: .utf8)
        #expect(try run(["run", "--db", app, "--format", "json"]).status == 1)
        let output = try run(["run", "--db", app, "--acks", acks, "--format", "sarif"])
        let results = try #require(try log(output.stdout)["results"]?.array)
        #expect(results.count == 8)
        for result in results {
            #expect(result["baselineState"] == .string("unchanged"))
            #expect(result["partialFingerprints"]?["streamrecon/v1"]?.string?.count == 32)
        }
        let acknowledged = results.filter { $0["suppressions"] != nil }
        #expect(acknowledged.count == 1 && acknowledged.first?["properties"]?["streamId"] == .string("stream_2"))
        #expect(acknowledged.first?["suppressions"]?[0]?["justification"] == .string("acknowledged by ops until 2999-01-01: PAY-1"))
        #expect(acknowledged.first?["suppressions"]?[0]?["kind"] == .string("external"))
        // A new discrepancy is new.
        let fresh = try run(["run", "--dry-run", "--rules", "Rules/streams.yaml", "--format", "sarif"])
        #expect(try log(fresh.stdout)["results"]?[0]?["baselineState"] == .string("new"))
    }

    @Test func theLogGoesToTheOutputFile() throws {
        let output = try run(["run", "--dry-run", "--format", "sarif", "--output", "recon.sarif"])
        #expect(output.status == 1)
        #expect(output.stdout.isEmpty)
        let run = try log(try String(contentsOf: directory.appendingPathComponent("recon.sarif"), encoding: .utf8))
        #expect(run["results"]?.array?.count == 8)
    }

    @Test func aFailedRunIsAnUnsuccessfulInvocation() throws {
        let path = directory.appendingPathComponent("other.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "CREATE TABLE payments (id TEXT);") }
        try queue.close()
        let output = try run(["run", "--dry-run", "--db", path, "--format", "sarif"])
        #expect(output.status == 3)
        let invocation = try log(output.stdout)["invocations"]?[0]
        #expect(invocation?["executionSuccessful"] == .bool(false))
        #expect(invocation?["toolExecutionNotifications"]?[0]?["message"]?["text"]?.string?.contains("table 'streams' not found") == true)
    }

    @Test func lintGivesAResultPerDiagnosticAtItsLineAndColumn() throws {
        try """
        version: 1
        name: t
        key: { db: id, chain: id }
        db: { table: streams }
        fields:
          total: { type: amount, compare: exakt }
          late: { type: amount, nullable: true }
        invariants:
          i: { assert: totl >= 0 }
          j: { assert: late >= 0 }

        """.write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let output = try run(["rules", "lint", "--format", "sarif", "bad.yaml", "Rules/"])
        #expect(output.status == 1)
        let run = try log(output.stdout)
        let results = try #require(run["results"]?.array)
        #expect(results.map { $0["ruleId"]?.string } == ["unknown-comparator", "unknown-field", "unguarded-nullable"])
        #expect(results.map { $0["level"]?.string } == ["error", "error", "warning"])
        #expect(results.map { place($0).uri } == ["bad.yaml", "bad.yaml", "bad.yaml"])
        #expect(results.map { place($0).line } == [6, 9, 10])
        #expect(results.map { place($0).column } == [35, 16, 16])
        #expect(results[0]["message"]?["text"] == .string("unknown comparator 'exakt'; did you mean 'exact'?"))
        let rules = try #require(run["tool"]?["driver"]?["rules"]?.array)
        #expect(rules.compactMap { $0["id"]?.string } == ["unguarded-nullable", "unknown-comparator", "unknown-field"])
        #expect(rules[1]["shortDescription"]?["text"] == .string("A comparator that no plugin provides."))
        #expect(run["automationDetails"]?["id"] == .string("streamrecon-rules-lint/"))
    }

    @Test func cleanRulesLintToAnEmptyLog() throws {
        let output = try run(["rules", "lint", "--format", "sarif"])
        #expect(output.status == 0)
        let run = try log(output.stdout)
        #expect(run["results"] == .array([]))
        #expect(run["tool"]?["driver"]?["rules"] == .array([]))
    }

    /// The checker itself: a log the schema forbids is caught, so a passing check means something.
    @Test func theSchemaCheckCatchesInvalidLogs() throws {
        let schema = try JSONSchema.sarif()
        let valid = #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "note"}]}]}"#
        #expect(schema.violations(of: try JSONValue(json: Data(valid.utf8))).isEmpty)
        for invalid in [
            #"{"version": "2.0.0", "runs": []}"#,
            #"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}"#,
            #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "critical"}]}]}"#,
            #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {}}]}]}"#,
            #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]}]}"#,
            #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "rank": "high"}]}]}"#,
            #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "extra": 1}]}"#,
        ] {
            #expect(!schema.violations(of: try JSONValue(json: Data(invalid.utf8))).isEmpty, "\(invalid)")
        }
    }
}
