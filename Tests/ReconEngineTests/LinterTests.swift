import Foundation
import ReconEngine
import Testing

/// `Linter`: paths and directories, every problem of every file, and the three formats.
struct LinterTests {
    let directory: URL

    init() throws {
        directory = try temporaryDirectory()
        try demoRules.write(to: directory.appendingPathComponent("good.yaml"), atomically: true, encoding: .utf8)
        try rules(fields: "  a: { type: amout }\n  b: { type: amount, compare: exakt }")
            .write(to: directory.appendingPathComponent("bad.yml"), atomically: true, encoding: .utf8)
        try "ignored".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    }

    func relative(_ report: LintReport) -> [String] {
        report.diagnostics.map { $0.description.replacingOccurrences(of: directory.path + "/", with: "") }
    }

    @Test func lintsEveryRulesFileInADirectoryAndReportsEveryProblem() throws {
        let report = try Linter().lint(paths: [directory.path])
        #expect(report.files.map { URL(fileURLWithPath: $0).lastPathComponent } == ["bad.yml", "good.yaml"])
        #expect(relative(report) == [
            "bad.yml:6:14: error[unknown-type]: unknown type 'amout'; did you mean 'amount'?",
            "bad.yml:7:31: error[unknown-comparator]: unknown comparator 'exakt'; did you mean 'exact'?",
        ])
        #expect(report.errorCount == 2 && report.warningCount == 0)
    }

    @Test func aDirectoryWithoutRulesFilesIsAnError() throws {
        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: false)
        let report = try Linter().lint(paths: [empty.path])
        #expect(relative(report) == ["empty:1:1: error[no-rules-files]: directory holds no rules files (*.yaml, *.yml)"])
    }

    @Test func aMissingPathIsAUsageError() {
        #expect(throws: Linter.MissingPath.self) { try Linter().lint(paths: ["/no/such/rules.yaml"]) }
        #expect(Linter.MissingPath(path: "x.yaml").description == "no such file or directory: x.yaml")
    }

    @Test func anUnreadableFileIsReported() {
        let diagnostics = RulesCompiler().compile(path: directory.appendingPathComponent("absent.yaml").path).diagnostics
        #expect(diagnostics.map(\.code) == [.unreadableFile])
        #expect(diagnostics.first?.message == "cannot read rules file: no such file")
        let asDirectory = RulesCompiler().compile(path: directory.path).diagnostics
        #expect(asDirectory.map(\.code) == [.unreadableFile])
    }

    @Test func loadThrowsTheDiagnostics() throws {
        let path = directory.appendingPathComponent("bad.yml").path
        #expect(throws: RulesError.self) { try RulesCompiler().load(path: path) }
        do {
            _ = try RulesCompiler().load(path: path)
        } catch {
            #expect(error.description.components(separatedBy: "\n").count == 2)
        }
        #expect(try RulesCompiler().load(path: directory.appendingPathComponent("good.yaml").path).name == "payment-streams")
    }

    @Test func fileTooLarge() throws {
        let path = directory.appendingPathComponent("huge.yaml")
        try Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 1).write(to: path)
        #expect(RulesCompiler().compile(path: path.path).diagnostics.map(\.description)
            == ["\(path.path):1:1: error[file-too-large]: rules file is 1048577 bytes; the limit is 1048576 bytes (1 MiB)"])
    }

    @Test func theShippedRulesLintClean() throws {
        let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Rules").standardized
        let report = try Linter().lint(paths: [rulesDirectory.path])
        #expect(!report.files.isEmpty)
        #expect(report.diagnostics.isEmpty)
    }

    static let sample = LintReport(files: ["r.yaml"], diagnostics: [
        Diagnostic(.unknownType, at: TextLocation(file: "r.yaml", line: 6, column: 14), "unknown type 'amout'; did you mean 'amount'?"),
        Diagnostic(.noRulesFiles, .warning, at: TextLocation(file: "dir,a:b", line: 1, column: 1), "50% done\nnext"),
    ])

    @Test func textFormat() {
        #expect(LintFormat.text.render(Self.sample) == """
        r.yaml:6:14: error[unknown-type]: unknown type 'amout'; did you mean 'amount'?
        dir,a:b:1:1: warning[no-rules-files]: 50% done
        next
        1 error, 1 warning in 1 file

        """)
        #expect(LintFormat.text.render(LintReport(files: ["a", "b"], diagnostics: [])) == "0 errors, 0 warnings in 2 files\n")
    }

    @Test func githubFormatEscapesProperties() {
        #expect(LintFormat.github.render(Self.sample) == """
        ::error file=r.yaml,line=6,col=14,title=unknown-type::unknown type 'amout'; did you mean 'amount'?
        ::warning file=dir%2Ca%3Ab,line=1,col=1,title=no-rules-files::50%25 done%0Anext
        1 error, 1 warning in 1 file

        """)
    }

    @Test func jsonFormat() {
        #expect(LintFormat.json.render(Self.sample) == """
        {
          "diagnostics" : [
            {
              "code" : "unknown-type",
              "column" : 14,
              "file" : "r.yaml",
              "line" : 6,
              "message" : "unknown type 'amout'; did you mean 'amount'?",
              "severity" : "error"
            },
            {
              "code" : "no-rules-files",
              "column" : 1,
              "file" : "dir,a:b",
              "line" : 1,
              "message" : "50% done\\nnext",
              "severity" : "warning"
            }
          ],
          "errors" : 1,
          "files" : [
            "r.yaml"
          ],
          "warnings" : 1
        }

        """)
    }
}
