import Foundation
import ReconEngine
import ReconPostgres
import ReconSources
import Reconciliation
import Testing

/// Shard runs in a PostgreSQL store: a lock per shard under the store's shared lock, migrations
/// under a lock of their own, the same shard's baseline, and the shards found by their run key.
@Suite("PostgreSQL run store: shards", .enabled(if: postgresAvailable, "no PostgreSQL server binaries on this machine (/usr/lib/postgresql/*/bin)"))
struct PostgresShardTests {
    func record(_ id: String, _ shard: String?, key: String? = nil) throws -> RunRecord {
        RunRecord(id: id, startedAt: RunReport.timestamp(Date()), status: .running, dryRun: false, rulesName: "payment-streams", rulesSha256: "x",
                  runKey: key, shard: try shard.map { try Shard(parsing: $0) })
    }

    func complete(_ store: PostgresRunStore, _ run: RunRecord, findings: [Finding] = []) async throws {
        var report = RunReport(runId: run.id, status: findings.isEmpty ? .clean : .drift, dryRun: false, persisted: true, startedAt: run.startedAt,
                               finishedAt: run.startedAt, rules: .init(name: "payment-streams", sha256: "x"), source: .init(chainBlock: 42),
                               summary: .init(streamsChecked: 1, discrepancies: findings.count, byKind: [:], streamsByStatus: [:]),
                               discrepancies: findings, runKey: run.runKey)
        report.shard = run.shard
        try await store.complete(report)
        await store.release()
    }

    func busy(_ store: PostgresRunStore, _ run: RunRecord) async -> RunInProgress? {
        do {
            _ = try await store.begin(run)
            await store.release()
            return nil
        } catch {
            guard case .busy(let running) = error else { return nil }
            return running
        }
    }

    @Test func shardsTakeTheStoreTogetherEachShardOnceAndARunOfEveryKeyAlone() async throws {
        let database = try await TestDatabase("")
        let location = try database.location()
        let zero = PostgresRunStore(location: location), one = PostgresRunStore(location: location), other = PostgresRunStore(location: location)
        // Two shards starting together on a fresh store: the migrations are applied once.
        let (zeroRun, oneRun) = (try record("zero", "0/2"), try record("one", "1/2"))
        async let first = zero.begin(zeroRun)
        async let second = one.begin(oneRun)
        let began = try await (first, second)
        #expect(began.0 == [] && began.1 == [])
        #expect(try database.psql("SELECT count(*) FROM reconciliation_schema_migrations") == "5")
        let again = try #require(await busy(other, try record("zero-again", "0/2")))
        #expect(again.runId == "zero" && again.shard == zeroRun.shard)
        #expect(again.description == "\(other.displayName): run zero of shard 0/2 is in progress (started \(zeroRun.startedAt) by \(RunOwner.current)); one run of each shard at a time per store")
        let whole = try #require(await busy(other, try record("whole", nil)), "a run of every key waits for every shard")
        #expect(["zero", "one"].contains(whole.runId ?? "") && whole.shard != nil)
        try await complete(zero, zeroRun)
        try await complete(one, oneRun)
        let wholeRun = try record("whole", nil)
        #expect(try await other.begin(wholeRun) == [])
        let refused = try #require(await busy(zero, try record("late", "1/2")))
        #expect(refused.runId == "whole" && refused.shard == nil && refused.description.hasSuffix("; one run at a time per store"))
        // The run of every key dies without completing: the next shard run marks it aborted.
        await other.release()
        #expect(try await zero.begin(record("next", "1/2")) == ["whole"])
        await zero.release()
    }

    @Test func theBaselineAndTheMergeFindTheSameShards() async throws {
        let database = try await TestDatabase("")
        let store = PostgresRunStore(location: try database.location())
        let finding = Finding(streamId: "s1", kind: .mismatch, field: "released", dbValue: "2", onChainValue: "1", rule: "released",
                              severity: .critical, message: "m", tracking: .init(fingerprint: "f1", status: .new, firstSeenAt: "t", firstSeenRunId: "r"))
        for (id, shard, key) in [("whole", nil, "night"), ("a", "0/2", "night/shard-0-of-2"), ("b", "1/2", "night-2/shard-1-of-2")] as [(String, String?, String)] {
            let run = try record(id, shard, key: key)
            _ = try await store.begin(run)
            try await complete(store, run, findings: id == "a" ? [finding] : [])
        }
        #expect(try await store.baseline(rulesName: "payment-streams")?.runId == "whole")
        #expect(try await store.baseline(rulesName: "payment-streams", shard: Shard(parsing: "0/2"))?.entries.keys.sorted() == ["f1"])
        #expect(try await store.baseline(rulesName: "payment-streams", shard: Shard(parsing: "0/3")) == nil)
        #expect(try await store.shardRuns(runKeyPrefix: "night").map(\.id) == ["a"])
        let merged = try #require(try await MergedRun.merge(runKeyPrefix: "night", in: store))
        #expect(merged.discrepancies == [finding] && merged.shards.missing == [1] && merged.status == .drift)
        #expect(try await store.list(limit: 5).map { $0.shard?.description ?? "-" }.sorted() == ["-", "0/2", "1/2"])
        // A store from before migration 4 (read by `runs` or a dry run after an upgrade) has no shard runs.
        try database.psql("ALTER TABLE reconciliation_runs DROP COLUMN shard")
        #expect(try await store.list(limit: 5).count == 3)
        #expect(try await store.baseline(rulesName: "payment-streams", shard: Shard(parsing: "0/2")) == nil)
        #expect(try await store.baseline(rulesName: "payment-streams") != nil)
        #expect(try await store.shardRuns(runKeyPrefix: "night").isEmpty)
        #expect(try await store.show(id: "a")?.run.shard == nil)
    }
}
