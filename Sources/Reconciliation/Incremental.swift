import ReconEngine
import ReconSources

/// An incremental run: only the streams that changed since the previous run are checked — on
/// chain, those the contract's events name after the previous run's block; in the DB, rows whose
/// `db.updated_at` is after the previous run started (less `skew`) — plus the previous run's open
/// discrepancies and a random sample of the rest.
public struct IncrementalPlan: Sendable {
    /// The previous run's pinned block (and hash), and its open discrepancies' streams.
    public var window: ChangeWindow
    /// The `db.updated_at` column.
    public var updatedAtColumn: String
    /// Rows whose `updated_at` is after this (Unix seconds) are checked.
    public var updatedAfter: Int64
    /// The share of the other rows checked anyway, 0 to 100.
    public var samplePercent: Double

    /// How far before the previous run's start a row's `updated_at` still counts as a change: an
    /// app transaction that stamped a row with its start time but committed after the previous run
    /// read the table, and clocks that disagree, are covered up to this.
    public static let skewSeconds: Int64 = 900

    public init(window: ChangeWindow, updatedAtColumn: String, updatedAfter: Int64, samplePercent: Double) {
        self.window = window
        self.updatedAtColumn = updatedAtColumn
        self.updatedAfter = updatedAfter
        self.samplePercent = min(100, max(0, samplePercent))
    }
}

/// What an incremental run covered (in the report as `incremental`).
public struct Coverage: Sendable, Codable, Equatable {
    /// `incremental`, or `full` when an incremental run could not be one (`reason` says why).
    public var mode: String
    public var reason: String?
    public var previousRunId: String?
    /// The blocks whose events were read (after the previous run's block, up to this run's).
    public var fromBlock: UInt64?
    public var toBlock: UInt64?
    /// DB rows read, and streams checked: changed on chain, changed in the DB, carried over from
    /// the previous run's open discrepancies, sampled (a stream counts under its first reason).
    public var dbRows: Int
    public var changedOnChain: Int
    public var changedInDB: Int
    public var carried: Int
    public var sampled: Int
    /// `eth_getLogs` logs that named a change.
    public var logs: Int

    public init(mode: String, reason: String? = nil, previousRunId: String? = nil, fromBlock: UInt64? = nil, toBlock: UInt64? = nil, dbRows: Int = 0,
                changedOnChain: Int = 0, changedInDB: Int = 0, carried: Int = 0, sampled: Int = 0, logs: Int = 0) {
        self.mode = mode
        self.reason = reason
        self.previousRunId = previousRunId
        self.fromBlock = fromBlock
        self.toBlock = toBlock
        self.dbRows = dbRows
        self.changedOnChain = changedOnChain
        self.changedInDB = changedInDB
        self.carried = carried
        self.sampled = sampled
        self.logs = logs
    }
}

/// Picks the DB rows an incremental run checks, counting why.
struct RowSelection: Sendable {
    let plan: IncrementalPlan
    let changes: ChainChanges

    enum Reason {
        case chain, carried, db, sampled
    }

    /// Why `row` is checked, or nil when it is not; its last value is its `updated_at`.
    func reason(_ row: SourceRecord) -> Reason? {
        if changes.keys.contains(row.key) { return .chain }
        if plan.window.carried.contains(row.key) { return .carried }
        // A row whose stamp cannot be read is checked: it may have changed.
        guard let stamp = row.values.last, let seconds = TimestampType.seconds(of: stamp), seconds <= plan.updatedAfter else { return .db }
        return plan.samplePercent > 0 && Double.random(in: 0..<100) < plan.samplePercent ? .sampled : nil
    }

    static func count(_ reason: Reason, in coverage: inout Coverage) {
        switch reason {
        case .chain: coverage.changedOnChain += 1
        case .carried: coverage.carried += 1
        case .db: coverage.changedInDB += 1
        case .sampled: coverage.sampled += 1
        }
    }
}
