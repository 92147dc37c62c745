import Foundation
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Testing

/// Shard runs in an SQLite run store: one run per shard at a time, the previous run of the same
/// shard as the baseline, and the shards of one run merged.
struct ShardStoreTests {
    func record(_ id: String, shard: String?, key: String? = nil) throws -> RunRecord {
        RunRecord(id: id, startedAt: RunReport.timestamp(Date()), status: .running, dryRun: false, rulesName: "payment-streams",
                  rulesSha256: "x", runKey: key, shard: try shard.map { try Shard(parsing: $0) })
    }

    func report(_ id: String, shard: String?, findings: [Finding], key: String? = nil) throws -> RunReport {
        var report = RunReport(runId: id, status: findings.isEmpty ? .clean : .drift, dryRun: false, persisted: true,
                               startedAt: RunReport.timestamp(Date()), finishedAt: RunReport.timestamp(Date()),
                               rules: .init(name: "payment-streams", sha256: "x"), source: .init(chainBlock: 7),
                               summary: .init(streamsChecked: 2, discrepancies: findings.count, byKind: ["mismatch": findings.count],
                                              streamsByStatus: ["active": 2]),
                               discrepancies: findings, runKey: key)
        report.shard = try shard.map { try Shard(parsing: $0) }
        report.summary.byStatus = ["new": findings.count, "persisting": 0, "resolved": 0]
        return report
    }

    func mismatch(_ stream: String) -> Finding {
        Finding(streamId: stream, kind: .mismatch, field: "released", dbValue: "2", onChainValue: "1", rule: "released", severity: .critical,
                message: "m", tracking: .init(fingerprint: "f-\(stream)", status: .new, firstSeenAt: "t", firstSeenRunId: "r"))
    }

    func busy(_ store: SQLiteRunStore, _ run: RunRecord) async -> RunInProgress? {
        do {
            _ = try await store.begin(run)
            return nil
        } catch {
            guard case .busy(let running) = error else { return nil }
            return running
        }
    }

    @Test func shardsOfOneStoreRunTogetherButNotTwiceNorBesideARunOfEveryKey() async throws {
        let scratch = try Scratch()
        let store = SQLiteRunStore(path: scratch.path("runs.sqlite"), options: RunStoreOptions(lease: .seconds(3600), createIfMissing: true))
        #expect(try await store.begin(record("zero", shard: "0/2")) == [])
        #expect(try await store.begin(record("one", shard: "1/2")) == [], "another shard of the same count runs beside it")
        let again = try #require(await busy(store, try record("zero-again", shard: "0/2")))
        #expect(try again.runId == "zero" && again.shard == Shard(parsing: "0/2"))
        #expect(again.description.hasPrefix("\(store.path): run zero of shard 0/2 is in progress (started "))
        #expect(again.description.hasSuffix("); one run of each shard at a time per store"))
        #expect(await busy(store, try record("whole", shard: nil)) != nil, "a run of every key waits for every shard")
        try await store.complete(try report("zero", shard: "0/2", findings: []))
        try await store.complete(try report("one", shard: "1/2", findings: []))
        #expect(try await store.begin(record("whole", shard: nil)) == [])
        let refused = try #require(await busy(store, try record("shard", shard: "1/2")))
        #expect(refused.runId == "whole" && refused.shard == nil && refused.description.hasSuffix("one run at a time per store"))
        #expect(Set(try await store.list(limit: 5).map { $0.shard?.description ?? "-" }) == ["-", "1/2", "0/2"])
    }

    @Test func aShardIsComparedWithThePreviousRunOfTheSameShard() async throws {
        let scratch = try Scratch()
        let store = SQLiteRunStore(path: scratch.path("runs.sqlite"), options: RunStoreOptions(lease: .seconds(3600), createIfMissing: true))
        #expect(try await store.baseline(rulesName: "payment-streams", shard: Shard(parsing: "0/2")) == nil, "no tables yet")
        for (id, shard) in [("whole", nil), ("zero", "0/2"), ("one", "1/2"), ("zero-of-three", "0/3")] as [(String, String?)] {
            _ = try await store.begin(record(id, shard: shard))
            try await store.complete(try report(id, shard: shard, findings: [mismatch(id)]))
        }
        #expect(try await store.baseline(rulesName: "payment-streams")?.runId == "whole")
        #expect(try await store.baseline(rulesName: "payment-streams", shard: nil)?.runId == "whole")
        #expect(try await store.baseline(rulesName: "payment-streams", shard: Shard(parsing: "0/2"))?.runId == "zero")
        #expect(try await store.baseline(rulesName: "payment-streams", shard: Shard(parsing: "1/2"))?.entries.keys.sorted() == ["f-one"])
        #expect(try await store.baseline(rulesName: "payment-streams", shard: Shard(parsing: "1/3")) == nil)
    }

    @Test func theShardsOfARunMergeAndAMissingShardIsNamed() async throws {
        let scratch = try Scratch()
        let store = SQLiteRunStore(path: scratch.path("runs.sqlite"), options: RunStoreOptions(lease: .seconds(3600), createIfMissing: true))
        for (id, shard, streams) in [("a", "0/3", ["s1", "s4"]), ("c", "2/3", ["s2"])] {
            let key = "night/shard-\(shard.prefix(1))-of-3"
            _ = try await store.begin(record(id, shard: shard, key: key))
            try await store.complete(try report(id, shard: shard, findings: streams.map(mismatch), key: key))
        }
        // Another night, and a run keyed like a shard's that is not one, stay out.
        _ = try await store.begin(record("other", shard: "1/3", key: "night-2/shard-1-of-3"))
        try await store.complete(try report("other", shard: "1/3", findings: [mismatch("s9")]))
        #expect(try await MergedRun.merge(runKeyPrefix: "nigh", in: store) == nil)
        let merged = try #require(try await MergedRun.merge(runKeyPrefix: "night", in: store))
        #expect(merged.discrepancies.map(\.streamId) == ["s1", "s2", "s4"])
        #expect(merged.summary.discrepancies == 3 && merged.summary.streamsChecked == 4 && merged.summary.byKind == ["mismatch": 3])
        #expect(merged.summary.byStatus == ["new": 3, "persisting": 0, "resolved": 0] && merged.summary.streamsByStatus == ["active": 4])
        #expect(merged.status == .drift && !merged.complete)
        #expect(merged.shards.present == [0, 2] && merged.shards.missing == [1] && merged.shards.notes.isEmpty)
        #expect(merged.incompleteReason == "run key 'night' has 2 of 3 shards complete: shard 1 never ran")
        // The missing shard runs: the merge is complete.
        _ = try await store.begin(record("b", shard: "1/3", key: "night/shard-1-of-3"))
        let running = try #require(try await MergedRun.merge(runKeyPrefix: "night", in: store))
        #expect(running.status == .running && running.incompleteReason == "run key 'night' has 2 of 3 shards complete: shard 1 is still running")
        try await store.complete(try report("b", shard: "1/3", findings: []))
        let whole = try #require(try await MergedRun.merge(runKeyPrefix: "night", in: store))
        #expect(whole.complete && whole.incompleteReason == nil && whole.status == .drift && whole.shards.present == [0, 1, 2])
        #expect(whole.shards.parts.map(\.runId) == ["a", "b", "c"])
    }

    /// Runs under one key that split it another way, or a shard recorded twice, are named in the notes.
    @Test func aMergeNamesRunsItLeavesOut() async throws {
        let runs = [
            RunRecord(id: "new-0", startedAt: "2026-12-02T02:00:03Z", status: .aborted, dryRun: false, rulesName: "p", rulesSha256: "x",
                      runKey: "k/shard-0-of-2", shard: try Shard(parsing: "0/2")),
            RunRecord(id: "new-1", startedAt: "2026-12-02T02:00:02Z", status: .failed, dryRun: false, rulesName: "p", rulesSha256: "y",
                      runKey: "k/shard-1-of-2", shard: try Shard(parsing: "1/2")),
            RunRecord(id: "old-0", startedAt: "2026-12-02T02:00:01Z", status: .clean, dryRun: false, rulesName: "p", rulesSha256: "x",
                      runKey: "k/shard-0-of-2", shard: try Shard(parsing: "0/2")),
            RunRecord(id: "three", startedAt: "2026-12-02T01:00:00Z", status: .clean, dryRun: false, rulesName: "p", rulesSha256: "x",
                      runKey: "k/shard-0-of-3", shard: try Shard(parsing: "0/3")),
        ]
        let merged = try #require(try await MergedRun.merge(runKeyPrefix: "k", in: ListedRuns(runs: runs)))
        #expect(merged.shards.parts.map(\.runId) == ["old-0", "new-1"], "the newest finished run of each shard")
        #expect(merged.shards.parts.map(\.runs) == [2, 1])
        #expect(merged.status == .failed && merged.shards.failed == [1] && merged.shards.present == [0])
        #expect(merged.incompleteReason == "run key 'k' has 1 of 2 shards complete: shard 1 failed")
        #expect(merged.shards.notes == [
            "the runs under run key 'k' disagree on the shard count: the newest is split 2 ways; 1 run split 3 ways is left out",
            "shard 0 ran 2 times; the merge takes run old-0 (clean, started 2026-12-02T02:00:01Z)",
            "the shards ran different rules: p (sha256 x), p (sha256 y)",
        ])
    }

    /// A store that only lists runs (and answers each with an empty report): the merge through a store's defaults.
    struct ListedRuns: RunStore {
        let runs: [RunRecord]
        var displayName: String { "listed" }
        var lease: Duration { .seconds(60) }
        func begin(_ run: RunRecord) async throws(RunStoreError) -> [String] { [] }
        func renew(runId: String) async throws(SourceError) -> Bool { true }
        func recordAlert(_ report: RunReport) async throws(SourceError) {}
        func complete(_ report: RunReport) async throws(SourceError) {}
        func fail(runId: String, finishedAt: String, error: String, patience: Duration) async throws(SourceError) {}
        func abort(runId: String, finishedAt: String, reason: String) async throws(SourceError) -> Bool { false }
        func list(limit: Int) async throws(SourceError) -> [RunRecord] { Array(runs.prefix(limit)) }
        func show(id: String) async throws(SourceError) -> (run: RunRecord, discrepancies: [DiscrepancyRecord])? {
            runs.first { $0.id == id }.map { ($0, []) }
        }
    }
}
