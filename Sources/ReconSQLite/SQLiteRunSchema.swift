import GRDB
import GRDBSQLite
import ReconEngine
import ReconSources
import Reconciliation

/// The run tables in SQLite, made and migrated by versioned migrations (GRDB's
/// `DatabaseMigrator`, which records the applied ones in `grdb_migrations`). The first
/// migration creates the tables only when absent, so files written by versions from before
/// migrations are taken over as they are.
enum SQLiteRunSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        // Immediate checks: deferred ones would check every foreign key of the app's own tables.
        migrator.registerMigration("1 run tables", foreignKeyChecks: .immediate) { db in
            for statement in version1 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("2 run owner and lease", foreignKeyChecks: .immediate) { db in
            for column in ["owner", "lease_expires_at"] where try !db.columns(in: "reconciliation_runs").contains(where: { $0.name == column }) {
                try db.execute(sql: "ALTER TABLE reconciliation_runs ADD COLUMN \(column) TEXT")
            }
        }
        migrator.registerMigration("3 run memory, run keys and alerts", foreignKeyChecks: .immediate) { db in
            for statement in version3 { try db.execute(sql: statement) }
        }
        // The part of the keys a run checked (`--shard I/N`, as `I/N`); null for a run of every key.
        migrator.registerMigration("4 shards", foreignKeyChecks: .immediate) { db in
            try db.execute(sql: "ALTER TABLE reconciliation_runs ADD COLUMN shard TEXT")
        }
        migrator.registerMigration("5 pinned block hash", foreignKeyChecks: .immediate) { db in
            try db.execute(sql: "ALTER TABLE reconciliation_runs ADD COLUMN chain_block_hash TEXT")
        }
        return migrator
    }()

    static let version3 = [
        "ALTER TABLE reconciliation_runs ADD COLUMN run_key TEXT",
        "ALTER TABLE reconciliation_runs ADD COLUMN alert_status TEXT",
        "ALTER TABLE reconciliation_runs ADD COLUMN report_summary TEXT",
        "CREATE UNIQUE INDEX reconciliation_runs_key ON reconciliation_runs(run_key) WHERE run_key IS NOT NULL",
        "CREATE INDEX reconciliation_runs_rules ON reconciliation_runs(rules_name, started_at)",
        "ALTER TABLE reconciliation_discrepancies ADD COLUMN fingerprint TEXT",
        "ALTER TABLE reconciliation_discrepancies ADD COLUMN status TEXT",
        "ALTER TABLE reconciliation_discrepancies ADD COLUMN first_seen_at TEXT",
        "ALTER TABLE reconciliation_discrepancies ADD COLUMN first_seen_run_id TEXT",
        "ALTER TABLE reconciliation_discrepancies ADD COLUMN acknowledged TEXT",
    ]

    static let version1 = [
        """
        CREATE TABLE IF NOT EXISTS reconciliation_runs (
            id TEXT PRIMARY KEY NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'clean', 'drift', 'failed', 'aborted')),
            dry_run INTEGER NOT NULL DEFAULT 0,
            rules_name TEXT NOT NULL,
            rules_sha256 TEXT NOT NULL,
            chain_block INTEGER,
            streams_checked INTEGER,
            discrepancy_count INTEGER,
            error TEXT
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS reconciliation_discrepancies (
            run_id TEXT NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
            stream_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            field TEXT,
            side TEXT,
            db_value TEXT,
            on_chain_value TEXT,
            field_values TEXT,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            message TEXT NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS reconciliation_discrepancies_run ON reconciliation_discrepancies(run_id)",
        "CREATE INDEX IF NOT EXISTS reconciliation_runs_started ON reconciliation_runs(started_at)",
    ]
}

/// Run and discrepancy rows to and from SQLite.
enum SQLiteRunRows {
    static func insert(_ run: RunRecord, into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO reconciliation_runs (id, started_at, finished_at, status, dry_run, rules_name, rules_sha256, chain_block,
                streams_checked, discrepancy_count, error, owner, lease_expires_at, run_key, shard)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run.id, run.startedAt, run.finishedAt, run.status.rawValue, run.dryRun, run.rulesName, run.rulesSha256,
                             run.chainBlock, run.streamsChecked, run.discrepancyCount, run.error, run.owner, run.leaseExpiresAt, run.runKey,
                             run.shard?.description])
    }

    static func run(_ row: Row) -> RunRecord {
        RunRecord(id: row["id"], startedAt: row["started_at"], finishedAt: row["finished_at"],
                  status: RunStatus(rawValue: row["status"]) ?? .failed, dryRun: row["dry_run"], rulesName: row["rules_name"],
                  rulesSha256: row["rules_sha256"], chainBlock: row["chain_block"], streamsChecked: row["streams_checked"],
                  discrepancyCount: row["discrepancy_count"], error: row["error"], owner: row["owner"], leaseExpiresAt: row["lease_expires_at"],
                  runKey: row["run_key"], alertStatus: row["alert_status"], shard: shard(row["shard"]))
    }

    /// A stored `I/N`; nil for a run of every key (or a row from before shards).
    static func shard(_ text: String?) -> Shard? {
        text.flatMap { try? Shard(parsing: $0) }
    }

    /// Whether the run tables have migration 4's `shard` column (a store a dry run or `runs` reads may not).
    static func hasShards(_ db: Database) throws -> Bool {
        try db.columns(in: "reconciliation_runs").contains { $0.name == "shard" }
    }

    static func discrepancy(_ row: Row) -> DiscrepancyRecord {
        DiscrepancyRecord(runId: row["run_id"], streamId: row["stream_id"], kind: row["kind"], field: row["field"], side: row["side"],
                          dbValue: row["db_value"], onChainValue: row["on_chain_value"], fieldValues: row["field_values"],
                          rule: row["rule"], severity: row["severity"], message: row["message"], fingerprint: row["fingerprint"],
                          status: row["status"], firstSeenAt: row["first_seen_at"], firstSeenRunId: row["first_seen_run_id"],
                          acknowledged: row["acknowledged"])
    }

    /// The baseline entries of run `runId`: only the columns an entry needs, read by position,
    /// and one copy of each text that repeats from row to row (the kind, rule, first-seen time
    /// and run), since the baseline is held for the whole run. A store not migrated yet (read by
    /// a dry run) has no memory columns: its rows get theirs as `RunBaseline.Entry` says.
    static func baselineEntries(_ db: Database, runId: String, rulesName: String, runStartedAt: String) throws -> [RunBaseline.Entry] {
        let memory = try db.columns(in: "reconciliation_discrepancies").contains { $0.name == "fingerprint" }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT stream_id, kind, field, rule, side, severity, \(memory ? "fingerprint, first_seen_at, first_seen_run_id" : "NULL, NULL, NULL")
            FROM reconciliation_discrepancies WHERE run_id = ?
            """, arguments: [runId])
        var shared = RunBaseline.SharedTexts()
        var entries: [RunBaseline.Entry] = []
        while let row = try rows.next() {
            entries.append(shared.entry(stored: row[6], streamId: row[0], kind: row[1], field: row[2], rule: row[3], side: row[4], severity: row[5],
                                        firstSeenAt: row[7], firstSeenRunId: row[8], runId: runId, rulesName: rulesName, runStartedAt: runStartedAt))
        }
        return entries
    }

    /// Every discrepancy of a run, through one prepared statement bound through the C API:
    /// a run can have hundreds of thousands, and building `StatementArguments` per row was most of the time.
    static func insert(_ findings: [Finding], runId: String, into db: Database) throws {
        let columns = DiscrepancyRecord.columns
        let insert = try db.makeStatement(sql: """
            INSERT INTO reconciliation_discrepancies (\(columns.joined(separator: ", "))) \
            VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
            """)
        let statement = insert.sqliteStatement
        defer { sqlite3_clear_bindings(statement) }
        for finding in findings {
            let row = DiscrepancyRecord(runId: runId, finding: finding)
            for (index, text) in row.texts.enumerated() {
                bind(statement, Int32(index + 1), text)
            }
            let code = sqlite3_step(statement)
            sqlite3_reset(statement)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
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
