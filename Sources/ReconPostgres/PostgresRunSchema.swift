import Foundation
import NIOCore
import PostgresNIO
import ReconEngine
import ReconSources
import Reconciliation

/// The run tables in PostgreSQL: the same columns as in SQLite, made and migrated by versioned
/// migrations recorded in `reconciliation_schema_migrations`, each applied in a transaction of
/// its own (the caller holds the store's lock, so no two processes migrate at once).
enum PostgresRunSchema {
    static let migrations: [(version: Int, name: String, statements: [String])] = [
        (1, "run tables", [
            """
            CREATE TABLE IF NOT EXISTS reconciliation_runs (
                id text PRIMARY KEY,
                started_at text NOT NULL,
                finished_at text,
                status text NOT NULL CHECK (status IN ('running', 'clean', 'drift', 'failed', 'aborted')),
                dry_run boolean NOT NULL DEFAULT false,
                rules_name text NOT NULL,
                rules_sha256 text NOT NULL,
                chain_block bigint,
                streams_checked bigint,
                discrepancy_count bigint,
                error text
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS reconciliation_discrepancies (
                run_id text NOT NULL REFERENCES reconciliation_runs(id) ON DELETE CASCADE,
                stream_id text NOT NULL,
                kind text NOT NULL,
                field text,
                side text,
                db_value text,
                on_chain_value text,
                field_values text,
                rule text NOT NULL,
                severity text NOT NULL,
                message text NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS reconciliation_discrepancies_run ON reconciliation_discrepancies (run_id)",
            "CREATE INDEX IF NOT EXISTS reconciliation_runs_started ON reconciliation_runs (started_at)",
        ]),
        (2, "run owner and lease", [
            "ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS owner text",
            "ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS lease_expires_at text",
        ]),
        (3, "run memory, run keys and alerts", [
            "ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS run_key text",
            "ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS alert_status text",
            "ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS report_summary text",
            "CREATE UNIQUE INDEX IF NOT EXISTS reconciliation_runs_key ON reconciliation_runs (run_key) WHERE run_key IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS reconciliation_runs_rules ON reconciliation_runs (rules_name, started_at)",
            "ALTER TABLE reconciliation_discrepancies ADD COLUMN IF NOT EXISTS fingerprint text",
            "ALTER TABLE reconciliation_discrepancies ADD COLUMN IF NOT EXISTS status text",
            "ALTER TABLE reconciliation_discrepancies ADD COLUMN IF NOT EXISTS first_seen_at text",
            "ALTER TABLE reconciliation_discrepancies ADD COLUMN IF NOT EXISTS first_seen_run_id text",
            "ALTER TABLE reconciliation_discrepancies ADD COLUMN IF NOT EXISTS acknowledged text",
        ]),
        // The part of the keys a run checked (`--shard I/N`, as `I/N`); null for a run of every key.
        (4, "shards", [
            "ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS shard text",
        ]),
        (5, "pinned block hash", [
            "ALTER TABLE reconciliation_runs ADD COLUMN IF NOT EXISTS chain_block_hash text",
        ]),
    ]

    /// Applies the migrations not applied yet, in order, holding the advisory lock `lockKey` while
    /// it does: shard runs share the store, and two of them must not migrate at once. Once they
    /// are all applied it changes nothing, so a role that may not create tables can record runs
    /// from then on.
    static func migrate(_ connection: PostgresConnection, lockKey: Int64) async throws {
        try await PostgresSession.execute(connection, "SELECT pg_advisory_lock(\(lockKey))")
        do {
            try await migrate(connection)
        } catch {
            if !connection.isClosed { try? await PostgresSession.execute(connection, "SELECT pg_advisory_unlock(\(lockKey))") }
            throw error
        }
        try await PostgresSession.execute(connection, "SELECT pg_advisory_unlock(\(lockKey))")
    }

    private static func migrate(_ connection: PostgresConnection) async throws {
        let exists = try await PostgresTableCheck.rows(connection, "SELECT to_regclass('reconciliation_schema_migrations') IS NOT NULL") {
            try $0.decode(Bool.self)
        }
        if exists.first != true {
            try await PostgresSession.execute(connection, """
                CREATE TABLE reconciliation_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)
                """)
        }
        let applied = Set(try await PostgresTableCheck.rows(connection, "SELECT version FROM reconciliation_schema_migrations") {
            try $0.decode(Int32.self)
        })
        if let newest = applied.max(), newest > Int32(migrations.last?.version ?? 0) {
            throw SourceError(.unsupported, at: "reconciliation_schema_migrations",
                              "the run tables were migrated by a newer streamrecon (version \(newest)); this one knows versions up to \(migrations.last?.version ?? 0)")
        }
        for migration in migrations where !applied.contains(Int32(migration.version)) {
            try await transaction(connection) {
                for statement in migration.statements {
                    try await PostgresSession.execute(connection, PostgresQuery(unsafeSQL: statement))
                }
                try await PostgresSession.execute(connection, """
                    INSERT INTO reconciliation_schema_migrations (version, name, applied_at)
                    VALUES (\(Int32(migration.version)), \(migration.name), \(RunReport.timestamp(Date())))
                    """)
            }
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    static func transaction<T>(_ connection: PostgresConnection, _ body: () async throws -> T) async throws -> T {
        try await PostgresSession.execute(connection, "BEGIN")
        do {
            let result = try await body()
            try await PostgresSession.execute(connection, "COMMIT")
            return result
        } catch {
            if !connection.isClosed { try? await PostgresSession.execute(connection, "ROLLBACK") }
            throw error
        }
    }

    static let columns = DiscrepancyRecord.columns

    /// Every discrepancy of a run through `COPY … FROM STDIN` (text format), in chunks of about 1 MiB.
    static func copy(_ findings: [Finding], runId: String, into connection: PostgresConnection) async throws {
        guard !findings.isEmpty else { return }
        try await PostgresSession.bounded(connection, timeout: .seconds(300)) {
            try await copyRows(findings, runId: runId, into: connection)
        }
    }

    private static func copyRows(_ findings: [Finding], runId: String, into connection: PostgresConnection) async throws {
        try await connection.copyFrom(table: "reconciliation_discrepancies", columns: columns, logger: PostgresSession.quiet) { writer in
            var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
            for finding in findings {
                let row = DiscrepancyRecord(runId: runId, finding: finding)
                for (index, value) in row.texts.enumerated() {
                    if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                    appendCopyText(value, to: &buffer)
                }
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes >= 1 << 20 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }

    /// COPY's text format: `\N` for NULL; backslash, tab, newline and carriage return escaped;
    /// a NUL, which no PostgreSQL text can hold, becomes U+FFFD.
    static func appendCopyText(_ text: String?, to buffer: inout ByteBuffer) {
        guard let text else {
            buffer.writeString("\\N")
            return
        }
        // Most texts need no escape: written whole.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == 0 }) {
            buffer.writeString(text)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeString("\\t")
            case UInt8(ascii: "\n"): buffer.writeString("\\n")
            case UInt8(ascii: "\r"): buffer.writeString("\\r")
            case 0: buffer.writeString("\u{FFFD}")
            default: buffer.writeInteger(byte)
            }
        }
    }

    /// The run rows' columns; a store not migrated to version 3 yet (read by `runs` or a dry run
    /// after an upgrade) has no `run_key` or `alert_status`, and one not migrated to version 4 no
    /// `shard`, read as nulls.
    static func selectRuns(migrated: Bool = true, sharded: Bool = true) -> String {
        """
        SELECT id, started_at, finished_at, status, dry_run, rules_name, rules_sha256, chain_block, streams_checked, discrepancy_count,
            error, owner, lease_expires_at, \(migrated ? "run_key, alert_status" : "NULL::text, NULL::text"), \(sharded ? "shard" : "NULL::text")
        FROM reconciliation_runs
        """
    }

    /// The run started with run key `key`, if any (on a store migrated to version 3; `sharded`: to version 4).
    static func run(keyed key: String, on connection: PostgresConnection, sharded: Bool = true) async throws -> RunRecord? {
        try await PostgresTableCheck.rows(connection, "\(unescaped: selectRuns(sharded: sharded)) WHERE run_key = \(key)", run).first
    }

    /// Whether the run tables have the columns of migration 3 (a run's memory, keys and alerts).
    /// Whether the runs table has `column` (a store not migrated yet, read by a dry run, may not).
    static func runsHave(_ column: String, _ connection: PostgresConnection) async throws -> Bool {
        try await PostgresTableCheck.rows(connection, """
            SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()
                AND table_name = 'reconciliation_runs' AND column_name = \(column)
            """) { try $0.decode(Int64.self) }.first ?? 0 > 0
    }

    static func isMigrated(_ connection: PostgresConnection) async throws -> Bool {
        try await PostgresTableCheck.rows(connection, """
            SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()
                AND table_name = 'reconciliation_discrepancies' AND column_name = 'fingerprint'
            """) { try $0.decode(Int64.self) }.first ?? 0 > 0
    }

    static func run(_ row: PostgresRow) throws -> RunRecord {
        let (id, startedAt, finishedAt, status, dryRun, rulesName, rulesSha256, chainBlock, streamsChecked, discrepancyCount, error, owner, lease,
             runKey, alertStatus, shard) =
            try row.decode((String, String, String?, String, Bool, String, String, Int64?, Int64?, Int64?, String?, String?, String?, String?,
                            String?, String?).self)
        return RunRecord(id: id, startedAt: startedAt, finishedAt: finishedAt, status: RunStatus(rawValue: status) ?? .failed, dryRun: dryRun,
                         rulesName: rulesName, rulesSha256: rulesSha256, chainBlock: chainBlock, streamsChecked: streamsChecked.map { Int($0) },
                         discrepancyCount: discrepancyCount.map { Int($0) }, error: error, owner: owner, leaseExpiresAt: lease,
                         runKey: runKey, alertStatus: alertStatus, shard: shard.flatMap { try? Shard(parsing: $0) })
    }

    /// The discrepancies of run `runId` as a baseline needs them: only the columns it reads (not
    /// the messages and values), each repeated text kept once.
    static func baselineEntries(_ connection: PostgresConnection, runId: String, rulesName: String, runStartedAt: String,
                                migrated: Bool) async throws -> [RunBaseline.Entry] {
        let memory = migrated ? "fingerprint, first_seen_at, first_seen_run_id" : "NULL::text, NULL::text, NULL::text"
        let rows = try await PostgresSession.rows(connection, """
            SELECT stream_id, kind, field, rule, side, severity, \(unescaped: memory) FROM reconciliation_discrepancies WHERE run_id = \(runId)
            """)
        var shared = RunBaseline.SharedTexts()
        var entries: [RunBaseline.Entry] = []
        entries.reserveCapacity(rows.count)
        for row in rows {
            let (streamId, kind, field, rule, side, severity, fingerprint, firstSeenAt, firstSeenRunId) =
                try row.decode((String, String, String?, String, String?, String, String?, String?, String?).self)
            entries.append(shared.entry(stored: fingerprint, streamId: streamId, kind: kind, field: field, rule: rule, side: side, severity: severity,
                                        firstSeenAt: firstSeenAt, firstSeenRunId: firstSeenRunId, runId: runId, rulesName: rulesName,
                                        runStartedAt: runStartedAt))
        }
        return entries
    }

    /// The discrepancy rows' columns; a store not migrated yet has no memory columns, read as nulls.
    static func selectDiscrepancies(migrated: Bool = true) -> String {
        let columns = migrated ? columns : columns.prefix(11) + Array(repeating: "NULL::text", count: columns.count - 11)
        return "SELECT \(columns.joined(separator: ", ")) FROM reconciliation_discrepancies"
    }

    static func discrepancy(_ row: PostgresRow) throws -> DiscrepancyRecord {
        let (runId, streamId, kind, field, side, dbValue, onChainValue, fieldValues, rule, severity, message, fingerprint, status, firstSeenAt,
             firstSeenRunId, acknowledged) =
            try row.decode((String, String, String, String?, String?, String?, String?, String?, String, String, String, String?, String?,
                            String?, String?, String?).self)
        return DiscrepancyRecord(runId: runId, streamId: streamId, kind: kind, field: field, side: side, dbValue: dbValue,
                                 onChainValue: onChainValue, fieldValues: fieldValues, rule: rule, severity: severity, message: message,
                                 fingerprint: fingerprint, status: status, firstSeenAt: firstSeenAt, firstSeenRunId: firstSeenRunId,
                                 acknowledged: acknowledged)
    }
}
