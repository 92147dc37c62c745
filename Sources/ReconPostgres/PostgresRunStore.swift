import Foundation
import NIOCore
import PostgresNIO
import ReconEngine
import ReconSources
import Reconciliation
import Synchronization

/// Run records in PostgreSQL, in the URL's `schema` (default `public`). The tables are made and
/// migrated by versioned migrations (`PostgresRunSchema`). One run at a time per store, across
/// processes and hosts: `begin` takes a session advisory lock on a connection the run keeps until
/// `release`, and fails at once while another run holds it. Holding the lock proves every other
/// `running` row dead (its session ended), so `begin` marks those `aborted`. A shard run takes the
/// store's lock shared and its shard's lock (`shardLockKey`) exclusive: the shards of one run
/// record at once, while a run of every key excludes them all and a shard excludes itself.
public final class PostgresRunStore: RunStore {
    public let location: PostgresLocation
    public let lease: Duration
    /// How long marking a run failed or aborted may take, connecting included (a process about to
    /// end passes a short one).
    private let busyTimeout: Duration
    /// The run's own connection, holding the lock, from `begin` to `release`.
    private let session = Mutex<PostgresConnection?>(nil)

    public init(location: PostgresLocation, options: RunStoreOptions = RunStoreOptions()) {
        self.location = location
        lease = options.lease
        busyTimeout = options.busyTimeout
    }

    public var displayName: String { location.displayName }
    private var schema: String { location.schema ?? "public" }

    /// The advisory lock's key: one per schema, the same in every process.
    var lockKey: Int64 {
        Self.lockKey("streamrecon.reconciliation_runs:\(schema)")
    }

    /// The advisory lock of one shard (`I/N`) of the store.
    func shardLockKey(_ shard: Shard) -> Int64 {
        Self.lockKey("streamrecon.reconciliation_runs:\(schema):shard:\(shard)")
    }

    /// The advisory lock under which the run tables are migrated.
    var migrationLockKey: Int64 {
        Self.lockKey("streamrecon.reconciliation_runs:\(schema):migrations")
    }

    private static func lockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int64(bitPattern: hash)
    }

    private func connect(within limit: Duration? = nil) async throws(SourceError) -> PostgresConnection {
        var location = location
        if let limit { location.connectTimeout = min(location.connectTimeout, max(limit, .seconds(1))) }
        let connection = try await PostgresSession.connect(location)
        // The run tables are always in `schema`, whatever the role's search_path says: the lock is per schema.
        do {
            try await PostgresSession.execute(connection, "SELECT set_config('search_path', \(PostgresTableCheck.quoted(schema)), false)")
        } catch {
            await PostgresSession.close(connection)
            throw PostgresSession.describe(error, at: displayName)
        }
        return connection
    }

    /// The run's connection while it has one, else a connection for this one call (connecting
    /// within `limit`).
    private func withConnection<T>(within limit: Duration? = nil, _ body: (PostgresConnection) async throws -> T) async throws(SourceError) -> T {
        if let connection = session.withLock({ $0 }), !connection.isClosed {
            do {
                return try await body(connection)
            } catch {
                throw PostgresSession.describe(error, at: displayName)
            }
        }
        let connection = try await connect(within: limit)
        do {
            let result = try await body(connection)
            await PostgresSession.close(connection)
            return result
        } catch {
            await PostgresSession.close(connection)
            throw PostgresSession.describe(error, at: displayName)
        }
    }

    public func begin(_ run: RunRecord) async throws(RunStoreError) -> [String] {
        guard session.withLock({ $0 == nil }) else {
            throw .unavailable(SourceError(.unsupported, at: displayName, "this run store already holds a run; release it first"))
        }
        let record = claimed(run)
        let connection: PostgresConnection
        do {
            connection = try await connect()
        } catch {
            throw .unavailable(error)
        }
        do {
            // A finished run with the key answers first, whatever holds the lock now (finished rows do not change).
            if let key = record.runKey, try await PostgresRunSchema.isMigrated(connection),
               let used = try await PostgresRunSchema.run(keyed: key, on: connection, sharded: try await PostgresRunSchema.runsHave("shard", connection)),
               used.status != .running, used.status != .aborted {
                throw RunStoreError.keyUsed(used)
            }
            try await lock(connection, for: record.shard)
            try await PostgresRunSchema.migrate(connection, lockKey: migrationLockKey)
            let shard = record.shard?.description
            let gone = try await PostgresRunSchema.transaction(connection) { () async throws -> [String] in
                // The locks held prove dead every `running` row they cover: all of them for a run of
                // every key; for a shard run, those of every key and of its own shard.
                let gone = try await PostgresTableCheck.rows(connection, """
                    UPDATE reconciliation_runs SET status = 'aborted', finished_at = \(record.startedAt),
                        error = 'interrupted before it finished; marked aborted by run ' || \(record.id)
                    WHERE status = 'running' AND (\(shard)::text IS NULL OR shard IS NULL OR shard = \(shard)) RETURNING id
                    """) { try $0.decode(String.self) }
                if let key = record.runKey, let used = try await PostgresRunSchema.run(keyed: key, on: connection) {
                    guard used.status == .aborted else { throw RunStoreError.keyUsed(used) }
                    // An interrupted run did not finish: it lets go of its key, and this run takes it.
                    try await PostgresSession.execute(connection, """
                        UPDATE reconciliation_runs SET run_key = NULL, error = \(RunKey.handedOver(used, to: record.id)) WHERE id = \(used.id)
                        """)
                }
                try await PostgresSession.execute(connection, """
                    INSERT INTO reconciliation_runs (id, started_at, status, dry_run, rules_name, rules_sha256, owner, lease_expires_at, run_key, shard)
                    VALUES (\(record.id), \(record.startedAt), 'running', \(record.dryRun), \(record.rulesName), \(record.rulesSha256),
                            \(record.owner), \(record.leaseExpiresAt), \(record.runKey), \(shard))
                    """)
                return gone
            }
            session.withLock { $0 = connection }
            return gone.sorted()
        } catch let error as RunStoreError {
            // Busy (the lock's connection is closed already) or a key used: let go of the lock.
            await PostgresSession.close(connection)
            throw error
        } catch {
            await PostgresSession.close(connection)
            throw .unavailable(PostgresSession.describe(error, at: displayName))
        }
    }

    /// Takes the locks a run holds until `release`: the store's, exclusive for a run of every key
    /// and shared for a shard run, which also takes its shard's. Throws `.busy` naming the run
    /// that holds what it could not get (the connection is closed then, letting go of any lock taken).
    private func lock(_ connection: PostgresConnection, for shard: Shard?) async throws {
        func taken(_ call: String, _ key: Int64) async throws -> Bool {
            try await PostgresTableCheck.rows(connection, PostgresQuery(unsafeSQL: "SELECT \(call)(\(key))")) { try $0.decode(Bool.self) }.first == true
        }
        let holder: RunHolder
        if let shard {
            if try await !taken("pg_try_advisory_lock_shared", lockKey) {
                holder = .everyKey
            } else if try await !taken("pg_try_advisory_lock", shardLockKey(shard)) {
                holder = .shard(shard)
            } else {
                return
            }
        } else if try await !taken("pg_try_advisory_lock", lockKey) {
            holder = .any
        } else {
            return
        }
        let running = try? await runningRow(connection, holder)
        await PostgresSession.close(connection)
        throw RunStoreError.busy(RunInProgress(runId: running?.id, startedAt: running?.startedAt, owner: running?.owner, store: displayName,
                                               shard: running?.shard))
    }

    /// Which runs can hold a lock `begin` did not get.
    private enum RunHolder {
        case any, everyKey
        case shard(Shard)
    }

    /// The newest `running` row of the runs that can hold the lock; nil when none is recorded (yet).
    private func runningRow(_ connection: PostgresConnection, _ holder: RunHolder) async throws -> RunRecord? {
        let sharded = try await PostgresRunSchema.runsHave("shard", connection)
        let filter: String
        switch holder {
        case .any: filter = ""
        case .everyKey: filter = sharded ? "AND shard IS NULL" : ""
        case .shard(let shard):
            guard sharded else { return nil }
            filter = "AND shard = '\(shard)'"
        }
        let migrated = try await PostgresRunSchema.isMigrated(connection)
        return try await PostgresTableCheck.rows(connection, PostgresQuery(unsafeSQL: """
            \(PostgresRunSchema.selectRuns(migrated: migrated, sharded: sharded)) WHERE status = 'running' \(filter) ORDER BY started_at DESC LIMIT 1
            """), PostgresRunSchema.run).first
    }

    /// The lock is what keeps a run alive here, not the lease: renewing checks that the run's
    /// session (which holds the lock) is still open, and writes nothing, so it never queues
    /// behind the run's final write on that session.
    public func renew(runId: String) async throws(SourceError) -> Bool {
        guard let connection = session.withLock({ $0 }), !connection.isClosed else {
            throw SourceError(.unreadable, at: displayName, "the run's session was lost, and with it the store's lock; another run may take the store")
        }
        return true
    }

    public func complete(_ report: RunReport) async throws(SourceError) {
        let location = displayName
        try await withConnection { connection in
            try await PostgresRunSchema.transaction(connection) {
                let updated = try await PostgresTableCheck.rows(connection, """
                    UPDATE reconciliation_runs SET finished_at = \(report.finishedAt), status = \(report.status.rawValue),
                        chain_block = \(report.source.chainBlock.map { Int64(clamping: $0) }), chain_block_hash = \(report.source.chainBlockHash),
                        streams_checked = \(report.summary.streamsChecked),
                        discrepancy_count = \(report.summary.discrepancies), error = \(report.error), report_summary = \(report.envelopeJSON)
                    WHERE id = \(report.runId) AND status = 'running' RETURNING id
                    """) { try $0.decode(String.self) }
                // A run marked aborted meanwhile (its session was lost and a later run took the lock) keeps that status.
                guard !updated.isEmpty else {
                    throw SourceError(.superseded, at: location, "run \(report.runId) is no longer running (it was marked aborted); its outcome was not recorded")
                }
                try await PostgresRunSchema.copy(report.discrepancies, runId: report.runId, into: connection)
            }
        }
    }

    public func fail(runId: String, finishedAt: String, error: String, patience: Duration) async throws(SourceError) {
        let limit = busyTimeout
        try await RetryUntil.done(within: patience) { () throws(SourceError) in
            try await withConnection(within: limit) { connection in
                try await PostgresSession.execute(connection, """
                    UPDATE reconciliation_runs SET status = 'failed', finished_at = \(finishedAt), error = \(error)
                    WHERE id = \(runId) AND status = 'running'
                    """, timeout: limit)
            }
        }
    }

    /// Bounded by `busyTimeout`, connecting included: a run completing its record holds the row,
    /// and a process about to end cannot wait for it.
    public func abort(runId: String, finishedAt: String, reason: String) async throws(SourceError) -> Bool {
        let limit = busyTimeout
        return try await withConnection(within: limit) { connection in
            try await !PostgresTableCheck.rows(connection, timeout: limit, """
                UPDATE reconciliation_runs SET status = 'aborted', finished_at = \(finishedAt), error = \(reason)
                WHERE id = \(runId) AND status = 'running' RETURNING id
                """) { try $0.decode(String.self) }.isEmpty
        }
    }

    /// Ends the run's session, which lets go of the lock.
    public func release() async {
        guard let connection = session.withLock({ connection in defer { connection = nil }; return connection }) else { return }
        await PostgresSession.close(connection)
    }

    private func read<T>(_ body: (PostgresConnection) async throws -> T) async throws(SourceError) -> T {
        do {
            return try await withConnection(body)
        } catch where error.kind == .missingTable {
            throw SourceError(.missingTable, at: displayName, "no runs recorded yet")
        }
    }

    public func list(limit: Int) async throws(SourceError) -> [RunRecord] {
        try await read { connection in
            let migrated = try await PostgresRunSchema.isMigrated(connection), sharded = try await PostgresRunSchema.runsHave("shard", connection)
            return try await PostgresTableCheck.rows(connection, PostgresQuery(unsafeSQL: """
                \(PostgresRunSchema.selectRuns(migrated: migrated, sharded: sharded)) ORDER BY started_at DESC, id DESC LIMIT \(limit)
                """), PostgresRunSchema.run)
        }
    }

    public func keyedRun(_ runKey: String) async throws(SourceError) -> RunRecord? {
        do {
            return try await read { connection in
                // Run tables from before run keys (read by a dry run, never migrated) have no keyed run.
                guard try await PostgresRunSchema.runsHave("run_key", connection) else { return nil }
                let migrated = try await PostgresRunSchema.isMigrated(connection), sharded = try await PostgresRunSchema.runsHave("shard", connection)
                return try await PostgresTableCheck.rows(connection, """
                    \(unescaped: PostgresRunSchema.selectRuns(migrated: migrated, sharded: sharded)) WHERE run_key = \(runKey)
                    """, PostgresRunSchema.run).first
            }
        } catch where error.kind == .missingTable {
            return nil
        }
    }

    public func show(id: String) async throws(SourceError) -> (run: RunRecord, discrepancies: [DiscrepancyRecord])? {
        try await read { connection in
            let migrated = try await PostgresRunSchema.isMigrated(connection), sharded = try await PostgresRunSchema.runsHave("shard", connection)
            let runs = try await PostgresTableCheck.rows(connection, """
                \(unescaped: PostgresRunSchema.selectRuns(migrated: migrated, sharded: sharded)) WHERE id = \(id)
                """, PostgresRunSchema.run)
            guard let run = runs.first else { return nil }
            let discrepancies = try await PostgresTableCheck.rows(connection, """
                \(unescaped: PostgresRunSchema.selectDiscrepancies(migrated: migrated)) WHERE run_id = \(id)
                ORDER BY stream_id, kind, field NULLS FIRST, side NULLS FIRST, rule
                """, PostgresRunSchema.discrepancy)
            return (run, discrepancies)
        }
    }

    public func recordAlert(_ report: RunReport) async throws(SourceError) {
        let limit = busyTimeout
        let status = report.alert?.description, envelope = report.persisted ? report.envelopeJSON : nil
        try await withConnection(within: limit) { connection in
            try await PostgresSession.execute(connection, """
                UPDATE reconciliation_runs SET alert_status = \(status), report_summary = coalesce(\(envelope), report_summary) WHERE id = \(report.runId)
                """, timeout: limit)
        }
    }

    public func baseline(rulesName: String) async throws(SourceError) -> RunBaseline? {
        try await baseline(rulesName: rulesName, shard: nil)
    }

    /// The previous completed run of the same rules over the same keys: of the same shard, or of
    /// every key. A store from before shards holds runs of every key only.
    public func baseline(rulesName: String, shard: Shard?) async throws(SourceError) -> RunBaseline? {
        do {
            return try await read { connection in
                let hash = try await PostgresRunSchema.runsHave("chain_block_hash", connection) ? "chain_block_hash" : "NULL::text"
                let sharded = try await PostgresRunSchema.runsHave("shard", connection)
                if shard != nil, !sharded { return nil }
                let previous: PostgresQuery = sharded ? """
                    SELECT id, started_at, rules_sha256, chain_block, \(unescaped: hash) FROM reconciliation_runs WHERE rules_name = \(rulesName)
                        AND status IN ('clean', 'drift') AND NOT dry_run AND shard IS NOT DISTINCT FROM \(shard?.description)
                    ORDER BY started_at DESC, id DESC LIMIT 1
                    """ : """
                    SELECT id, started_at, rules_sha256, chain_block, \(unescaped: hash) FROM reconciliation_runs WHERE rules_name = \(rulesName)
                        AND status IN ('clean', 'drift') AND NOT dry_run ORDER BY started_at DESC, id DESC LIMIT 1
                    """
                guard let (id, startedAt, rulesSha256, chainBlock, chainBlockHash) = try await PostgresTableCheck.rows(connection, previous, {
                    try $0.decode((String, String, String, Int64?, String?).self)
                }).first else { return nil }
                // Rows of a store not migrated yet (read by a dry run) have no memory columns.
                let migrated = try await PostgresRunSchema.isMigrated(connection)
                var baseline = RunBaseline(runId: id, startedAt: startedAt, entries: try await PostgresRunSchema.baselineEntries(
                    connection, runId: id, rulesName: rulesName, runStartedAt: startedAt, migrated: migrated))
                baseline.rulesSha256 = rulesSha256
                baseline.chainBlock = chainBlock.flatMap { UInt64(exactly: $0) }
                baseline.chainBlockHash = chainBlockHash
                return baseline
            }
        } catch where error.kind == .missingTable {
            return nil
        }
    }

    public func shardRuns(runKeyPrefix prefix: String) async throws(SourceError) -> [RunRecord] {
        let pattern = prefix + "/shard-"
        return try await read { connection in
            guard try await PostgresRunSchema.runsHave("shard", connection) else { return [] }
            return try await PostgresTableCheck.rows(connection, """
                \(unescaped: PostgresRunSchema.selectRuns()) WHERE shard IS NOT NULL AND left(run_key, length(\(pattern))) = \(pattern)
                ORDER BY started_at DESC, id DESC
                """, PostgresRunSchema.run).filter { run in run.runKey.flatMap { RunKey.shard(of: $0, prefix: prefix) } != nil }
        }
    }

    public func storedReport(id: String) async throws(SourceError) -> RunReport? {
        try await read { connection in
            let migrated = try await PostgresRunSchema.isMigrated(connection), sharded = try await PostgresRunSchema.runsHave("shard", connection)
            let runs = try await PostgresTableCheck.rows(connection, """
                \(unescaped: PostgresRunSchema.selectRuns(migrated: migrated, sharded: sharded)) WHERE id = \(id)
                """, PostgresRunSchema.run)
            guard let run = runs.first else { return nil }
            // Before migration 3 no run kept its report: the row and its rows say it all.
            let envelope = migrated ? try await PostgresTableCheck.rows(connection, "SELECT report_summary FROM reconciliation_runs WHERE id = \(id)") {
                try $0.decode(String?.self)
            }.first ?? nil : nil
            let rows = try await PostgresTableCheck.rows(connection,
                                                         "\(unescaped: PostgresRunSchema.selectDiscrepancies(migrated: migrated)) WHERE run_id = \(id)",
                                                         PostgresRunSchema.discrepancy)
            return RunReport.stored(run: run, envelope: envelope, rows: rows)
        }
    }
}
