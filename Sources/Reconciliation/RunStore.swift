import Foundation
import GRDB
import GRDBSQLite
import ReconEngine
import ReconSources

/// Run records in the app database (docs/operations.md, "Reading the run tables"): a `running` row when a
/// run starts, kept alive by a lease the run renews, and its completion with every discrepancy
/// in one transaction.
public struct RunStore: Sendable {
    private let queue: DatabaseQueue
    public let path: String
    /// How long a `running` row stays claimed without a renewal: a run renews it every third of
    /// this, and a later run marks a row whose lease ran out `aborted`.
    public let lease: Duration

    /// Opens the app database for writing run records; it must exist. `busyTimeout` is how long
    /// one write waits for a lock the app holds.
    public init(path: String, busyTimeout: Duration = .seconds(10), lease: Duration = .seconds(60)) throws(SourceError) {
        queue = try AppDatabaseFile.open(path: path, readonly: false, label: "streamrecon.run-store", busyTimeout: busyTimeout)
        self.path = path
        self.lease = lease
    }

    /// `now + lease`, as the run tables write times.
    private func leaseEnd(from now: Date = Date()) -> String {
        RunReport.timestamp(now.addingTimeInterval(lease / .seconds(1)))
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(SourceError) -> T {
        do {
            return try await queue.write(body)
        } catch let error as SourceError {
            throw error
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
    }

    /// Creates the run tables if absent, marks runs left `running` by a run that is gone as
    /// `aborted`, and records this run as `running`, with its lease. Returns the ids of the runs it
    /// marked aborted. A run is gone when its lease ran out; a run whose lease holds is left
    /// alone, whoever owns it.
    @discardableResult
    public func begin(_ run: RunRecord) async throws(SourceError) -> [String] {
        var run = run
        run.owner = run.owner ?? RunOwner.current
        run.leaseExpiresAt = leaseEnd()
        let record = run
        let now = RunReport.timestamp(Date())
        return try await write { db in
            try RunSchema.create(db)
            // Gone: the lease ran out, or there is none (a row from a version without leases). Only
            // the lease says a run is alive: `host:pid` is not unique (a restarted container is PID 1
            // again under the same host name; two containers sharing a host name have separate pid
            // spaces), so neither a live nor a missing process with the owner's pid proves anything.
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
            try record.insert(db)
            return gone
        }
    }

    /// Renews a running run's lease. Returns false when the row is no longer `running` (a later
    /// run took it for gone and marked it aborted).
    @discardableResult
    public func renew(runId: String) async throws(SourceError) -> Bool {
        let until = leaseEnd()
        return try await write { db in
            try db.execute(sql: "UPDATE reconciliation_runs SET lease_expires_at = ? WHERE id = ? AND status = 'running'",
                           arguments: [until, runId])
            return db.changesCount > 0
        }
    }

    /// Marks a run failed without its discrepancies: the fallback when completing it failed.
    /// A run that is no longer `running` (another process marked it aborted) is left as it is.
    /// While the database stays locked (the app holds a long write) it tries again, with
    /// backoff, for up to `patience`: a run row must not stay `running` for want of one write.
    public func fail(runId: String, finishedAt: String, error: String, patience: Duration = .zero) async throws(SourceError) {
        let deadline = ContinuousClock.now + patience
        var pause = Duration.milliseconds(200)
        while true {
            do {
                return try await write { db in
                    try db.execute(sql: "UPDATE reconciliation_runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
                                   arguments: [finishedAt, error, runId])
                }
            } catch {
                guard ContinuousClock.now + pause < deadline else { throw error }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    /// Marks a run `aborted` if it is still `running`: for a run that was stopped and could not
    /// complete its own record. Returns whether the row was changed.
    @discardableResult
    public func abort(runId: String, finishedAt: String, reason: String) async throws(SourceError) -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE reconciliation_runs SET status = 'aborted', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
                           arguments: [finishedAt, reason, runId])
            return db.changesCount > 0
        }
    }

    /// Completes a run: its outcome and every discrepancy, in one transaction.
    public func complete(_ report: RunReport) async throws(SourceError) {
        try await write { db in
            try db.execute(sql: """
                UPDATE reconciliation_runs SET finished_at = ?, status = ?, chain_block = ?, streams_checked = ?,
                    discrepancy_count = ?, error = ? WHERE id = ? AND status = 'running'
                """, arguments: [report.finishedAt, report.status.rawValue, report.source.chainBlock.map { Int64($0) },
                                 report.summary.streamsChecked, report.summary.discrepancies, report.error, report.runId])
            // A run marked aborted meanwhile (a server shut down past its grace) keeps that status.
            guard db.changesCount > 0 else {
                throw SourceError(.superseded, at: path, "run \(report.runId) is no longer running (it was marked aborted); its outcome was not recorded")
            }
            // One prepared statement for every row: a run can have hundreds of thousands.
            let insert = try db.makeStatement(sql: """
                INSERT INTO reconciliation_discrepancies (run_id, stream_id, kind, field, side, db_value, on_chain_value,
                    field_values, rule, severity, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            // Bound through the C API: building `StatementArguments` for every row was most of the time.
            let statement = insert.sqliteStatement
            for finding in report.discrepancies {
                let row = DiscrepancyRecord(runId: report.runId, finding: finding)
                for (index, text) in [row.runId, row.streamId, row.kind, row.field, row.side, row.dbValue, row.onChainValue,
                                      row.fieldValues, row.rule, row.severity, row.message].enumerated() {
                    Self.bind(statement, Int32(index + 1), text)
                }
                let code = sqlite3_step(statement)
                sqlite3_reset(statement)
                guard code == SQLITE_DONE else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
            }
            sqlite3_clear_bindings(statement)
        }
    }

    /// Binds text (copied by SQLite) or NULL.
    private static func bind(_ statement: SQLiteStatement, _ index: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(statement, index)
            return
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        text.withUTF8 { utf8 in
            // An empty buffer may have no address, and a null pointer would bind NULL.
            _ = utf8.isEmpty ? sqlite3_bind_text(statement, index, "", 0, transient)
                : sqlite3_bind_text(statement, index, utf8.baseAddress, Int32(utf8.count), transient)
        }
    }
}

/// Reads run records back, read-only.
public struct RunHistory: Sendable {
    private let queue: DatabaseQueue
    public let path: String

    public init(path: String) throws(SourceError) {
        queue = try AppDatabaseFile.open(path: path, readonly: true, label: "streamrecon.run-history")
        self.path = path
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(SourceError) -> T {
        do {
            return try await queue.read { db in
                guard try db.tableExists(RunRecord.databaseTableName) else { throw SourceError(.missingTable, at: "", "no runs recorded yet") }
                return try body(db)
            }
        } catch let error as SourceError {
            throw SourceError(error.kind, at: path, error.message)
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
    }

    /// The most recent runs first.
    public func list(limit: Int = 20) async throws(SourceError) -> [RunRecord] {
        try await read { db in
            try RunRecord.order(RunRecord.Columns.startedAt.desc, RunRecord.Columns.id.desc).limit(limit).fetchAll(db)
        }
    }

    public func latest() async throws(SourceError) -> RunRecord? {
        try await list(limit: 1).first
    }

    /// One run and its discrepancies in report order; nil when no run has that id.
    public func show(id: String) async throws(SourceError) -> (run: RunRecord, discrepancies: [DiscrepancyRecord])? {
        try await read { db in
            guard let run = try RunRecord.fetchOne(db, key: id) else { return nil }
            let rows = try DiscrepancyRecord.fetchAll(db, sql: """
                SELECT * FROM reconciliation_discrepancies WHERE run_id = ? ORDER BY stream_id, kind, field, side, rule
                """, arguments: [id])
            return (run, rows)
        }
    }
}

/// Who runs a reconciliation: `host:pid`, for the operator.
enum RunOwner {
    static var current: String { "\(ProcessInfo.processInfo.hostName):\(getpid())" }
}
