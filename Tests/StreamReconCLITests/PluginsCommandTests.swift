import Foundation
import Testing

/// `streamrecon plugins`, through the real binary.
struct PluginsCommandTests {
    @Test func listsEveryPluginWithItsSummary() throws {
        let output = try CLIRunner.run(["plugins"])
        #expect(output.status == 0)
        let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "Value types (type:)")
        #expect(lines.contains("  amount         A signed integer in base units, exact over the whole signed 128-bit range; decimal digits only, or token units scaled by 'decimals'."))
        #expect(lines.contains("Comparators (compare:)"))
        #expect(lines.contains("  tolerance_bps  Passes when |db - chain| x 10000 <= N x max(|db|, |chain|); N is in basis points (1 bps = 0.01%); combined with tolerance, when either holds."))
        #expect(lines.contains("Functions (in assert and when)"))
        #expect(lines.filter { $0.hasPrefix("  ") }.count == 16)
    }

    @Test func jsonListsTheSameIdentifiers() throws {
        let output = try CLIRunner.run(["plugins", "--format", "json"])
        #expect(output.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: [[String: String]]])
        #expect(object["valueTypes"]?.map { $0["identifier"] } == ["amount", "integer", "string", "address", "enum", "bool", "timestamp"])
        #expect(object["comparators"]?.count == 6)
        #expect(object["functions"]?.map { $0["identifier"] } == ["abs", "min", "max"])
    }

    @Test func rootHelpNamesTheSubcommands() throws {
        let output = try CLIRunner.run(["--help"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("rules"))
        #expect(output.stdout.contains("plugins"))
        let none = try CLIRunner.run([])
        #expect(none.status == 0)
    }

    /// Help, plugin summaries and the docs cite only what ships in the repository (they once
    /// cited "SPEC §…", a document operators do not have).
    @Test func helpAndDocsCiteOnlyTheRepository() throws {
        let commands = [["--help"], ["run", "--help"], ["serve", "--help"], ["runs", "list", "--help"], ["runs", "show", "--help"],
                        ["rules", "lint", "--help"], ["plugins"], ["plugins", "--format", "json"]]
        for arguments in commands {
            let output = try CLIRunner.run(arguments)
            #expect(output.status == 0, "\(arguments)")
            #expect(!output.stdout.contains("SPEC"), "\(arguments) cites SPEC")
        }
        let docs = try FileManager.default.contentsOfDirectory(atPath: CLIRunner.packageRoot.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 } + ["README.md"]
        for document in docs {
            let text = try String(contentsOf: CLIRunner.packageRoot.appendingPathComponent(document), encoding: .utf8)
            #expect(!text.contains("SPEC §"), "\(document) cites SPEC")
        }
        let rules = try String(contentsOf: CLIRunner.packageRoot.appendingPathComponent("docs/rules.md"), encoding: .utf8)
        #expect(rules.contains("| `source_error` |"), "the findings table lists source_error")
    }
}
