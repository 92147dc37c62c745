import ReconChain
import ReconEngine

/// One DB row or on-chain record: its pairing key and the raw values of the mapped fields,
/// in the rule set's slot order.
public struct SourceRecord: Sendable, Equatable {
    public var key: String
    public var values: [RawValue]

    public init(key: String, values: [RawValue]) {
        self.key = key
        self.values = values
    }
}

/// What a source reads: the rule set's table or record shape, and the page size.
public struct SourceQuery: Sendable {
    public var table: String
    /// The table's schema (`db.schema`), for sources that have schemas; nil: the source's default.
    public var schema: String?
    /// The key's column, or columns: with several (`[chain_id, stream_id]`, for `evm.deployments`)
    /// a row's key is their text joined by ':' (`1:42`).
    public var keyColumns: [String]
    /// The key column; setting it makes it the only one. With several, their names joined by ', '.
    public var keyColumn: String {
        get { keyColumns.joined(separator: ", ") }
        set { keyColumns = [newValue] }
    }
    public var columns: [String]
    public var keyField: String
    public var fields: [String]
    public var batchSize: Int
    /// How to read the chain from a contract, when the rules bind one; with each field's view call.
    public var evm: EVMBinding?
    public var views: [ViewSignature?]
    /// The part of the keys a sharded run checks (`--shard I/N`); nil: every key. Views skip the
    /// records of other shards before they read them.
    public var shard: Shard?
    /// What the run's pairing key holds before this source's own keys (`CHAINID:` for one
    /// deployment's view, whose records are keyed by id alone): a view picks its shard's records
    /// by the whole key, as the run does.
    public var shardKeyPrefix = ""
    /// For an incremental run: where the previous run left the chain, and the keys to read again
    /// whatever changed (its open discrepancies). Nil: a full run.
    public var changesSince: ChangeWindow?

    /// The largest page a run reads: a page is held in memory, so a larger one is refused (the CLI's
    /// `--batch-size`) or clamped (a library caller's).
    public static let maximumBatchSize = 100_000

    /// The page a run reads unless told otherwise (`--batch-size`). Pages of 5,000 rows took
    /// 0.93× the wall time of pages of 1,000 for a 1M-stream run from SQLite, and 0.95× from
    /// PostgreSQL, with the same peak RSS: each page costs a query or a `FETCH`, tasks and
    /// allocations that move between threads.
    public static let defaultBatchSize = 5000

    /// `batchSize` brought into 1 through `maximumBatchSize`.
    public static func clamped(_ batchSize: Int) -> Int {
        min(max(1, batchSize), maximumBatchSize)
    }

    /// `batchSize` is clamped to 1 through `maximumBatchSize`.
    public init(ruleSet: CompiledRuleSet, batchSize: Int = SourceQuery.defaultBatchSize) {
        table = ruleSet.table
        schema = ruleSet.schema
        keyColumns = ruleSet.keyColumns
        columns = ruleSet.dbColumns
        keyField = ruleSet.keyChainField
        fields = ruleSet.chainFields
        self.batchSize = Self.clamped(batchSize)
        evm = ruleSet.evm
        views = ruleSet.fields.map(\.view)
    }
}

/// Where the previous run pinned the chain, for an incremental run's chain side.
public struct ChangeWindow: Sendable, Equatable {
    /// The previous run's pinned block, and its hash when it was recorded.
    public var previousBlock: UInt64
    public var previousHash: String?
    /// Keys read again whether or not they changed: the previous run's open discrepancies.
    public var carried: Set<String>

    public init(previousBlock: UInt64, previousHash: String?, carried: Set<String>) {
        self.previousBlock = previousBlock
        self.previousHash = previousHash
        self.carried = carried
    }
}

/// Which streams a chain view covers.
public enum ChainScope: Sendable, Equatable {
    /// Every stream; with why, when an incremental run was asked for and cannot be one.
    case everything(reason: String?)
    /// The streams that changed in blocks `fromBlock...toBlock` (by the contract's events),
    /// plus the carried keys.
    case changed(ChainChanges)
}

/// The streams an incremental run's chain side found changed.
public struct ChainChanges: Sendable, Equatable {
    public var fromBlock: UInt64
    public var toBlock: UInt64
    public var keys: Set<String>
    /// Logs that named them (several may name one stream).
    public var logs: Int

    public init(fromBlock: UInt64, toBlock: UInt64, keys: Set<String>, logs: Int) {
        self.fromBlock = fromBlock
        self.toBlock = toBlock
        self.keys = keys
        self.logs = logs
    }
}

/// The app's database, read-only: streams the mapped columns of the streams table.
public protocol AppDatabaseSource: Sendable {
    /// A description safe to print and store (no credentials).
    var displayName: String { get }
    /// Checks the table and columns, then reads rows page by page.
    func open(_ query: SourceQuery) async throws(SourceError) -> any RecordPages
}

/// Pages of DB rows; memory is bounded by the page size.
public protocol RecordPages: AnyObject, Sendable {
    /// Keys that appear in more than one row, with their counts.
    var duplicateKeys: [(key: String, count: Int)] { get }
    /// The next page, or nil when every row has been read.
    func next() async throws(SourceError) -> [SourceRecord]?
    /// Rows that could not be paired (a NULL key), described; complete once paging is done.
    var skippedRows: [String] { get }
}

extension RecordPages {
    public var skippedRows: [String] { [] }
}

/// The chain: one consistent view per run (a pinned block or a snapshot file).
public protocol ChainSource: Sendable {
    var displayName: String { get }
    /// Whether this source can serve the rules at all, checked before a run starts (and is recorded).
    func check(_ query: SourceQuery) throws(SourceError)
    func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView
}

extension ChainSource {
    public func check(_ query: SourceQuery) throws(SourceError) {}
}

/// The result of looking one key up on chain.
public enum ChainLookup: Sendable, Equatable {
    case record([RawValue])
    case missing
    /// The key was looked up before in this run: the DB returned the same stream again (a row
    /// the app rewrote while the run read the table).
    case alreadySeen
    /// The record could not be read (after any retries); the reason names no credentials.
    case failed(String)
}

/// A chain state pinned for one run.
public protocol ChainView: AnyObject, Sendable {
    /// The block every read comes from, when the source knows it.
    var block: UInt64? { get }
    /// Keys that appear more than once on chain, with their counts; the first record counts.
    var duplicateKeys: [(key: String, count: Int)] { get }
    /// Looks up each key; a key looked up before in this run answers `.alreadySeen`.
    func records(for keys: [String]) async throws(SourceError) -> [ChainLookup]
    /// The records whose keys were never looked up (streams on chain but not in the DB), a page
    /// at a time; with a `shard` in the query, only that shard's, skipped before they are read.
    func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord]
    /// Records `unvisited` could not read (after any retries), with why; complete once it is done.
    var unreadableKeys: [(key: String, reason: String)] { get }
    /// The pinned block's hash, when the source knows it.
    var blockHash: String? { get }
    /// Which streams the view covers; `unvisited` then lists only changed or carried ones.
    var scope: ChainScope { get }
    /// Checks, at the end of a run, that the pinned block is still the canonical one; nil when it
    /// is (or the source pins nothing), else why not.
    func confirmPinned() async -> String?
    /// With several deployments (`evm.deployments`): each one's pin, or why it could not be read;
    /// complete after `confirmPinned`. Empty for one chain.
    var deployments: [DeploymentPin] { get }
}

/// Where one deployment of the rules (`evm.deployments`) was pinned, or why it could not be read.
public struct DeploymentPin: Sendable, Equatable, Codable {
    public var name: String
    public var chainId: UInt64
    public var chainBlock: UInt64?
    public var chainBlockHash: String?
    /// Why its streams could not be read (its node down, another chain, a read failing); nil when they were.
    public var error: String?

    public init(name: String, chainId: UInt64, chainBlock: UInt64? = nil, chainBlockHash: String? = nil, error: String? = nil) {
        self.name = name
        self.chainId = chainId
        self.chainBlock = chainBlock
        self.chainBlockHash = chainBlockHash
        self.error = error
    }
}

extension ChainView {
    public var unreadableKeys: [(key: String, reason: String)] { [] }
    public var blockHash: String? { nil }
    public var scope: ChainScope { .everything(reason: nil) }
    public func confirmPinned() async -> String? { nil }
    public var deployments: [DeploymentPin] { [] }
}
