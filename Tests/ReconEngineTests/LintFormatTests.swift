import Foundation
import FoundationXML
import ReconEngine
import Testing

/// `rules lint --format sarif` and `--format junit`, from a lint report.
struct LintFormatTests {
    static let report = LintReport(files: ["a.yaml", "dir with space/b.yaml", "clean.yaml"], diagnostics: [
        Diagnostic(.unknownKey, at: TextLocation(file: "a.yaml", line: 2, column: 5), "unknown key 'nme' in the rules file; did you mean 'name'?"),
        Diagnostic(.unguardedNullable, .warning, at: TextLocation(file: "a.yaml", line: 9, column: 16), "invariant 'j' reads nullable field 'n'"),
        Diagnostic(.yamlSyntax, at: TextLocation(file: "dir with space/b.yaml", line: 1, column: 1), "bad <yaml> & \"more\""),
        Diagnostic(.noRulesFiles, at: TextLocation(file: "empty/", line: 1, column: 1), "directory holds no rules files (*.yaml, *.yml)"),
    ])

    @Test func sarifHasAResultPerDiagnosticAndARulePerCode() throws {
        let log = try #require(try JSONSerialization.jsonObject(with: Data(LintFormat.sarif.render(Self.report).utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.map { $0["ruleId"] as? String } == ["unknown-key", "unguarded-nullable", "yaml-syntax", "no-rules-files"])
        #expect(results.map { $0["level"] as? String } == ["error", "warning", "error", "error"])
        let physical = results.map { ($0["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any] }
        #expect(physical.map { ($0?["artifactLocation"] as? [String: Any])?["uri"] as? String }
            == ["a.yaml", "a.yaml", "dir%20with%20space/b.yaml", "empty/"])
        #expect(physical[1]?["region"] as? [String: Int] == ["startLine": 9, "startColumn": 16])
        let rules = try #require((run["tool"] as? [String: Any]).flatMap { $0["driver"] as? [String: Any] }?["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["no-rules-files", "unguarded-nullable", "unknown-key", "yaml-syntax"])
        #expect(results.map { $0["ruleIndex"] as? Int } == [2, 1, 3, 0])
        #expect(run["columnKind"] as? String == "unicodeCodePoints")
    }

    @Test func everyCodeIsDescribed() {
        for code in DiagnosticCode.allCases {
            #expect(code.summary.hasSuffix("."), "\(code)")
        }
    }

    @Test func junitHasATestcasePerDiagnosticAndPerCleanFile() throws {
        let text = LintFormat.junit.render(Self.report)
        let xml = try XMLDocument(xmlString: text)
        let root = try #require(xml.rootElement())
        #expect(root.attribute(forName: "tests")?.stringValue == "5")
        #expect(root.attribute(forName: "failures")?.stringValue == "3")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.compactMap { $0.attribute(forName: "name")?.stringValue } == ["a.yaml", "dir with space/b.yaml", "clean.yaml", "empty/"])
        #expect(suites.compactMap { $0.attribute(forName: "failures")?.stringValue } == ["1", "1", "0", "1"])
        let clean = suites[2].elements(forName: "testcase")
        #expect(clean.count == 1 && clean[0].elements(forName: "failure").isEmpty)
        let failure = try #require(suites[1].elements(forName: "testcase").first?.elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue == "bad <yaml> & \"more\"")
        #expect(failure.attribute(forName: "type")?.stringValue == "yaml-syntax")
    }
}
