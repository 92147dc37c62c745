import Foundation
import PostgresRig
import ReconEngine
import ReconPostgres
import ReconSources
import Reconciliation
import Synchronization
import TestSupport
import Testing

@Suite("PostgreSQL run store", .enabled(if: postgresAvailable, "no PostgreSQL server binaries on this machine (/usr/lib/postgresql/*/bin)"))
struct PostgresRunStoreTests {
    func record(_ id: String, startedAt: String = RunReport.timestamp(Date())) -> RunRecord {
        RunRecord(id: id, startedAt: startedAt, status: .running, dryRun: false, rulesName: "payment-streams", rulesSha256: "x")
    }

    func report(_ id: String, findings: [Finding]) -> RunReport {
        RunReport(runId: id, status: findings.isEmpty ? .clean : .drift, dryRun: false, persisted: false, startedAt: "2026-12-01T00:00:00Z",
                  finishedAt: "2026-12-01T00:01:00Z", rules: .init(name: "payment-streams", sha256: "x"), source: .init(chainBlock: 42),
                  summary: .init(streamsChecked: 3, discrepancies: findings.count, byKind: [:], streamsByStatus: [:]), discrepancies: findings)
    }

    @Test func migrationsMakeTheSameColumnsAsSQLiteAndAreRecorded() async throws {
        let database = try await TestDatabase("")
        let store = PostgresRunStore(location: try database.location())
        _ = try await store.begin(record("r1"))
        await store.release()
        #expect(try database.psql("SELECT version || ':' || name FROM reconciliation_schema_migrations ORDER BY version")
            == "1:run tables\n2:run owner and lease\n3:run memory, run keys and alerts\n4:shards\n5:pinned block hash")
        #expect(try database.psql("""
            SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'reconciliation_runs'
            """) == "id,started_at,finished_at,status,dry_run,rules_name,rules_sha256,chain_block,streams_checked,discrepancy_count,error,owner,lease_expires_at,run_key,alert_status,report_summary,shard,chain_block_hash")
        // Once migrated, a role that may not create anything records runs.
        let role = "rec_" + database.name.suffix(12)
        try database.psql("""
            CREATE ROLE \(role) LOGIN PASSWORD 'rec-pass-1'; REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT SELECT, INSERT, UPDATE ON reconciliation_runs, reconciliation_discrepancies, reconciliation_schema_migrations TO \(role);
            """)
        let limited = PostgresRunStore(location: try PostgresLocation(database.url(user: role, password: "rec-pass-1"), environment: [:]))
        #expect(try await limited.begin(record("r2")) == ["r1"]) // r1's session ended without completing: it is marked aborted
        try await limited.complete(report("r2", findings: []))
        await limited.release()
        #expect(try await limited.list(limit: 10).map(\.status) == [.clean, .aborted])
    }

    /// One run at a time per store, across sessions: the second fails at once naming the first;
    /// once the first lets go, the next one runs, and a run whose session died is aborted at once.
    @Test func oneRunAtATimeAcrossSessions() async throws {
        let database = try await TestDatabase("")
        let first = PostgresRunStore(location: try database.location())
        let second = PostgresRunStore(location: try database.location())
        _ = try await first.begin(record("first", startedAt: "2026-12-01T00:00:00Z"))
        do {
            _ = try await second.begin(record("second"))
            Issue.record("a second run began while the first held the store")
        } catch {
            guard case .busy(let running) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(running.runId == "first" && running.startedAt == "2026-12-01T00:00:00Z" && running.owner == RunOwner.current)
            #expect(running.description.hasPrefix("\(first.displayName): run first is in progress"))
        }
        try await first.complete(report("first", findings: []))
        await first.release()
        #expect(try await second.begin(record("second")) == [])
        // The second run's process dies: its session ends, the lock with it.
        try database.terminateOtherSessions()
        let third = PostgresRunStore(location: try database.location())
        try await Poll.until("the dead session's lock to be gone") {
            do throws(RunStoreError) {
                return try await third.begin(record("third")) == ["second"]
            } catch {
                guard case .busy = error else { throw error }
                return false
            }
        }
        await third.release()
        await second.release()
        let second_ = try #require(try await third.show(id: "second"))
        #expect(second_.run.status == .aborted && second_.run.error == "interrupted before it finished; marked aborted by run third")
    }

    /// Every discrepancy is written as it was found, whatever its text holds, and read back in report order.
    @Test func discrepanciesRoundTripExactly() async throws {
        let database = try await TestDatabase("")
        let store = PostgresRunStore(location: try database.location())
        let hostile = "tab\there, new\nline, cr\r, back\\slash, \\N, quote ' \" , ünïcödé, \u{202E}"
        let findings = [
            Finding(streamId: "b", kind: .mismatch, field: "released", dbValue: "506", onChainValue: "500", rule: "released", severity: .critical, message: hostile),
            Finding(streamId: "a", kind: .invariantViolation, side: .db, values: ["x": "1\t2", "y": "\\"], rule: "inv", severity: .warning, message: "m"),
            Finding(streamId: hostile, kind: .missingOnChain, rule: "key", severity: .info, message: ""),
        ]
        _ = try await store.begin(record("r"))
        try await store.complete(report("r", findings: findings))
        await store.release()
        let shown = try #require(try await store.show(id: "r"))
        #expect(shown.run.status == .drift && shown.run.chainBlock == 42 && shown.run.streamsChecked == 3 && shown.run.discrepancyCount == 3)
        let expected = findings.map { DiscrepancyRecord(runId: "r", finding: $0) }.sorted { ($0.streamId, $0.kind) < ($1.streamId, $1.kind) }
        #expect(shown.discrepancies == expected)
        #expect(try await store.list(limit: 5).map(\.id) == ["r"])
        #expect(try await store.show(id: "nope") == nil)
    }

    /// The memory between runs in PostgreSQL: the baseline a later run reads, the stored report
    /// a run key answers with, the alert's outcome, and a key used twice.
    @Test func runMemoryKeysAndAlertsRoundTrip() async throws {
        let database = try await TestDatabase("")
        let store = PostgresRunStore(location: try database.location())
        #expect(try await store.baseline(rulesName: "payment-streams") == nil, "no run tables yet: no baseline, nothing created")
        let findings = [
            Finding(streamId: "a", kind: .mismatch, field: "released", dbValue: "506", onChainValue: "500", rule: "released", severity: .critical,
                    message: "m", tracking: .init(fingerprint: "fa", status: .persisting, firstSeenAt: "2026-11-30T00:00:00Z", firstSeenRunId: "r0",
                                                  acknowledged: .init(owner: "ops", reason: "PAY-1, \"quoted\"", expires: "2026-12-31"))),
            Finding(streamId: "b", kind: .missingOnChain, rule: "key", severity: .critical, message: "m",
                    tracking: .init(fingerprint: "fb", status: .new, firstSeenAt: "2026-12-01T00:00:00Z", firstSeenRunId: "r1")),
        ]
        var keyed = record("r1")
        keyed.runKey = "nightly-2026-12-01"
        _ = try await store.begin(keyed)
        var completed = report("r1", findings: findings)
        completed.runKey = "nightly-2026-12-01"
        completed.previousRunId = "r0"
        completed.summary.byStatus = ["new": 1, "persisting": 1, "resolved": 0]
        completed.summary.acknowledged = 1
        completed.persisted = true
        try await store.complete(completed)
        await store.release()
        completed.alert = AlertDelivery(outcome: .delivered, attempts: 1, detail: "HTTP 204")
        try await store.recordAlert(completed)

        let baseline = try #require(try await store.baseline(rulesName: "payment-streams"))
        #expect(baseline.runId == "r1" && baseline.entries.count == 2)
        #expect(baseline.entries["fa"]?.firstSeenRunId == "r0" && baseline.entries["fb"]?.firstSeenRunId == "r1")
        #expect(try await store.baseline(rulesName: "other-rules") == nil)

        let stored = try #require(try await store.storedReport(id: "r1"))
        #expect(stored.discrepancies == findings)
        #expect(stored.summary == completed.summary && stored.runKey == "nightly-2026-12-01" && stored.previousRunId == "r0")
        #expect(stored.alert == completed.alert, "the alert's outcome is part of the stored report")
        #expect(try await store.list(limit: 1).first?.alertStatus == "delivered (HTTP 204, 1 try)")
        #expect(try await store.keyedRun("nightly-2026-12-01")?.id == "r1")
        #expect(try await store.keyedRun("nightly-2026-11-30") == nil)

        var again = record("r2")
        again.runKey = "nightly-2026-12-01"
        await #expect(throws: RunStoreError.self) { _ = try await store.begin(again) }
        do {
            _ = try await store.begin(again)
        } catch {
            guard case .keyUsed(let used) = error else { Issue.record("expected keyUsed, got \(error)"); return }
            #expect(used.id == "r1" && used.status == .drift)
        }
        #expect(try await store.list(limit: 5).map(\.id) == ["r1"], "no second run recorded")

        // A row from before fingerprints were kept gets its fingerprint computed, first seen in its run.
        try database.psql("UPDATE reconciliation_discrepancies SET fingerprint = NULL, first_seen_at = NULL, first_seen_run_id = NULL WHERE stream_id = 'b'")
        let old = try #require(try await store.baseline(rulesName: "payment-streams"))
        let computed = Fingerprint.of(rulesName: "payment-streams", streamId: "b", kind: "missing_on_chain", subject: "key", side: nil)
        #expect(old.entries[computed]?.firstSeenRunId == "r1" && old.entries[computed]?.firstSeenAt == keyed.startedAt)

        // An interrupted keyed run hands its key to the next run with it.
        try database.psql("UPDATE reconciliation_runs SET status = 'aborted' WHERE id = 'r1'")
        #expect(try await store.begin(again) == [])
        await store.release()
        #expect(try database.psql("SELECT id || '=' || coalesce(run_key, '-') FROM reconciliation_runs ORDER BY id") == "r1=-\nr2=nightly-2026-12-01")

        // A store from before migration 3 (after an upgrade, before a run migrates it) still reads.
        try database.psql("""
            ALTER TABLE reconciliation_runs DROP COLUMN run_key, DROP COLUMN alert_status, DROP COLUMN report_summary;
            ALTER TABLE reconciliation_discrepancies DROP COLUMN fingerprint, DROP COLUMN status, DROP COLUMN first_seen_at,
                DROP COLUMN first_seen_run_id, DROP COLUMN acknowledged;
            UPDATE reconciliation_runs SET status = 'drift' WHERE id = 'r1';
            """)
        #expect(try await store.list(limit: 5).map(\.id).sorted() == ["r1", "r2"])
        #expect(try await store.show(id: "r1")?.discrepancies.count == 2)
        #expect(try await store.baseline(rulesName: "payment-streams")?.entries.count == 2)
        #expect(try await store.storedReport(id: "r1")?.discrepancies.count == 2)
        #expect(try await store.keyedRun("nightly-2026-12-01") == nil)
    }

    @Test func aStoreWithNoRunsSaysSo() async throws {
        let database = try await TestDatabase("")
        let store = PostgresRunStore(location: try database.location())
        await #expect(throws: SourceError(.missingTable, at: store.displayName, "no runs recorded yet")) { _ = try await store.list(limit: 5) }
        // The lock and tables live in the URL's schema.
        try database.psql("CREATE SCHEMA recon")
        let other = PostgresRunStore(location: try database.location(query: "schema=recon"))
        _ = try await other.begin(record("s"))
        await other.release()
        #expect(try database.psql("SELECT count(*) FROM recon.reconciliation_runs") == "1")
        await #expect(throws: SourceError(.missingTable, at: store.displayName, "no runs recorded yet")) { _ = try await store.list(limit: 5) }
    }

    /// The connection to the app DB is lost mid-run: the run ends `failed`, saying so, and its
    /// record holds exactly what the report holds: the discrepancies found until then.
    @Test func aConnectionLostMidRunFailsTheRunAndRecordsWhatItFound() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text PRIMARY KEY, sender text, recipient text, total_amount text, released_amount text, status text, created_at text,
                cancelled_at text);
            INSERT INTO streams SELECT 'stream_' || g, '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984',
                '1000', '10', 'active', '2026-11-01T09:00:00Z', NULL FROM generate_series(100, 5099) g;
            """)
        let store = PostgresRunStore(location: try database.location(query: "schema=public"))
        let chain = CuttingChain(database: database)
        let request = RunService.Request(rulesPath: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path,
                                         db: PostgresAppDatabase(location: try database.location()), chain: chain, store: store, batchSize: 100)
        let report = try await RunService().run(request)
        #expect(report.status == .failed)
        #expect(report.error?.contains("the connection to the database was lost") == true || report.error?.contains("terminating connection") == true,
                "\(report.error ?? "")")
        #expect(report.persisted)
        let shown = try #require(try await store.show(id: report.runId))
        #expect(shown.run.status == .failed && shown.run.discrepancyCount == report.discrepancies.count)
        #expect(shown.discrepancies.count == report.discrepancies.count && report.summary.streamsChecked < 5000 && report.summary.streamsChecked >= 100)
    }
}

/// A chain on which no stream exists, that cuts the app DB's connections once the run has read a page.
struct CuttingChain: ChainSource {
    let database: TestDatabase
    var displayName: String { "cutting" }

    func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView { View(database: database) }

    final class View: ChainView {
        let database: TestDatabase
        private let pages = Mutex(0)
        init(database: TestDatabase) { self.database = database }
        var block: UInt64? { 7 }
        var duplicateKeys: [(key: String, count: Int)] { [] }

        func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
            if pages.withLock({ $0 += 1; return $0 }) == 2 {
                _ = try? database.psql("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'FETCH%'
                    """)
            }
            return keys.map { _ in .missing }
        }

        func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] { [] }
    }
}
