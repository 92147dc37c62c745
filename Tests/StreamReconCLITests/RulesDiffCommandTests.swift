import Foundation
import Testing

/// `streamrecon rules diff`, through the real binary, over the demo data in a scratch copy.
struct RulesDiffCommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for folder in ["Rules", "Fixtures"] {
            try FileManager.default.copyItem(at: CLIRunner.packageRoot.appendingPathComponent(folder), to: directory.appendingPathComponent(folder))
        }
    }

    func run(_ arguments: [String]) throws -> CLIRunner.Output {
        try CLIRunner.run(["rules", "diff"] + arguments, in: directory)
    }

    func edited(_ name: String, _ edit: (String) -> String) throws -> String {
        let text = try String(contentsOf: directory.appendingPathComponent("Rules/streams.yaml"), encoding: .utf8)
        try edit(text).write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return name
    }

    @Test func theSameRulesAreNoChange() throws {
        let output = try run(["Rules/streams.yaml", "Rules/streams.yaml"])
        #expect(output.status == 0)
        #expect(output.stdout == "rules diff Rules/streams.yaml -> Rules/streams.yaml: 9 streams, chain block 19000000\nno change: both find the same discrepancies\n")
        // A diff writes nothing: the demo DB it read was a throwaway one.
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("var").path))
    }

    @Test func aLooserBoundRemovesAndANewInvariantAdds() throws {
        let new = try edited("new.yaml") { text in
            text.replacingOccurrences(of: "compare: exact      # the default for amount", with: "compare: { tolerance: 60 }")
                + "  small-streams:\n    on: [db]\n    assert: total_amount < 1000000\n"
        }
        let output = try run(["Rules/streams.yaml", new])
        #expect(output.status == 1)
        #expect(output.stdout.contains("removed (only OLD finds): 1 (mismatch 1)\nadded (only NEW finds):   2 (invariant_violation 2)\n"), "\(output.stdout)")
        #expect(output.stdout.contains("- stream_2  mismatch  released_amount  released_amount differs: DB 500, on chain 450 (exact)"))
        #expect(output.stdout.contains("+ stream_1  invariant_violation  small-streams (db)  small-streams fails on DB"))
        let json = try run(["Rules/streams.yaml", new, "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["same"] as? Bool == false && object["streamsChecked"] as? Int == 9)
        #expect(object["removedByKind"] as? [String: Int] == ["mismatch": 1] && object["addedByKind"] as? [String: Int] == ["invariant_violation": 2])
        #expect((object["added"] as? [[String: Any]])?.map { $0["streamId"] as? String } == ["stream_1", "stream_8"])
    }

    /// Rules that read different columns share one read: each is applied to its own.
    @Test func rulesReadingOtherColumnsAreComparedOnOneRead() throws {
        let output = try run(["Rules/streams.yaml", "Fixtures/four-field-rules.yaml"])
        #expect(output.status == 1)
        #expect(output.stdout.contains("removed (only OLD finds): 2 (invariant_violation 1, mismatch 1)\nadded (only NEW finds):   0\n"), "\(output.stdout)")
        let back = try run(["Fixtures/four-field-rules.yaml", "Rules/streams.yaml"])
        #expect(back.stdout.contains("removed (only OLD finds): 0\nadded (only NEW finds):   2 (invariant_violation 1, mismatch 1)\n"), "\(back.stdout)")
    }

    /// A severity change changes the report: it is a different discrepancy.
    @Test func aSeverityChangeIsAChange() throws {
        let new = try edited("severity.yaml") { $0.replacingOccurrences(of: "assert: cancelled_at is not null\n    severity: warning",
                                                                       with: "assert: cancelled_at is not null\n    severity: critical") }
        let output = try run(["Rules/streams.yaml", new])
        #expect(output.status == 1, "\(output.stdout)")
        #expect(output.stdout.contains("removed (only OLD finds): 1 (invariant_violation 1)\nadded (only NEW finds):   1 (invariant_violation 1)"))
    }

    @Test func errorsAreExitTwoOrThree() throws {
        let broken = try edited("broken.yaml") { $0.replacingOccurrences(of: "type: address", with: "type: adress") }
        let compile = try run(["Rules/streams.yaml", broken])
        #expect(compile.status == 2)
        #expect(compile.stderr.contains("broken.yaml:32:11: error[unknown-type]: unknown type 'adress'; did you mean 'address'?"), "\(compile.stderr)")
        let other = try edited("other.yaml") { $0.replacingOccurrences(of: "table: streams ", with: "table: payments ") }
        let incompatible = try run(["Rules/streams.yaml", other])
        #expect(incompatible.status == 2)
        #expect(incompatible.stderr.contains("error: OLD and NEW read different tables (streams and payments); a diff replays both over one read of the same data"))
        let missing = try run(["Rules/streams.yaml", "Rules/streams.yaml", "--db", "nowhere.sqlite"])
        #expect(missing.status == 3)
        #expect(try run(["Rules/streams.yaml"]).status == 2)
        #expect(try run(["Rules/streams.yaml", "Rules/streams.yaml", "--batch-size", "0"]).status == 2)
    }
}
