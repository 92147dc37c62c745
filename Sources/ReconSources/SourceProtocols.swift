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
    public var keyColumn: String
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

    /// The largest page a run reads: a page is held in memory, so a larger one is refused (the CLI's
    /// `--batch-size`) or clamped (a library caller's).
    public static let maximumBatchSize = 100_000

    /// `batchSize` brought into 1 through `maximumBatchSize`.
    public static func clamped(_ batchSize: Int) -> Int {
        min(max(1, batchSize), maximumBatchSize)
    }

    /// `batchSize` is clamped to 1 through `maximumBatchSize`.
    public init(ruleSet: CompiledRuleSet, batchSize: Int = 1000) {
        table = ruleSet.table
        schema = ruleSet.schema
        keyColumn = ruleSet.keyColumn
        columns = ruleSet.dbColumns
        keyField = ruleSet.keyChainField
        fields = ruleSet.chainFields
        self.batchSize = Self.clamped(batchSize)
        evm = ruleSet.evm
        views = ruleSet.fields.map(\.view)
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
}

extension ChainView {
    public var unreadableKeys: [(key: String, reason: String)] { [] }
}
