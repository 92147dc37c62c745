import Foundation
import Testing

extension PostgresCommandTests {
    /// The shards of one night record into one PostgreSQL store at once, and `runs show KEY` merges
    /// them into the whole run's report; a night missing shards says which.
    @Test func theShardsOfARunRecordIntoOnePostgresStoreAtOnceAndMerge() throws {
        let whole = try scratch.json(try run(["run", "--db", url, "--format", "json", "--dry-run"]).stdout)
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        let launched = try (0..<3).map { index in
            try CLIRunner.launch(["run", "--db", url, "--format", "json", "--run-key", "night", "--shard", "\(index)/3"], in: scratch.directory,
                                 environment: environment)
        }
        for shard in launched {
            shard.process.waitUntilExit()
            let output = try shard.output()
            #expect(output.status == 1, "\(output.stderr)")
        }
        let shown = try run(["runs", "show", "night", "--db", url, "--format", "json"])
        #expect(shown.status == 1, "\(shown.stderr)")
        let merged = try scratch.json(shown.stdout)
        #expect(merged["complete"] as? Bool == true && (merged["shards"] as? [String: Any])?["present"] as? [Int] == [0, 1, 2])
        #expect(ShardCommandTests.found(merged["discrepancies"]) == ShardCommandTests.found(whole["discrepancies"]))
        #expect((merged["summary"] as? [String: Any])?["streamsChecked"] as? Int == 9)
        #expect(try rig.psql("SELECT string_agg(shard, ',' ORDER BY shard) FROM reconciliation_runs", database: database) == "0/3,1/3,2/3")

        #expect(try run(["run", "--db", url, "--run-key", "other", "--shard", "0/3"]).status == 1)
        let incomplete = try run(["runs", "show", "other", "--db", url])
        #expect(incomplete.status == 3)
        #expect(incomplete.stderr == "error: run key 'other' has 1 of 3 shards complete: shards 1, 2 never ran\n")
        expectNoSecret(shown, incomplete)
    }
}
