import Foundation
import GRDB
import ReconSQLite
import ReconSources
import Reconciliation
import Testing

/// `run --shard I/N` and `runs show KEY`, through the real binary: the shards of the demo cover
/// every stream once, record into one store at once (one run per shard), are compared with the
/// same shard the night before, and merge back into the whole run's report.
struct ShardCommandTests: DemoAppRuns {
    let scratch: RunCommandTests
    let app: String

    init() throws {
        (scratch, app) = try RunCommandTests.demoApp()
    }

    /// Each discrepancy without what differs from run to run (when and in which run it was first seen).
    static func found(_ discrepancies: Any?) -> [NSDictionary] {
        ((discrepancies as? [[String: Any]]) ?? []).map { $0.filter { !["firstSeenAt", "firstSeenRunId", "status"].contains($0.key) } as NSDictionary }
    }

    static func summary(_ report: [String: Any]) -> [String: Any] { report["summary"] as? [String: Any] ?? [:] }

    @Test(arguments: ["3/2", "2/2", "0/0", "x", "-1/2", "1/", "/2", "1/1025", "1.5/2"])
    func aBadShardIsAUsageErrorBeforeAnythingRuns(_ value: String) throws {
        let result = try scratch.run(["run", "--shard=\(value)"])
        #expect(result.status == 2, "\(result.stderr)")
        let first = try #require(result.stderr.split(separator: "\n").first)
        #expect(first.hasPrefix("Error: --shard: ") && first.contains("shard"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.directory.appendingPathComponent("var/demo.sqlite").path), "nothing was built or run")
        #expect(try scratch.run(["run", "--shard", value]).status == 2)
    }

    @Test(arguments: [2, 3, 4])
    func theShardsOfTheDemoCoverEveryStreamOnceAndFindWhatTheWholeRunFinds(count: Int) throws {
        let whole = try run(["--dry-run"])
        #expect(whole.status == 1 && whole.report["shard"] == nil)
        var found: [NSDictionary] = []
        var checked = 0
        for index in 0..<count {
            let part = try run(["--dry-run", "--shard", "\(index)/\(count)"])
            #expect([0, 1].contains(part.status), "\(part.stderr)")
            #expect(part.report["shard"] as? [String: Int] == ["index": index, "count": count])
            found += Self.found(part.report["discrepancies"])
            checked += Self.summary(part.report)["streamsChecked"] as? Int ?? 0
        }
        #expect(checked == 9, "every stream of either side once")
        #expect(NSCountedSet(array: found) == NSCountedSet(array: Self.found(whole.report["discrepancies"])))
        #expect(found.count == 8)
    }

    @Test func twoShardsRecordIntoOneStoreAtOnceAndTheSameShardTwiceIsRefused() async throws {
        let store = scratch.directory.appendingPathComponent("runs.sqlite").path
        let holder = SQLiteRunStore(path: store, options: RunStoreOptions(lease: .seconds(3600), createIfMissing: true))
        _ = try await holder.begin(RunRecord(id: "held", startedAt: "2026-12-01T00:00:00Z", status: .running, dryRun: false,
                                             rulesName: "payment-streams", rulesSha256: "x", owner: "other-host:4242", shard: Shard(parsing: "1/2")))
        let same = try scratch.run(["run", "--db", app, "--store", store, "--shard", "1/2"])
        #expect(same.status == 3)
        #expect(same.stderr == """
            error: \(store): run held of shard 1/2 is in progress (started 2026-12-01T00:00:00Z by other-host:4242); one run of each shard at a time per store

            """)
        let whole = try scratch.run(["run", "--db", app, "--store", store])
        #expect(whole.status == 3 && whole.stderr.contains("run held of shard 1/2 is in progress"), "a run of every key waits for every shard")
        let other = try run(["--store", store, "--shard", "0/2"])
        #expect(other.status == 1 && other.report["persisted"] as? Bool == true, "the other shard records beside it: \(other.stderr)")
        _ = try await holder.abort(runId: "held", finishedAt: RunReport.timestamp(Date()), reason: "test")

        // Both shards of one night, started together, both record.
        let launched = try (0..<2).map { index in
            try CLIRunner.launch(["run", "--db", app, "--store", store, "--format", "json", "--run-key", "night", "--shard", "\(index)/2"],
                                 in: scratch.directory, environment: nil)
        }
        for shard in launched {
            shard.process.waitUntilExit()
            let output = try shard.output()
            #expect(output.status == 1, "\(output.stderr)")
        }
        let list = try scratch.run(["runs", "list", "--store", store, "--format", "json"])
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]).compactMap { $0["run_key"] as? String }
        #expect(Set(keys) == ["night/shard-0-of-2", "night/shard-1-of-2"])
        let table = try scratch.run(["runs", "list", "--store", store])
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.contains("  SHARD  STREAMS  ") == true && lines.dropFirst().contains { $0.contains("  1/2  ") }, "\(table.stdout)")
    }

    @Test func runsShowMergesTheShardsOfARunKeyAndSaysWhichIsMissing() throws {
        let whole = try run(["--dry-run"])
        for index in [0, 2] { #expect(try run(["--run-key", "night", "--shard", "\(index)/3"]).status == 1) }
        let incomplete = try scratch.run(["runs", "show", "night", "--db", app])
        #expect(incomplete.status == 3)
        #expect(incomplete.stderr == "error: run key 'night' has 2 of 3 shards complete: shard 1 never ran\n")
        #expect(incomplete.stdout.hasPrefix("Run key night (3 shards merged): drift, INCOMPLETE (2 of 3 shards complete)\n"), "\(incomplete.stdout)")
        #expect(incomplete.stdout.contains("  shard 1   missing: no run of shard 1/3 is recorded under this key\n"))
        let partial = try scratch.json(try scratch.run(["runs", "show", "night", "--db", app, "--format", "json"]).stdout)
        #expect(partial["complete"] as? Bool == false)
        #expect(partial["incomplete"] as? String == "run key 'night' has 2 of 3 shards complete: shard 1 never ran")
        let shards = try #require(partial["shards"] as? [String: Any])
        #expect(shards["missing"] as? [Int] == [1] && shards["present"] as? [Int] == [0, 2] && shards["count"] as? Int == 3)

        #expect(try run(["--run-key", "night", "--shard", "1/3"]).status == 1)
        let shown = try scratch.run(["runs", "show", "night", "--db", app, "--format", "json"])
        #expect(shown.status == 1, "drift: \(shown.stderr)")
        let merged = try scratch.json(shown.stdout)
        #expect(merged["complete"] as? Bool == true && merged["incomplete"] is NSNull && merged["status"] as? String == "drift")
        #expect(Self.found(merged["discrepancies"]) == Self.found(whole.report["discrepancies"]), "the whole run's findings, in report order")
        let summary = Self.summary(merged), wholeSummary = Self.summary(whole.report)
        for member in ["streamsChecked", "discrepancies", "byKind", "streamsByStatus", "byStatus"] {
            #expect((summary[member] as? NSObject) == (wholeSummary[member] as? NSObject), "\(member)")
        }
        let text = try scratch.run(["runs", "show", "night", "--db", app])
        #expect(text.status == 1 && text.stdout.hasPrefix("Run key night (3 shards merged): drift\n") && text.stdout.contains("stream_2  mismatch"))
        // A run id still shows that run alone; an unknown key says so.
        let runId = try #require(try run(["--run-key", "night", "--shard", "1/3"]).report["runId"] as? String)
        #expect(try scratch.run(["runs", "show", runId, "--db", app]).stdout.hasPrefix("Run \(runId): drift"))
        let unknown = try scratch.run(["runs", "show", "nights", "--db", app])
        #expect(unknown.status == 3)
        #expect(unknown.stderr == "error: no run with id 'nights', and no shard run under run key 'nights', in \(app)\n")
    }

    /// A shard applies, and calls stale or expired, only the acknowledgements of its own streams:
    /// over the shards, each is named once, as by the whole run.
    @Test func aShardNamesOnlyItsOwnStreamsAcknowledgements() throws {
        let acks = try scratch.write("acks.yaml", """
            - { stream: stream_2, kind: mismatch, owner: ops, reason: refund in flight, expires: 2999-12-31 }
            - { stream: stream_3, kind: mismatch, owner: ops, reason: fixed last week, expires: 2999-12-31 }
            - { stream: stream_9, kind: invariant_violation, owner: ops, reason: backfill, expires: 2000-01-01 }
            """)
        func named(_ report: [String: Any], _ member: String) -> [String] {
            (report[member] as? [[String: Any]] ?? []).compactMap { $0["stream"] as? String }
        }
        let whole = try run(["--dry-run", "--acks", acks]).report
        #expect(named(whole, "staleAcks") == ["stream_3"] && named(whole, "expiredAcks") == ["stream_9"])
        // stream_2 is in shard 0 of 2; stream_3 and stream_9 in shard 1.
        let even = try run(["--dry-run", "--acks", acks, "--shard", "0/2"]).report
        #expect(named(even, "staleAcks").isEmpty && named(even, "expiredAcks").isEmpty)
        #expect(Self.summary(even)["acknowledged"] as? Int == 1)
        let odd = try run(["--dry-run", "--acks", acks, "--shard", "1/2"]).report
        #expect(named(odd, "staleAcks") == ["stream_3"] && named(odd, "expiredAcks") == ["stream_9"])
        #expect(Self.summary(odd)["acknowledged"] as? Int == 0)
        // Recorded, the merge names each once.
        for index in 0..<2 { _ = try run(["--acks", acks, "--run-key", "acked", "--shard", "\(index)/2"]) }
        let merged = try scratch.json(try scratch.run(["runs", "show", "acked", "--db", app, "--format", "json"]).stdout)
        #expect(named(merged, "staleAcks") == ["stream_3"] && named(merged, "expiredAcks") == ["stream_9"])
        #expect(Self.summary(merged)["acknowledged"] as? Int == 1)
    }

    @Test func aShardIsComparedWithTheSameShardOfThePreviousRun() throws {
        let whole = try run([])
        let wholeId = try #require(whole.report["runId"] as? String)
        let first = try run(["--shard", "0/2"])
        #expect(first.report["previousRunId"] is NSNull, "a run of every key is not a shard's baseline")
        let firstFound = Self.found(first.report["discrepancies"]).count
        #expect((Self.summary(first.report)["byStatus"] as? [String: Int])?["new"] == firstFound)
        let second = try run(["--shard", "0/2"])
        #expect(second.report["previousRunId"] as? String == first.report["runId"] as? String)
        #expect(Self.summary(second.report)["byStatus"] as? [String: Int] == ["new": 0, "persisting": firstFound, "resolved": 0])
        #expect(try run(["--shard", "1/2"]).report["previousRunId"] is NSNull)
        #expect(try run([]).report["previousRunId"] as? String == wholeId, "a run of every key, with the last run of every key")
    }
}
