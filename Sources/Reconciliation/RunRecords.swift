import Foundation
import GRDB
import ReconEngine

/// A row of `reconciliation_runs` (docs/operations.md, "Reading the run tables").
public struct RunRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "reconciliation_runs"

    public enum Columns {
        static let id = Column(CodingKeys.id)
        static let startedAt = Column(CodingKeys.startedAt)
        static let status = Column(CodingKeys.status)
    }

    public var id: String
    public var startedAt: String
    public var finishedAt: String?
    public var status: RunStatus
    public var dryRun: Bool
    public var rulesName: String
    public var rulesSha256: String
    public var chainBlock: Int64?
    public var streamsChecked: Int?
    public var discrepancyCount: Int?
    public var error: String?
    /// `host:pid` of the process running it.
    public var owner: String?
    /// Until when a `running` row is claimed; the run renews it while it runs (see `RunStore.lease`).
    public var leaseExpiresAt: String?

    public init(
        id: String, startedAt: String, finishedAt: String? = nil, status: RunStatus, dryRun: Bool, rulesName: String, rulesSha256: String,
        chainBlock: Int64? = nil, streamsChecked: Int? = nil, discrepancyCount: Int? = nil, error: String? = nil, owner: String? = nil,
        leaseExpiresAt: String? = nil
    ) {
        self.owner = owner
        self.leaseExpiresAt = leaseExpiresAt
        self.id = id
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.dryRun = dryRun
        self.rulesName = rulesName
        self.rulesSha256 = rulesSha256
        self.chainBlock = chainBlock
        self.streamsChecked = streamsChecked
        self.discrepancyCount = discrepancyCount
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case id, status, error, owner
        case startedAt = "started_at", finishedAt = "finished_at", dryRun = "dry_run", rulesName = "rules_name"
        case rulesSha256 = "rules_sha256", chainBlock = "chain_block", streamsChecked = "streams_checked"
        case discrepancyCount = "discrepancy_count", leaseExpiresAt = "lease_expires_at"
    }
}

extension RunStatus: DatabaseValueConvertible {}

/// A row of `reconciliation_discrepancies`: one finding of one run.
public struct DiscrepancyRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "reconciliation_discrepancies"

    public var runId: String
    public var streamId: String
    public var kind: String
    public var field: String?
    public var side: String?
    public var dbValue: String?
    public var onChainValue: String?
    /// For invariant violations: the named fields' values, as a JSON object.
    public var fieldValues: String?
    public var rule: String
    public var severity: String
    public var message: String

    enum CodingKeys: String, CodingKey {
        case kind, field, side, rule, severity, message
        case runId = "run_id", streamId = "stream_id", dbValue = "db_value", onChainValue = "on_chain_value", fieldValues = "field_values"
    }

    init(runId: String, finding: Finding) {
        self.runId = runId
        streamId = finding.streamId
        kind = finding.kind.rawValue
        field = finding.field
        side = finding.side?.rawValue
        dbValue = finding.dbValue
        onChainValue = finding.onChainValue
        fieldValues = finding.values.map { values in
            var json: [UInt8] = [UInt8(ascii: "{")]
            for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { json.append(UInt8(ascii: ",")) }
                FindingJSON.appendString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                FindingJSON.appendString(value, to: &json)
            }
            json.append(UInt8(ascii: "}"))
            return String(decoding: json, as: UTF8.self)
        }
        rule = finding.rule
        severity = finding.severity.rawValue
        message = finding.message
    }
}

/// The schema of the two run tables, created when absent. Plain `CREATE ... IF NOT EXISTS`:
/// the reconciler writes to no other table, not even a migrations table; columns added since
/// the first version are added to older tables by `upgrade`.
enum RunSchema {
    /// Columns added after the first release of the tables: `(table, column, type)`.
    static let addedColumns = [("reconciliation_runs", "owner", "TEXT"), ("reconciliation_runs", "lease_expires_at", "TEXT")]

    static func create(_ db: Database) throws {
        for statement in statements { try db.execute(sql: statement) }
        for (table, column, type) in addedColumns where try !db.columns(in: table).contains(where: { $0.name == column }) {
            try db.execute(sql: "ALTER TABLE \(table.quotedDatabaseIdentifier) ADD COLUMN \(column.quotedDatabaseIdentifier) \(type)")
        }
    }

    static let statements = [
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
            error TEXT,
            owner TEXT,
            lease_expires_at TEXT
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
