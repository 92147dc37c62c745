import Foundation
import GRDB
import Testing

/// `streamrecon run` and `streamrecon runs`, through the real binary, in a copy of the
/// repository's Rules/ and Fixtures/ so the demo DB is built fresh for each test.
struct RunCommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for folder in ["Rules", "Fixtures"] {
            try FileManager.default.copyItem(at: CLIRunner.packageRoot.appendingPathComponent(folder), to: directory.appendingPathComponent(folder))
        }
    }

    func run(_ arguments: [String]) throws -> CLIRunner.Output {
        try CLIRunner.run(arguments, in: directory)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func write(_ name: String, _ contents: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func sqlite(_ name: String, _ sql: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql) }
        try queue.close()
        return path
    }

    @Test func theDemoFindsTheSeededDriftAndRecordsIt() throws {
        let first = try run(["run"])
        #expect(first.status == 1)
        #expect(first.stderr.contains("note: built the demo app DB"))
        let report = try json(first.stdout)
        #expect(report["status"] as? String == "drift")
        #expect(report["persisted"] as? Bool == true)
        let discrepancies = try #require(report["discrepancies"] as? [[String: Any]])
        let seeded = try #require(discrepancies.first { $0["streamId"] as? String == "stream_2" })
        #expect(seeded["kind"] as? String == "mismatch")
        #expect(seeded["field"] as? String == "released_amount")
        #expect(seeded["dbValue"] as? String == "500" && seeded["onChainValue"] as? String == "450")
        #expect(Set(discrepancies.compactMap { $0["kind"] as? String })
            == ["mismatch", "missing_on_chain", "missing_in_db", "invariant_violation", "invalid_value"])

        let second = try run(["run", "--format", "ndjson"])
        #expect(second.status == 1)
        #expect(!second.stderr.contains("note: built"))
        let lines = second.stdout.split(separator: "\n")
        #expect(lines.count == 9)
        #expect(try json(String(lines.last!))["summary"] != nil)

        let list = try run(["runs", "list"])
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").count == 3)
        #expect(list.stdout.hasPrefix("RUN "))
        let runId = try #require(report["runId"] as? String)
        let shown = try run(["runs", "show", runId])
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix("Run \(runId): drift\n"))
        #expect(shown.stdout.contains("stream_2  mismatch"))
        let shownJSON = try json(try run(["runs", "show", runId, "--format", "json"]).stdout)
        #expect((shownJSON["discrepancies"] as? [Any])?.count == 8)
        let listJSON = try JSONSerialization.jsonObject(with: Data(try run(["runs", "list", "--format", "json"]).stdout.utf8)) as? [[String: Any]]
        #expect(listJSON?.count == 2)
    }

    @Test func aDryRunWritesNothing() throws {
        _ = try run(["run"])
        let database = directory.appendingPathComponent("var/demo.sqlite")
        let before = try Data(contentsOf: database)
        let dry = try run(["run", "--dry-run", "--format", "json"])
        #expect(dry.status == 1)
        #expect(try json(dry.stdout)["dryRun"] as? Bool == true)
        #expect(try json(dry.stdout)["persisted"] as? Bool == false)
        #expect(try Data(contentsOf: database) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: database.deletingLastPathComponent().path) == ["demo.sqlite"])
    }

    @Test func aDryRunOnAWALDatabaseLeavesNoFilesBehind() throws {
        let folder = directory.appendingPathComponent("wal")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("app.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: try String(contentsOf: CLIRunner.packageRoot.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8))
        }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let dry = try run(["run", "--dry-run", "--db", path, "--format", "json"])
        #expect(dry.status == 1)
        #expect(try json(dry.stdout)["summary"] != nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["app.sqlite"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try run(["run", "--db", path, "--format", "json"]).status == 1) // and a real run records normally
        #expect(try run(["runs", "list", "--db", path]).stdout.contains("drift"))
    }

    @Test func aDryRunWithoutADemoDBLeavesNoneBehind() throws {
        let dry = try run(["run", "--dry-run", "--format", "json"])
        #expect(dry.status == 1)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("var").path))
    }

    /// The demo's nullable column: a null side of a mismatch is shown as null, in the report and in `runs show`.
    @Test func theDemoShowsANullSideAsNull() throws {
        let table = try run(["run", "--format", "table"])
        #expect(table.status == 1)
        let line = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("stream_9  mismatch") })
        #expect(line.contains("  null  2026-11-15T12:00:00Z  new     critical"))
        #expect(table.stdout.contains("cancelled_at differs: DB null, on chain 2026-11-15T12:00:00Z (exact)"))
        let list = try json("{\"runs\": " + (try run(["runs", "list", "--format", "json"]).stdout) + "}")
        let id = try #require(((list["runs"] as? [[String: Any]])?.first?["id"]) as? String)
        let shown = try run(["runs", "show", id]).stdout
        #expect(shown.split(separator: "\n").contains { $0.hasPrefix("stream_9  mismatch") && $0.contains("  null  2026-11-15T12:00:00Z  ") })
        let report = try json(try run(["run", "--dry-run", "--format", "json"]).stdout)
        let nullSide = (report["discrepancies"] as? [[String: Any]])?.first { $0["field"] as? String == "cancelled_at" }
        #expect(nullSide?["dbValue"] is NSNull)
    }

    @Test func exitStatusFollowsFailOn() throws {
        let rules = try write("warn.yaml", """
            version: 1
            name: warn
            key: { db: id, chain: id }
            db: { table: streams }
            fields:
              released_amount: { type: amount, chain: withdrawn, severity: warning }
            """)
        let chain = try write("chain.json", #"{"blockNumber": 5, "records": [{"id": "stream_1", "withdrawn": "250001"}]}"#)
        let db = try sqlite("one.sqlite", "CREATE TABLE streams (id TEXT PRIMARY KEY, released_amount TEXT); INSERT INTO streams VALUES ('stream_1', '250000');")
        let arguments = ["run", "--rules", rules, "--db", db, "--chain", chain, "--dry-run", "--format", "json"]
        #expect(try run(arguments).status == 1)
        #expect(try run(arguments + ["--fail-on", "warning"]).status == 1)
        #expect(try run(arguments + ["--fail-on", "critical"]).status == 0)
        let clean = try write("clean.json", #"{"blockNumber": 5, "records": [{"id": "stream_1", "withdrawn": 250000}]}"#)
        let output = try run(["run", "--rules", rules, "--db", db, "--chain", clean, "--format", "table"])
        #expect(output.status == 0)
        #expect(output.stdout.contains(": CLEAN (recorded)"))
    }

    @Test func outputGoesToAFileAtomically() throws {
        let path = directory.appendingPathComponent("report.json").path
        let output = try run(["run", "--dry-run", "--output", path])
        #expect(output.status == 1)
        #expect(output.stdout.isEmpty)
        #expect(try json(try String(contentsOfFile: path, encoding: .utf8))["status"] as? String == "drift")
        let noDirectory = try run(["run", "--dry-run", "--output", "/no/such/dir/r.json"])
        #expect(noDirectory.status == 2)
        #expect(noDirectory.stderr == "error: cannot write --output /no/such/dir/r.json: directory /no/such/dir does not exist\n")
        let isDirectory = try run(["run", "--dry-run", "--output", directory.path])
        #expect(isDirectory.status == 2)
        #expect(isDirectory.stderr == "error: cannot write --output \(directory.path): \(directory.path) is a directory\n")
    }

    @Test func directoriesAsSourcesFailCleanly() throws {
        let chain = try run(["run", "--dry-run", "--chain", directory.path, "--format", "json"])
        #expect(chain.status == 3)
        #expect(chain.stderr == "error: \(directory.path): is a directory, not a chain snapshot file\n")
        let db = try run(["run", "--dry-run", "--db", directory.path, "--format", "json"])
        #expect(db.status == 3)
        #expect(db.stderr.contains("is a directory, not an SQLite database file"))
    }

    @Test func usageAndRulesErrorsExitTwo() throws {
        #expect(try run(["run", "--format", "xml"]).status == 2)
        #expect(try run(["run", "--batch-size", "0"]).status == 2)
        let mysql = try run(["run", "--db", "mysql://u:secret@db/app"])
        #expect(mysql.status == 2 && mysql.stderr.contains("'mysql://' databases are not supported; give an SQLite file path or a postgres:// URL"))
        #expect(!mysql.stderr.contains("secret"))
        let node = try run(["run", "--chain", "https://rpc.example/key"])
        #expect(node.status == 2)
        #expect(node.stderr.contains("https://rpc.example/…: reading the chain over JSON-RPC needs an 'evm' section in the rules"))
        #expect(!node.stderr.contains("/key"))
        let bad = try write("bad.yaml", "version: 1\nname: x\n")
        let output = try run(["run", "--rules", bad, "--dry-run"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("bad.yaml:1:1: error[missing-key]: the rules file is missing 'key'"))
        #expect(output.stdout.isEmpty)
        let missing = try run(["run", "--rules", "nope.yaml", "--dry-run"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.yaml:1:1: error[unreadable-file]: cannot read rules file: no such file"))
    }

    @Test func failedRunsExitThree() throws {
        let noTable = try sqlite("other.sqlite", "CREATE TABLE payments (id TEXT);")
        let missingTable = try run(["run", "--db", noTable, "--format", "json"])
        #expect(missingTable.status == 3)
        #expect(missingTable.stderr.contains("error: \(noTable): table 'streams' not found (tables: payments)"))
        #expect(try json(missingTable.stdout)["status"] as? String == "failed")
        let recorded = try run(["runs", "list", "--db", noTable, "--format", "json"])
        #expect(recorded.stdout.contains("\"status\" : \"failed\""))

        let malformed = try write("broken.json", "{\"records\": [\n  {\"id\": \"stream_1\",]}")
        let badChain = try run(["run", "--chain", malformed, "--dry-run", "--format", "json"])
        #expect(badChain.status == 3)
        #expect(badChain.stderr.contains("broken.json:2:21: expected a member name in double quotes"))

        let missingDB = try run(["run", "--db", "nope.sqlite"])
        #expect(missingDB.status == 3)
        #expect(missingDB.stderr == "error: cannot record the run: nope.sqlite: app database not found\n")

        let duplicates = try write("dups.json", #"{"blockNumber": 1, "records": [{"id": "stream_1"}, {"id": "stream_1"}]}"#)
        let dup = try run(["run", "--chain", duplicates, "--dry-run", "--format", "json"])
        #expect(dup.status == 3)
        #expect(dup.stdout.contains("appears in 2 on-chain records"))

        #expect(try run(["runs", "show", "nope"]).status == 3)
        #expect(try run(["runs", "list", "--db", "nope.sqlite"]).status == 3)
    }
}
