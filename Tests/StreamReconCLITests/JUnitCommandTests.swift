import Foundation
import FoundationXML
import GRDB
import Testing

/// `run --format junit` and `rules lint --format junit`, through the real binary, in a copy of the
/// repository's Rules/ and Fixtures/; every document is parsed as XML.
struct JUnitCommandTests {
    let directory: URL

    init() throws {
        directory = try RunCommandTests().directory
    }

    func run(_ arguments: [String]) throws -> CLIRunner.Output {
        try CLIRunner.run(arguments, in: directory)
    }

    func write(_ name: String, _ contents: String) throws -> String {
        try contents.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return name
    }

    func sqlite(_ name: String, _ sql: String) throws -> String {
        let queue = try DatabaseQueue(path: directory.appendingPathComponent(name).path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        return name
    }

    func elements(_ document: XMLDocument, _ path: String) throws -> [XMLElement] {
        try document.nodes(forXPath: path).compactMap { $0 as? XMLElement }
    }

    func attribute(_ element: XMLElement?, _ name: String) -> String? {
        element?.attribute(forName: name)?.stringValue
    }

    @Test func theDemoGivesAFailingTestcasePerDiscrepancy() throws {
        let output = try run(["run", "--dry-run", "--format", "junit"])
        #expect(output.status == 1)
        let document = try XMLDocument(xmlString: output.stdout)
        #expect(document.rootElement()?.name == "testsuites")
        let suite = try #require(try elements(document, "/testsuites/testsuite").first)
        #expect(attribute(suite, "name") == "payment-streams")
        #expect(attribute(suite, "tests") == "8")
        #expect(attribute(suite, "failures") == "8")
        #expect(attribute(document.rootElement(), "tests") == "8")
        let cases = try elements(document, "//testcase")
        #expect(cases.count == 8)
        #expect(try elements(document, "//testcase/failure").count == 8)
        let drift = try #require(cases.first { attribute($0, "classname") == "stream_2" })
        #expect(attribute(drift, "name") == "mismatch released_amount")
        #expect(attribute(drift, "file") == "Rules/streams.yaml")
        #expect(attribute(drift, "line") == "19")
        let failure = try #require(drift.elements(forName: "failure").first)
        #expect(attribute(failure, "type") == "critical")
        #expect(attribute(failure, "message") == "released_amount differs: DB 500, on chain 450 (exact)")
        #expect(failure.stringValue?.contains("rule: released_amount (Rules/streams.yaml:19:3)") == true)
        // A pair's two violations stay two testcases; a warning is a failure of type warning.
        let violations = cases.filter { attribute($0, "classname") == "stream_6" }.compactMap { attribute($0, "name") }
        #expect(violations == ["invariant_violation released-within-total (chain)", "invariant_violation released-within-total (db)"])
        let warning = try #require(cases.first { attribute($0, "name") == "invariant_violation cancelled-has-time (db)" })
        #expect(attribute(warning.elements(forName: "failure").first, "type") == "warning")
        let properties = try elements(document, "//testsuite/properties/property")
        #expect(properties.first { attribute($0, "name") == "status" }.flatMap { attribute($0, "value") } == "drift")
    }

    @Test func aCleanRunHasNoTestcases() throws {
        let rules = try write("one.yaml", """
            version: 1
            name: one
            key: { db: id, chain: id }
            db: { table: streams }
            fields:
              released_amount: { type: amount, chain: withdrawn }
            """)
        let chain = try write("chain.json", #"{"blockNumber": 5, "records": [{"id": "stream_1", "withdrawn": "250000"}]}"#)
        let db = try sqlite("one.sqlite", "CREATE TABLE streams (id TEXT PRIMARY KEY, released_amount TEXT); INSERT INTO streams VALUES ('stream_1', '250000');")
        let output = try run(["run", "--rules", rules, "--db", db, "--chain", chain, "--dry-run", "--format", "junit"])
        #expect(output.status == 0)
        let document = try XMLDocument(xmlString: output.stdout)
        let suite = try #require(try elements(document, "/testsuites/testsuite").first)
        #expect(attribute(suite, "name") == "one")
        #expect(attribute(suite, "tests") == "0")
        #expect(attribute(suite, "failures") == "0")
        #expect(try elements(document, "//testcase").isEmpty)
    }

    @Test func aFailedRunHasARunTestcaseInError() throws {
        let db = try sqlite("other.sqlite", "CREATE TABLE payments (id TEXT);")
        let output = try run(["run", "--dry-run", "--db", db, "--format", "junit"])
        #expect(output.status == 3)
        let document = try XMLDocument(xmlString: output.stdout)
        #expect(attribute(document.rootElement(), "errors") == "1")
        let run = try #require(try elements(document, "//testcase").first { attribute($0, "name") == "run" })
        let error = try #require(run.elements(forName: "error").first)
        #expect(attribute(error, "type") == "failed")
        #expect(attribute(error, "message")?.contains("table 'streams' not found") == true)
    }

    @Test func lintGivesATestcasePerDiagnosticAndPerCleanFile() throws {
        let bad = try write("bad.yaml", """
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

            """)
        let output = try run(["rules", "lint", "--format", "junit", bad, "Rules/"])
        #expect(output.status == 1)
        let document = try XMLDocument(xmlString: output.stdout)
        #expect(attribute(document.rootElement(), "name") == "streamrecon rules lint")
        #expect(attribute(document.rootElement(), "tests") == "6")
        #expect(attribute(document.rootElement(), "failures") == "2")
        let suites = try elements(document, "/testsuites/testsuite")
        #expect(suites.compactMap { attribute($0, "name") } == ["bad.yaml", "Rules/sablier-v2-lockup.yaml", "Rules/streams.test.yaml", "Rules/streams.yaml"])
        let badCases = suites[0].elements(forName: "testcase")
        #expect(badCases.compactMap { attribute($0, "name") } == ["unknown-comparator at 6:35", "unknown-field at 9:16", "unguarded-nullable at 10:16"])
        #expect(badCases.map { attribute($0, "line") } == ["6", "9", "10"])
        let failure = try #require(badCases[0].elements(forName: "failure").first)
        #expect(attribute(failure, "type") == "unknown-comparator")
        #expect(attribute(failure, "message") == "unknown comparator 'exakt'; did you mean 'exact'?")
        // A warning passes, its text beside it.
        #expect(badCases[2].elements(forName: "failure").isEmpty)
        #expect(badCases[2].elements(forName: "system-out").first?.stringValue?.hasPrefix("bad.yaml:10:16: warning[unguarded-nullable]:") == true)
        for suite in suites.dropFirst() {
            #expect(suite.elements(forName: "testcase").compactMap { attribute($0, "name") } == ["no problems"])
            #expect(attribute(suite, "failures") == "0")
        }
    }
}
