import Foundation
import GRDB
import GRDBSQLite
import ReconEngine
import ReconSources
import Reconciliation
import Synchronization

/// Run records in an SQLite file, by default the app database itself. The run tables are made
/// and migrated by `SQLiteRunSchema`'s versioned migrations. One run at a time: `begin` refuses
/// while another run's lease holds (SQLite's write lock makes the check and the claim one step);
/// a shard run only while a run of every key or one of the same shard holds it.
public final class SQLiteRunStore: RunStore {
    public let path: String
    public let lease: Duration
    private let options: RunStoreOptions
    /// The writer, opened by the first write.
    private let writer = Mutex<DatabaseQueue?>(nil)

    /// Opens nothing yet: the file is opened (and created, with `options.createIfMissing`) by the first use.
    public init(path: String, options: RunStoreOptions = RunStoreOptions()) {
        self.path = path
        self.options = options
        lease = options.lease
    }

    public var displayName: String { path }

    private func queue() throws(SourceError) -> DatabaseQueue {
        if let queue = writer.withLock({ $0 }) { return queue }
        if options.createIfMissing, !FileManager.default.fileExists(atPath: path) {
            do {
                var configuration = Configuration()
                configuration.label = "streamrecon.run-store"
                _ = try DatabaseQueue(path: path, configuration: configuration)
            } catch {
                throw SQLiteErrorText.describe(error, path: path)
            }
        }
        let opened = try AppDatabaseFile.open(path: path, readonly: false, label: "streamrecon.run-store", busyTimeout: options.busyTimeout)
        return writer.withLock { current in
            if let current { return current }
            current = opened
            return opened
        }
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(SourceError) -> T {
        do {
            return try await queue().write(body)
        } catch let error as SourceError {
            throw error
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
    }

    /// Migrates the run tables, marks runs whose lease ran out (or that have none: rows from a
    /// version without leases) `aborted`, and records this run as `running` with its lease,
    /// unless a run whose lease holds is still running (runs that are gone are marked all the
    /// same). Only the lease says a run is alive: `host:pid` is not unique (a restarted container
    /// is PID 1 again under the same host name).
    public func begin(_ run: RunRecord) async throws(RunStoreError) -> [String] {
        let record = claimed(run)
        let now = RunReport.timestamp(Date())
        let path = path
        let outcome: Result<[String], RunStoreError>
        do {
            let queue = try queue()
            do {
                try SQLiteRunSchema.migrator.migrate(queue)
            } catch {
                // Another process migrated the same fresh file at the same moment: its migrations
                // are applied now, and a second pass sees them.
                try SQLiteRunSchema.migrator.migrate(queue)
            }
            outcome = try await queue.write { db -> Result<[String], RunStoreError> in
                let gone = try String.fetchAll(db, sql: """
                    SELECT id FROM reconciliation_runs
                    WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= ?) ORDER BY started_at
                    """, arguments: [now])
                for id in gone {
                    try db.execute(sql: """
                        UPDATE reconciliation_runs SET status = 'aborted', finished_at = ?,
                            error = 'interrupted before it finished; marked aborted by run ' || ? WHERE id = ?
                        """, arguments: [record.startedAt, record.id, id])
                }
                // The run with this key, if any (read after the runs that are gone were marked aborted).
                let keyed = try record.runKey.flatMap { key in
                    try Row.fetchOne(db, sql: "SELECT * FROM reconciliation_runs WHERE run_key = ?", arguments: [key]).map(SQLiteRunRows.run)
                }
                // A finished run with the key answers first, whatever else runs now.
                if let keyed, keyed.status != .running, keyed.status != .aborted { return .failure(.keyUsed(keyed)) }
                // Any live run holds the store against a run of every key; a shard run, only a live
                // run of every key or of the same shard.
                let shard = record.shard?.description
                if let live = try Row.fetchOne(db, sql: """
                    SELECT id, started_at, owner, shard FROM reconciliation_runs WHERE status = 'running' AND lease_expires_at > ?
                        AND (? IS NULL OR shard IS NULL OR shard = ?)
                    ORDER BY started_at DESC LIMIT 1
                    """, arguments: [now, shard, shard]) {
                    return .failure(.busy(RunInProgress(runId: live["id"], startedAt: live["started_at"], owner: live["owner"], store: path,
                                                        shard: SQLiteRunRows.shard(live["shard"]))))
                }
                if let used = keyed {
                    guard used.status == .aborted else { return .failure(.keyUsed(used)) }
                    // An interrupted run did not finish: it lets go of its key, and this run takes it.
                    try db.execute(sql: "UPDATE reconciliation_runs SET run_key = NULL, error = ? WHERE id = ?",
                                   arguments: [RunKey.handedOver(used, to: record.id), used.id])
                }
                try SQLiteRunRows.insert(record, into: db)
                return .success(gone)
            }
        } catch let error as SourceError {
            throw .unavailable(error)
        } catch {
            throw .unavailable(SQLiteErrorText.describe(error, path: path))
        }
        switch outcome {
        case .success(let gone): return gone
        case .failure(let error): throw error
        }
    }

    public func renew(runId: String) async throws(SourceError) -> Bool {
        let until = leaseEnd()
        return try await write { db in
            try db.execute(sql: "UPDATE reconciliation_runs SET lease_expires_at = ? WHERE id = ? AND status = 'running'",
                           arguments: [until, runId])
            return db.changesCount > 0
        }
    }

    /// While the database stays locked (the app holds a long write) it tries again, with backoff,
    /// for up to `patience`: a run row must not stay `running` for want of one write.
    public func fail(runId: String, finishedAt: String, error: String, patience: Duration) async throws(SourceError) {
        try await RetryUntil.done(within: patience) { () throws(SourceError) in
            try await write { db in
                try db.execute(sql: "UPDATE reconciliation_runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
                               arguments: [finishedAt, error, runId])
            }
        }
    }

    public func abort(runId: String, finishedAt: String, reason: String) async throws(SourceError) -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE reconciliation_runs SET status = 'aborted', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
                           arguments: [finishedAt, reason, runId])
            return db.changesCount > 0
        }
    }

    public func complete(_ report: RunReport) async throws(SourceError) {
        let path = path
        try await write { db in
            try db.execute(sql: """
                UPDATE reconciliation_runs SET finished_at = ?, status = ?, chain_block = ?, chain_block_hash = ?, streams_checked = ?,
                    discrepancy_count = ?, error = ?, report_summary = ? WHERE id = ? AND status = 'running'
                """, arguments: [report.finishedAt, report.status.rawValue, report.source.chainBlock.map { Int64($0) }, report.source.chainBlockHash,
                                 report.summary.streamsChecked, report.summary.discrepancies, report.error, report.envelopeJSON, report.runId])
            // A run marked aborted meanwhile (a server shut down past its grace) keeps that status.
            guard db.changesCount > 0 else {
                throw SourceError(.superseded, at: path, "run \(report.runId) is no longer running (it was marked aborted); its outcome was not recorded")
            }
            try SQLiteRunRows.insert(report.discrepancies, runId: report.runId, into: db)
        }
    }

    public func recordAlert(_ report: RunReport) async throws(SourceError) {
        let status = report.alert?.description, envelope = report.persisted ? report.envelopeJSON : nil
        try await write { db in
            try db.execute(sql: "UPDATE reconciliation_runs SET alert_status = ?, report_summary = coalesce(?, report_summary) WHERE id = ?",
                           arguments: [status, envelope, report.runId])
        }
    }

    public func baseline(rulesName: String) async throws(SourceError) -> RunBaseline? {
        try await baseline(rulesName: rulesName, shard: nil)
    }

    /// The previous completed run of the same rules over the same keys: of the same shard, or of
    /// every key. A store from before shards holds runs of every key only.
    public func baseline(rulesName: String, shard: Shard?) async throws(SourceError) -> RunBaseline? {
        do {
            return try await read { db in
                // A file not migrated yet (read by a dry run) has no block hashes, nor shards.
                let hash = try db.columns(in: "reconciliation_runs").contains { $0.name == "chain_block_hash" } ? "chain_block_hash" : "NULL"
                let sharded = try SQLiteRunRows.hasShards(db)
                if shard != nil, !sharded { return nil }
                guard let run = try Row.fetchOne(db, sql: """
                    SELECT id, started_at, rules_sha256, chain_block, \(hash) AS chain_block_hash FROM reconciliation_runs
                    WHERE rules_name = ? AND status IN ('clean', 'drift') AND dry_run = 0 \(sharded ? "AND shard IS ?" : "")
                    ORDER BY started_at DESC, id DESC LIMIT 1
                    """, arguments: sharded ? [rulesName, shard?.description] : [rulesName]) else { return nil }
                let (id, startedAt): (String, String) = (run["id"], run["started_at"])
                var baseline = RunBaseline(runId: id, startedAt: startedAt,
                                           entries: try SQLiteRunRows.baselineEntries(db, runId: id, rulesName: rulesName, runStartedAt: startedAt))
                baseline.rulesSha256 = run["rules_sha256"]
                baseline.chainBlock = (run["chain_block"] as Int64?).flatMap { UInt64(exactly: $0) }
                baseline.chainBlockHash = run["chain_block_hash"]
                return baseline
            }
        } catch where error.kind == .missingTable || error.kind == .notFound {
            return nil
        }
    }

    public func keyedRun(_ runKey: String) async throws(SourceError) -> RunRecord? {
        do {
            return try await read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM reconciliation_runs WHERE run_key = ?", arguments: [runKey]).map(SQLiteRunRows.run)
            }
        } catch where error.kind == .missingTable {
            return nil
        }
    }

    public func storedReport(id: String) async throws(SourceError) -> RunReport? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM reconciliation_runs WHERE id = ?", arguments: [id]) else { return nil }
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM reconciliation_discrepancies WHERE run_id = ?", arguments: [id])
            return RunReport.stored(run: SQLiteRunRows.run(row), envelope: row["report_summary"], rows: rows.map(SQLiteRunRows.discrepancy))
        }
    }

    /// Reads through a read-only connection of its own, so reading the history never creates or migrates anything.
    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(SourceError) -> T {
        let path = path
        do {
            // Leaving no -wal or -shm behind: a dry run reads the previous run through here.
            let queue = try AppDatabaseFile.open(path: path, readonly: true, label: "streamrecon.run-history", leaveNoTrace: true)
            return try await queue.read { db in
                guard try db.tableExists("reconciliation_runs") else { throw SourceError(.missingTable, at: path, "no runs recorded yet") }
                return try body(db)
            }
        } catch let error as SourceError {
            throw error
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
    }

    public func shardRuns(runKeyPrefix prefix: String) async throws(SourceError) -> [RunRecord] {
        let pattern = prefix + "/shard-"
        return try await read { db in
            guard try SQLiteRunRows.hasShards(db) else { return [] }
            // `instr(…) = 1`: starts with the pattern, whatever LIKE's wildcards it holds.
            return try Row.fetchAll(db, sql: """
                SELECT * FROM reconciliation_runs WHERE shard IS NOT NULL AND instr(run_key, ?) = 1 ORDER BY started_at DESC, id DESC
                """, arguments: [pattern])
                .map(SQLiteRunRows.run).filter { run in run.runKey.flatMap { RunKey.shard(of: $0, prefix: prefix) } != nil }
        }
    }

    public func list(limit: Int) async throws(SourceError) -> [RunRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reconciliation_runs ORDER BY started_at DESC, id DESC LIMIT ?", arguments: [limit])
                .map(SQLiteRunRows.run)
        }
    }

    public func show(id: String) async throws(SourceError) -> (run: RunRecord, discrepancies: [DiscrepancyRecord])? {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM reconciliation_runs WHERE id = ?", arguments: [id]) else { return nil }
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM reconciliation_discrepancies WHERE run_id = ? ORDER BY stream_id, kind, field, side, rule
                """, arguments: [id])
            return (SQLiteRunRows.run(row), rows.map(SQLiteRunRows.discrepancy))
        }
    }
}
