import Foundation
import ReconEngine
import ReconSources

/// Where runs are recorded (docs/operations.md, "Reading the run tables"): a `running` row when
/// a run starts, kept alive by a lease the run renews, and its completion with every discrepancy
/// in one transaction. One run at a time per store: `begin` refuses while another run holds it;
/// a shard run (`run.shard`) only while a run of every key, or a run of the same shard, holds it.
/// Errors name the store by `displayName`, never with credentials.
public protocol RunStore: Sendable {
    /// The store's location, safe to print and log (no password).
    var displayName: String { get }
    /// How long a `running` row stays claimed without a renewal: a run renews it every third of
    /// this, and a later run may mark a row whose lease ran out `aborted`.
    var lease: Duration { get }

    /// Creates or migrates the run tables, marks runs that are gone `aborted` (returning their
    /// ids), and records `run` as `running`; throws `.busy` while another run holds the store (for
    /// a shard run: a run of every key, or of the same shard), and `.keyUsed` when a run with
    /// `run.runKey` is recorded already.
    func begin(_ run: RunRecord) async throws(RunStoreError) -> [String]
    /// Renews a running run's lease; false when the row is no longer `running`.
    func renew(runId: String) async throws(SourceError) -> Bool
    /// The previous completed (`clean` or `drift`), non-dry run of `rulesName` over every key
    /// (not a shard run) and its discrepancies; nil when there is none, or no run tables yet.
    /// Reads, never creates.
    func baseline(rulesName: String) async throws(SourceError) -> RunBaseline?
    /// As `baseline(rulesName:)`, for a run over `shard`: the previous run of the same shard
    /// (`I/N`), or over every key for nil.
    func baseline(rulesName: String, shard: Shard?) async throws(SourceError) -> RunBaseline?
    /// The runs recorded under the run keys of shards of the logical run `prefix`
    /// (`PREFIX/shard-I-of-N`), newest first. Reads, never creates.
    func shardRuns(runKeyPrefix prefix: String) async throws(SourceError) -> [RunRecord]
    /// The run recorded with run key `runKey` (as stored), in any status; nil when there is none,
    /// or no run tables yet. Reads, never creates.
    func keyedRun(_ runKey: String) async throws(SourceError) -> RunRecord?
    /// Records how a run's alert was delivered (`report.alert`, as `alert_status`), and for a
    /// recorded run keeps its envelope again with the alert in it (what a run key answers with).
    func recordAlert(_ report: RunReport) async throws(SourceError)
    /// A recorded run's report: its kept envelope and its discrepancy rows; nil when no run has that id.
    func storedReport(id: String) async throws(SourceError) -> RunReport?
    /// Completes a run: its outcome, its report's envelope and every discrepancy, in one transaction. Throws
    /// `.superseded` when the row is no longer `running`.
    func complete(_ report: RunReport) async throws(SourceError)
    /// Marks a run failed without its discrepancies, when completing it failed; retries for up
    /// to `patience` while the store is locked or unreachable.
    func fail(runId: String, finishedAt: String, error: String, patience: Duration) async throws(SourceError)
    /// Marks a run `aborted` if it is still `running`; returns whether the row changed.
    func abort(runId: String, finishedAt: String, reason: String) async throws(SourceError) -> Bool
    /// Lets go of the store (a lock or connection `begin` took), whatever state the run is in.
    func release() async

    /// The most recent runs first. Throws `.missingTable` ("no runs recorded yet") when the store has no run tables.
    func list(limit: Int) async throws(SourceError) -> [RunRecord]
    /// One run and its discrepancies in report order; nil when no run has that id.
    func show(id: String) async throws(SourceError) -> (run: RunRecord, discrepancies: [DiscrepancyRecord])?
}

extension RunStore {
    public func latest() async throws(SourceError) -> RunRecord? {
        try await list(limit: 1).first
    }

    public func release() async {}

    /// `now + lease`, as the run tables write times.
    public func leaseEnd(from now: Date = Date()) -> String {
        RunReport.timestamp(now.addingTimeInterval(lease / .seconds(1)))
    }

    /// `run` as `begin` records it: owned by this process (unless it names its owner), its lease
    /// running from now.
    public func claimed(_ run: RunRecord) -> RunRecord {
        var run = run
        run.owner = run.owner ?? RunOwner.current
        run.leaseExpiresAt = leaseEnd()
        return run
    }

    /// For a store that keeps no envelope: the report rebuilt from the run's row and rows.
    public func storedReport(id: String) async throws(SourceError) -> RunReport? {
        try await show(id: id).map { RunReport.stored(run: $0.run, envelope: nil, rows: $0.discrepancies) }
    }

    /// `baseline(rulesName:)` for every key; for a shard, as a store without a query of its own
    /// finds it (below).
    public func baseline(rulesName: String, shard: Shard?) async throws(SourceError) -> RunBaseline? {
        guard let shard else { return try await baseline(rulesName: rulesName) }
        return try await listedBaseline(rulesName: rulesName, shard: shard)
    }

    /// For a store without a query of its own: the newest completed run of `rulesName` over every key.
    public func baseline(rulesName: String) async throws(SourceError) -> RunBaseline? {
        try await listedBaseline(rulesName: rulesName, shard: nil)
    }

    /// The newest completed run of `rulesName` and `shard` among the last 100 runs, through `list` and `show`.
    private func listedBaseline(rulesName: String, shard: Shard?) async throws(SourceError) -> RunBaseline? {
        let runs: [RunRecord]
        do {
            runs = try await list(limit: 100)
        } catch where error.kind == .missingTable {
            return nil
        }
        guard let previous = runs.first(where: { $0.rulesName == rulesName && $0.shard == shard && !$0.dryRun && ($0.status == .clean || $0.status == .drift) }),
              let shown = try await show(id: previous.id) else { return nil }
        var baseline = RunBaseline(runId: previous.id, startedAt: previous.startedAt,
                                   entries: shown.discrepancies.map { RunBaseline.Entry($0, rulesName: rulesName, runStartedAt: previous.startedAt) })
        baseline.rulesSha256 = previous.rulesSha256
        baseline.chainBlock = previous.chainBlock.flatMap { UInt64(exactly: $0) }
        return baseline
    }

    public func list() async throws(SourceError) -> [RunRecord] {
        try await list(limit: 20)
    }

    /// For a store without a query of its own: the shard runs of `prefix` among the last 10000 runs.
    public func shardRuns(runKeyPrefix prefix: String) async throws(SourceError) -> [RunRecord] {
        try await list(limit: 10_000).filter { run in run.runKey.flatMap { RunKey.shard(of: $0, prefix: prefix) } != nil }
    }

    /// For a store without a query of its own: the run with the key among the last 10000 runs.
    public func keyedRun(_ runKey: String) async throws(SourceError) -> RunRecord? {
        try await list(limit: 10_000).first { $0.runKey == runKey }
    }

    public func fail(runId: String, finishedAt: String, error: String) async throws(SourceError) {
        try await fail(runId: runId, finishedAt: finishedAt, error: error, patience: .zero)
    }
}

/// Why `begin` could not record a run.
public enum RunStoreError: Error, Sendable, CustomStringConvertible {
    /// Another run holds the store (one run at a time per store).
    case busy(RunInProgress)
    /// A run with this run key is recorded already (finished, or running).
    case keyUsed(RunRecord)
    case unavailable(SourceError)

    public var description: String {
        switch self {
        case .busy(let running): running.description
        case .keyUsed(let run): "run key '\(run.runKey ?? "")' was used by run \(run.id) (\(run.status.rawValue))"
        case .unavailable(let error): error.description
        }
    }
}

/// The run that holds a store.
public struct RunInProgress: Error, Sendable, Equatable, CustomStringConvertible {
    /// The running run's id; nil when the store is locked by a run whose row cannot be read (yet).
    public var runId: String?
    public var startedAt: String?
    public var owner: String?
    /// The store, as `displayName`.
    public var store: String
    /// The running run's shard, when it checks one (`--shard I/N`).
    public var shard: Shard?

    public init(runId: String?, startedAt: String? = nil, owner: String? = nil, store: String, shard: Shard? = nil) {
        self.shard = shard
        self.runId = runId
        self.startedAt = startedAt
        self.owner = owner
        self.store = store
    }

    public var description: String {
        guard let runId else { return "\(store): another run holds the run store's lock; one run at a time per store" }
        let since = [startedAt.map { "started \($0)" }, owner.map { "by \($0)" }].compactMap { $0 }.joined(separator: " ")
        guard let shard else { return "\(store): run \(runId) is in progress\(since.isEmpty ? "" : " (\(since))"); one run at a time per store" }
        return "\(store): run \(runId) of shard \(shard) is in progress\(since.isEmpty ? "" : " (\(since))"); one run of each shard at a time per store"
    }
}

/// How a store is opened.
public struct RunStoreOptions: Sendable {
    /// How long one write waits for a lock the app holds (SQLite), or for a connection (server stores).
    public var busyTimeout: Duration
    public var lease: Duration
    /// Whether a file store that does not exist yet is created (for a `--store` given on its
    /// own; a store that defaults to the app DB must be that DB, never a new file at a typo).
    public var createIfMissing: Bool

    public init(busyTimeout: Duration = .seconds(10), lease: Duration = .seconds(60), createIfMissing: Bool = false) {
        self.busyTimeout = busyTimeout
        self.lease = lease
        self.createIfMissing = createIfMissing
    }
}

/// The run stores a `--store` location can name, by URL scheme ("" for a file path), as
/// `SourceRegistry` does for sources.
public struct StoreRegistry: Sendable {
    public typealias Factory = @Sendable (String, RunStoreOptions) throws(SourceError) -> any RunStore

    public var stores: [String: Factory]

    public init(stores: [String: Factory] = [:]) {
        self.stores = stores
    }

    /// Registers a store for `schemes` ("" for a file path).
    public mutating func register(_ schemes: [String], _ factory: @escaping Factory) {
        for scheme in schemes { stores[scheme] = factory }
    }

    /// Where runs are recorded: `store` (a `--store`), else the app database `database`. A
    /// `--store` file that does not exist yet is created by the first run; the app database
    /// never is, so a typo in `--db` cannot make a new file.
    public func store(_ store: String?, defaultingTo database: String, options: RunStoreOptions = RunStoreOptions()) throws(SourceError) -> any RunStore {
        var options = options
        options.createIfMissing = store != nil
        return try self.store(store ?? database, options: options)
    }

    /// The store at `location`; opening it touches nothing yet (tables are made by `begin`).
    public func store(_ location: String, options: RunStoreOptions = RunStoreOptions()) throws(SourceError) -> any RunStore {
        let (scheme, rest) = Location.split(location)
        guard let factory = stores[scheme] else {
            throw SourceError(.unsupported, at: "--store", "\(Location.describe(scheme)) run stores are not supported; give \(Location.supported(stores.keys))")
        }
        return try factory(rest, options)
    }
}
