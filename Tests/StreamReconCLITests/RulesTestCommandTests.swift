import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `streamrecon rules test`, through the real binary, over test files written in a scratch directory.
struct RulesTestCommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-rulestest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.rules.write(to: directory.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
    }

    func write(_ name: String, _ contents: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ arguments: [String]) throws -> CLIRunner.Output {
        try CLIRunner.run(["rules", "test"] + arguments, in: directory)
    }

    static let rules = """
        version: 1
        name: t
        key: { db: id, chain: id }
        db: { table: streams }
        fields:
          released: { type: amount, chain: withdrawn, compare: { tolerance: 5 } }
          status:
            type: enum
            values: [active, done]
            chain: state
            compare: { map: { "1": active, "2": done } }
        invariants:
          positive: { assert: released >= 0 }
        """

    static let passing = """
        rules: rules.yaml
        cases:
          - name: clean
            db: { id: a, released: "100", status: active }
            chain: { id: a, withdrawn: 104, state: 1 }
            expect: []
          - name: drift
            db: { id: b, released: "100", status: done }
            chain: { id: b, withdrawn: "106", state: 2 }
            expect:
              - { kind: mismatch, field: released }
        """

    @Test func passingCasesExitZeroAndListWhatIsNotCovered() throws {
        _ = try write("t.test.yaml", Self.passing)
        let output = try run(["."])
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        #expect(output.stdout.contains("2 cases: 2 passed, 0 failed"))
        #expect(output.stdout.contains("coverage of ./rules.yaml: 75% (6 of 8)"), "\(output.stdout)")
        #expect(output.stdout.contains("  not covered: field status mismatches\n  not covered: invariant positive breaks\n"), "\(output.stdout)")
        let strict = try run([".", "--min-coverage", "100"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("75% (6 of 8), below the minimum of 100%"))
        #expect(try run([".", "--min-coverage", "75"]).status == 0)
        #expect(try run([".", "--min-coverage", "101"]).status == 2)
    }

    @Test func aFailingCaseShowsExpectedAndActualWithItsLine() throws {
        let path = try write("t.test.yaml", Self.passing.replacingOccurrences(of: "withdrawn: 104", with: "withdrawn: 94"))
        let output = try run([path])
        #expect(output.status == 1)
        #expect(output.stdout.contains("""
            FAIL \(path):3:5: clean
              expected      | actual
              (no findings) | mismatch released rule=released
                            |   released differs by 6, more than the tolerance of 5: DB 100, on chain 94
            """), "\(output.stdout)")
        #expect(output.stdout.contains("2 cases: 1 passed, 1 failed"))

        let junit = try run([path, "--format", "junit"])
        #expect(junit.status == 1)
        #expect(junit.stdout.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?>"#))
        #expect(junit.stdout.contains(#"<testsuites name="streamrecon rules test" tests="2" failures="1">"#))
        #expect(junit.stdout.contains(#"<testcase classname="\#(path)" name="drift" file="\#(path)" line="7"/>"#))
        #expect(junit.stdout.contains(#"<failure message="0 expected, 1 found" type="findings">expected      | actual"#))
        #expect(junit.stdout.contains("released differs by 6, more than the tolerance of 5: DB 100, on chain 94</failure>"))
        #expect(try XMLDocument(xmlString: junit.stdout).rootElement()?.name == "testsuites")

        let json = try run([path, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["failed"] as? Int == 1 && object["passed"] as? Int == 1)
        let first = try #require((object["cases"] as? [[String: Any]])?.first)
        #expect(first["line"] as? Int == 3 && first["passed"] as? Bool == false)
        #expect((first["actual"] as? [[String: Any]])?.first?["kind"] as? String == "mismatch")
    }

    @Test func expectationsMatchOnTheKeysGivenAndCountExactly() throws {
        let path = try write("t.test.yaml", """
            rules: rules.yaml
            cases:
              - name: both sides negative
                db: { id: a, released: "-1", status: active }
                chain: { id: a, withdrawn: "-1", state: 1 }
                expect:
                  - { kind: invariant_violation, side: chain }
                  - { kind: invariant_violation, rule: positive }
              - name: one expectation short
                db: { id: a, released: "-1", status: active }
                chain: { id: a, withdrawn: "-1", state: 1 }
                expect:
                  - { kind: invariant_violation, rule: positive }
              - name: only on chain
                chain: { id: z, withdrawn: "1", state: 1 }
                expect: [{ kind: missing_in_db }]
              - name: a rule-only expectation must not take the finding a side-only one needs
                db: { id: a, released: "-1", status: active }
                chain: { id: a, withdrawn: "-1", state: 1 }
                expect:
                  - { kind: invariant_violation, rule: positive }
                  - { kind: invariant_violation, side: chain }
              - name: the side a case gives is checked even where the other leaves the field out
                db: { id: a, released: "12x" }
                chain: { id: a }
                expect: [{ kind: invalid_value, field: released, side: db }]
            """)
        let output = try run([path])
        #expect(output.status == 1)
        #expect(output.stdout.contains("FAIL \(path):9:5: one expectation short"))
        #expect(!output.stdout.contains("FAIL \(path):3:5"))
        #expect(output.stdout.contains("5 cases: 4 passed, 1 failed"), "\(output.stdout)")
    }

    @Test func boundariesRunWithTheCasesAndAreReportedAsGenerated() throws {
        _ = try write("t.test.yaml", Self.passing)
        let output = try run([".", "--boundaries"])
        #expect(output.status == 0, "\(output.stdout)")
        // released (tolerance 5) at DB 100: 105 and 95 match, 106 and 94 do not; map entries 1 and 2.
        #expect(output.stdout.contains("2 cases: 2 passed, 0 failed\n6 generated by --boundaries: 6 passed, 0 failed\n"), "\(output.stdout)")
        let json = try run([".", "--boundaries", "--format", "json"])
        let cases = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["cases"] as? [[String: Any]])
        let generated = cases.filter { $0["generated"] as? Bool == true }.compactMap { $0["name"] as? String }
        #expect(generated == [
            "released at the bound above 100: DB 100, on chain 105", "released one past the bound above 100: DB 100, on chain 106",
            "released at the bound below 100: DB 100, on chain 95", "released one past the bound below 100: DB 100, on chain 94",
            "status map entry '1': DB active, on chain active", "status map entry '2': DB done, on chain done",
        ])
        let junit = try run([".", "--boundaries", "--format", "junit"])
        #expect(junit.stdout.contains(#"tests="8" failures="0""#))
    }

    /// A case tests what it names: a field it leaves out is not parsed, compared or checked.
    @Test func fieldsACaseLeavesOutAreNotPartOfIt() throws {
        let path = try write("t.test.yaml", """
            rules: rules.yaml
            cases:
              - name: released only
                db: { id: a, released: "100" }
                chain: { id: a, withdrawn: 110 }
                expect: [{ kind: mismatch, field: released }]
              - name: status on the DB side only
                db: { id: b, status: done }
                chain: { id: b, state: 7 }
                expect: [{ kind: invalid_value, field: status, side: chain }]
              - name: a null is given as null
                db: { id: c, released: null, status: active }
                chain: { id: c, withdrawn: "1", state: 1 }
                expect: [{ kind: invalid_value, field: released, side: db }]
            """)
        let output = try run([path])
        #expect(output.status == 0, "\(output.stdout)")
        // Only what the cases exercised counts: released mismatched (a), status matched through map entry 1 (c), positive held (a).
        #expect(output.stdout.contains("coverage of \(directory.path)/rules.yaml: 50% (4 of 8)"), "\(output.stdout)")
    }

    @Test func badTestFilesAreUsageErrorsWithPositions() throws {
        _ = try write("broken.yaml", "version: 1\nname: broken\n")
        let bad = try write("bad.test.yaml", """
            rules: rules.yaml
            cazes: []
            cases:
              - name: no side
                expect: []
              - name: wrong shapes
                db: { id: a, released: [1], statuz: active }
                expect: [{ kind: mismatsh }, { kind: mismatch, field: relesed, side: both }]
              - name: no expect
                chain: { id: a }
            """)
        let output = try run([bad])
        #expect(output.status == 2)
        #expect(output.stderr == """
            \(bad):2:1: error[unknown-key]: unknown key 'cazes' in the test file; did you mean 'cases'?
            \(bad):4:5: error[missing-key]: case 'no side' has neither 'db' nor 'chain'; give the DB row, the on-chain record or both
            \(bad):7:28: error[wrong-node-kind]: 'released' in the DB row of case 'wrong shapes' must be a single value as a source gives it (text, a number, true/false or null), not a list
            \(bad):7:33: error[unknown-key]: unknown key 'statuz' in the DB row of case 'wrong shapes'; did you mean 'status'?
            \(bad):8:22: error[invalid-value]: unknown finding kind 'mismatsh'; did you mean 'mismatch'?
            \(bad):8:59: error[unknown-field]: unknown field 'relesed'; did you mean 'released'?
            \(bad):8:74: error[invalid-value]: unknown side 'both'; expected one of db, chain
            \(bad):9:5: error[missing-key]: case 'no expect' is missing 'expect'; list the findings it must produce; 'expect: []' for a clean pair

            """, "\(output.stderr)")
        let missing = try write("missing.test.yaml", "rules: nope.yaml\ncases:\n  - { name: x, db: { id: a }, expect: [] }\n")
        let missingOutput = try run([missing])
        #expect(missingOutput.status == 2)
        #expect(missingOutput.stderr.contains("\(missing):1:8: error[unreadable-file]: rules file '\(directory.path)/nope.yaml' does not exist; 'rules' is relative to this test file"))
        let broken = try write("broken.test.yaml", "rules: broken.yaml\ncases:\n  - { name: x, db: { id: a }, expect: [] }\n")
        let brokenOutput = try run([broken])
        #expect(brokenOutput.status == 2)
        #expect(brokenOutput.stderr.contains("\(broken):1:8: error[invalid-value]: rules file '\(directory.path)/broken.yaml' does not compile (3 errors, first: "))
        let anchors = try write("anchors.test.yaml", "rules: rules.yaml\ncases:\n  - &c { name: x, db: { id: a }, expect: [] }\n  - *c\n")
        #expect(try run([anchors]).stderr.contains("error[anchor-not-supported]"))
        let lint = try CLIRunner.run(["rules", "lint", bad], in: directory)
        #expect(lint.status == 1)
        #expect(lint.stdout.contains("\(bad):8:22: error[invalid-value]: unknown finding kind 'mismatsh'"))
    }

    @Test func aCaseIsOneStreamAndCoverageIsOnePerRulesFile() throws {
        let mismatched = try write("keys.test.yaml", """
            rules: rules.yaml
            cases:
              - { name: two streams, db: { id: A, released: "1" }, chain: { id: B, withdrawn: "1" }, expect: [] }
            """)
        let output = try run([mismatched])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(mismatched):3:5: error[invalid-value]: case 'two streams' pairs DB row 'A' with on-chain record 'B'; a case is one stream"))
        try FileManager.default.removeItem(atPath: mismatched)
        _ = try write("one.test.yaml", Self.passing)
        _ = try write("two.test.yaml", Self.passing.replacingOccurrences(of: "rules: rules.yaml", with: "rules: ./rules.yaml")
            .replacingOccurrences(of: "withdrawn: \"106\", state: 2", with: "withdrawn: \"100\", state: 1"))
        let both = try run(["."])
        #expect(both.stdout.components(separatedBy: "coverage of").count == 2, "\(both.stdout)")
        #expect(both.stdout.contains("coverage of ./rules.yaml: 87.5% (7 of 8)"), "\(both.stdout)")
    }

    @Test func tooManyCasesIsAClearError() throws {
        let cases = String(repeating: "  - { name: c, db: { id: a }, expect: [] }\n", count: 10_001)
        let path = try write("many.test.yaml", "rules: rules.yaml\ncases:\n" + cases)
        let output = try run([path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(path):3:3: error[invalid-value]: the test file has 10001 cases; at most 10000 per file: split it into several files"))
    }

    @Test func aHundredThousandCasesOrAnEmptyFileIsAClearError() throws {
        let cases = String(repeating: "  - { name: c, db: { id: a }, expect: [] }\n", count: 100_000)
        let path = try write("huge.test.yaml", "rules: rules.yaml\ncases:\n" + cases)
        let output = try run([path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(path):1:1: error[file-too-large]: test file is 4300025 bytes; the limit is 1048576 bytes (1 MiB)"), "\(output.stderr)")
        let empty = try write("empty.test.yaml", "# nothing yet\n")
        #expect(try run([empty]).stderr.contains("\(empty):1:1: error[empty-file]: test file is empty; it needs 'rules' and 'cases'"))
    }

    @Test func noTestFilesIsAUsageError() throws {
        #expect(try run(["."]).stderr.contains("error: no rule test files (*.test.yaml) in ."))
        #expect(try run(["nowhere"]).status == 2)
    }

    @Test func theRepositorysRuleTestsPassAtFullCoverage() throws {
        let output = try CLIRunner.run(["rules", "test", "--min-coverage", "100"])
        #expect(output.status == 0, "\(output.stdout)")
        #expect(output.stdout.contains("coverage of Rules/streams.yaml: 100%"))
    }
}
