import Foundation
import ReconEngine
import Testing

/// Acks files: what loads, what each problem says and where, and what an acknowledgement covers.
struct AckLoaderTests {
    let directory: URL
    let ruleSet: CompiledRuleSet

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-acks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        ruleSet = try #require(RulesCompiler().compile(yaml: demoRules, file: "rules.yaml").ruleSet)
    }

    func load(_ text: String, today: String = "2026-12-02") throws -> AckLoader.Result {
        let path = directory.appendingPathComponent("acks.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return AckLoader().load(path: path, ruleSets: [ruleSet], today: today)
    }

    func problems(_ text: String) throws -> [String] {
        try load(text).diagnostics.map { "\($0.location.line):\($0.location.column) \($0.severity.rawValue)[\($0.code.rawValue)] \($0.message)" }
    }

    @Test func aValidFileLoadsEveryEntry() throws {
        let result = try load("""
            - stream: s1
              kind: mismatch
              field: released_amount
              owner: ops
              reason: "PAY-1: refund"
              expires: 2026-12-02
            - { stream: s2, kind: invariant_violation, rule: released-within-total, owner: o, reason: r, expires: 2027-01-31 }
            - { stream: s3, kind: missing_in_db, rule: key, owner: o, reason: r, expires: 2026-12-31 }
            """)
        #expect(result.diagnostics.isEmpty)
        let acks = try #require(result.acks)
        #expect(acks.map(\.stream) == ["s1", "s2", "s3"])
        #expect(acks[0] == Acknowledgement(stream: "s1", kind: .mismatch, field: "released_amount", owner: "ops", reason: "PAY-1: refund",
                                           expires: "2026-12-02", location: acks[0].location))
        #expect(acks[0].location?.line == 1)
        #expect(!acks[0].hasExpired(today: "2026-12-02") && acks[0].hasExpired(today: "2026-12-03"), "it applies through its day")
        #expect(try load("[]\n").acks == [])
    }

    @Test func whatAnAcknowledgementCovers() {
        let mismatch = Finding(streamId: "s1", kind: .mismatch, field: "released_amount", rule: "released_amount", severity: .critical, message: "m")
        let any = Acknowledgement(stream: "s1", kind: .mismatch, owner: "o", reason: "r", expires: "2999-01-01")
        #expect(any.matches(mismatch))
        #expect(!Acknowledgement(stream: "s1", kind: .mismatch, field: "total_amount", owner: "o", reason: "r", expires: "2999-01-01").matches(mismatch))
        #expect(!Acknowledgement(stream: "s2", kind: .mismatch, owner: "o", reason: "r", expires: "2999-01-01").matches(mismatch))
        #expect(!Acknowledgement(stream: "s1", kind: .invalidValue, owner: "o", reason: "r", expires: "2999-01-01").matches(mismatch))
        let invariant = Finding(streamId: "s1", kind: .invariantViolation, side: .db, rule: "inv", severity: .critical, message: "m")
        #expect(Acknowledgement(stream: "s1", kind: .invariantViolation, rule: "inv", owner: "o", reason: "r", expires: "2999-01-01").matches(invariant))
        #expect(!Acknowledgement(stream: "s1", kind: .invariantViolation, rule: "other", owner: "o", reason: "r", expires: "2999-01-01").matches(invariant))
    }

    @Test func everyProblemIsReportedAtItsPlace() throws {
        #expect(try problems(Self.broken) == Self.brokenProblems)
        #expect(try load("- { stream: s1 }\n").acks == nil, "a file with errors gives no acknowledgements")
    }

    static let broken = """
            - stream: s1
              kind: mismatch
              feild: released_amount
              owner: ops
            - { stream: s1, kind: missing, owner: o, reason: r, expires: 2026-13-01 }
            - { stream: s1, kind: mismatch, field: amount, rule: nope, owner: o, reason: r, expires: 2024-02-29 }
            - just text
            - { stream: "", kind: mismatch, owner: o, reason: r, expires: 2023-02-29 }
            """

    static let brokenProblems = [
        "1:3 error[missing-key] acknowledgement 1 is missing 'reason'; say why it is known, such as 'reason: refund in flight, PAY-123'",
        "1:3 error[missing-key] acknowledgement 1 is missing 'expires'; give the last day it applies, such as 'expires: 2026-12-31'; every acknowledgement expires",
        "3:3 error[unknown-key] unknown key 'feild' in acknowledgement 1; did you mean 'field'?",
        "5:23 error[invalid-value] unknown discrepancy kind 'missing'; expected one of mismatch, missing_on_chain, missing_in_db, invariant_violation, invalid_value, source_error",
        "5:62 error[invalid-value] 'expires' must be a date such as 2026-12-31, not '2026-13-01'",
        "6:40 error[unknown-field] unknown field 'amount'; fields are total_amount, released_amount, status, recipient",
        "6:54 error[unknown-field] unknown rule 'nope'; rules are key, total_amount, released_amount, status, recipient, non-negative-balances, released-within-total",
        "6:90 warning[expired-ack] acknowledgement 3 expired on 2024-02-29; it no longer applies: renew it or remove it",
        "7:3 error[wrong-node-kind] acknowledgement 4 must be a mapping of keys to values, not a single value",
        "8:13 error[invalid-value] 'stream' of acknowledgement 5 is empty; give it a value",
        "8:63 error[invalid-value] 'expires' must be a date such as 2026-12-31, not '2023-02-29'",
    ]

    @Test func notAListNotYAMLAndTooLong() throws {
        #expect(try problems("stream: s1\n").first?.contains("an acks file is a list of acknowledgements") == true)
        #expect(try problems("- [unclosed\n").first?.contains("yaml-syntax") == true)
        #expect(try problems("").first?.contains("empty") == true)
        let many = String(repeating: "- { stream: s, kind: mismatch, owner: o, reason: r, expires: 2999-01-01 }\n", count: AckLoader.maxEntries + 1)
        #expect(try problems(many) == ["1:1 error[invalid-value] the acks file has 10001 entries; at most 10000: acknowledge a cause, not every stream it touches"])
        let missing = AckLoader().load(path: directory.appendingPathComponent("none.yaml").path, ruleSets: [], today: "2026-12-02")
        #expect(missing.acks == nil && missing.diagnostics.first?.code == .unreadableFile)
    }

    @Test func withoutRulesFieldsAndRulesAreNotChecked() throws {
        let path = directory.appendingPathComponent("free.yaml").path
        try "- { stream: s, kind: mismatch, field: anything, rule: whatever, owner: o, reason: r, expires: 2999-01-01 }\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(AckLoader().load(path: path, ruleSets: [], today: "2026-12-02").diagnostics.isEmpty)
    }

    @Test func todayIsTheUTCDate() {
        #expect(AckLoader.today(Date(timeIntervalSince1970: 1_764_633_599)) == "2025-12-01") // 23:59:59 UTC
        #expect(AckLoader.today(Date(timeIntervalSince1970: 1_764_633_600)) == "2025-12-02")
    }
}
