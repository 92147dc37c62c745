import Foundation
import Testing

/// `streamrecon rules lint`, through the real binary.
struct LintCommandTests {
    let directory: URL
    let bad: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-lint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        bad = directory.appendingPathComponent("bad.yaml").path
        try """
        version: 1
        name: t
        key: { db: id, chain: id }
        db: { table: streams }
        fields:
          total: { type: amount, compare: exakt }
        invariants:
          i: { assert: totl >= 0 }

        """.write(toFile: bad, atomically: true, encoding: .utf8)
    }

    @Test func lintsTheShippedRulesByDefault() throws {
        let output = try CLIRunner.run(["rules", "lint"])
        #expect(output.status == 0)
        #expect(output.stdout == "0 errors, 0 warnings in 3 files\n")
        #expect(output.stderr.isEmpty)
    }

    @Test func textFormatExitsOneOnErrors() throws {
        let output = try CLIRunner.run(["rules", "lint", bad])
        #expect(output.status == 1)
        #expect(output.stdout == """
        \(bad):6:35: error[unknown-comparator]: unknown comparator 'exakt'; did you mean 'exact'?
        \(bad):8:16: error[unknown-field]: unknown field 'totl'; did you mean 'total'?
        2 errors, 0 warnings in 1 file

        """)
    }

    @Test func githubFormat() throws {
        let output = try CLIRunner.run(["rules", "lint", "--format", "github", bad])
        #expect(output.status == 1)
        #expect(output.stdout.hasPrefix("::error file=\(bad),line=6,col=35,title=unknown-comparator::unknown comparator 'exakt'; did you mean 'exact'?\n"))
    }

    @Test func jsonFormat() throws {
        let output = try CLIRunner.run(["rules", "lint", "--format", "json", bad, "Rules/"])
        #expect(output.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        #expect(object?["errors"] as? Int == 2)
        #expect(object?["files"] as? [String] == [bad, "Rules/sablier-v2-lockup.yaml", "Rules/streams.test.yaml", "Rules/streams.yaml"])
    }

    @Test func usageErrorsExitTwo() throws {
        let missing = try CLIRunner.run(["rules", "lint", "no/such.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr == "error: no such file or directory: no/such.yaml\n")

        let format = try CLIRunner.run(["rules", "lint", "--format", "xml"])
        #expect(format.status == 2)
        #expect(format.stderr.hasPrefix("Error: The value 'xml' is invalid for '--format <format>'"))

        let unknown = try CLIRunner.run(["rules", "lnt"])
        #expect(unknown.status == 2)
    }

    @Test func helpExitsZero() throws {
        let output = try CLIRunner.run(["rules", "lint", "--help"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("Check rules files without touching any data source."))
        #expect(output.stdout.contains("Exit status: 0 no errors, 1 errors found, 2 usage error."))
    }
}
