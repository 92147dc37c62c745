import Foundation
import PostgresNIO
import ReconEngine
import ReconSources
import Synchronization

/// The app database in PostgreSQL, read-only: the streams table is read in one `READ ONLY`,
/// `REPEATABLE READ` transaction (one consistent snapshot, so no stream comes round twice),
/// checked from the catalog first and then streamed a page at a time: memory holds a page and
/// postgres-nio's bounded row buffer, never the table. Needs only `SELECT` on the table.
public struct PostgresAppDatabase: AppDatabaseSource {
    public let location: PostgresLocation

    public init(location: PostgresLocation) {
        self.location = location
    }

    public var displayName: String { location.displayName }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any RecordPages {
        let connection = try await PostgresSession.connect(location)
        let watchdog = Watchdog(connection: connection, limit: location.readTimeout)
        do {
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: PostgresSession.quiet)
            let table = try await PostgresTableCheck.inspect(connection, query: query, at: displayName)
            let select = "SELECT \(table.selectList) FROM \(table.qualifiedName) WHERE \(table.keyExpression) IS NOT NULL"
            let rows = try await connection.query(PostgresQuery(unsafeSQL: select), logger: PostgresSession.quiet)
            return PostgresPages(connection: connection, watchdog: watchdog, rows: rows, table: table, query: query, at: displayName)
        } catch {
            watchdog.stop()
            try? await connection.close()
            throw watchdog.describe(error, at: displayName)
        }
    }
}

/// Pages of the streams table, read from one query's row stream.
final class PostgresPages: RecordPages {
    private let connection: PostgresConnection
    private let watchdog: Watchdog
    private let reader: RowReader
    private let location: String
    let duplicateKeys: [(key: String, count: Int)]
    let skippedRows: [String]

    init(connection: PostgresConnection, watchdog: Watchdog, rows: PostgresRowSequence, table: PostgresTableCheck.Table, query: SourceQuery,
         at location: String) {
        self.connection = connection
        self.watchdog = watchdog
        self.location = location
        duplicateKeys = table.duplicates
        skippedRows = table.nullKeyRows
        reader = RowReader(iterator: rows.makeAsyncIterator(), kinds: table.kinds, names: [query.keyColumn] + query.columns,
                           limit: query.batchSize, location: location)
    }

    deinit {
        // A run that stops early drops its pages: the transaction ends with the connection.
        watchdog.stop()
        let connection = connection
        Task { try? await connection.close() }
    }

    func next() async throws(SourceError) -> [SourceRecord]? {
        watchdog.waiting()
        do {
            if let page = try await reader.page() {
                watchdog.answered()
                return page
            }
            try await connection.query("COMMIT", logger: PostgresSession.quiet)
            watchdog.stop()
            try? await connection.close()
            return nil
        } catch {
            watchdog.stop()
            try? await connection.close()
            throw watchdog.describe(error, at: location)
        }
    }
}

/// Reads rows off the stream, one page at a time, and turns their cells into raw values.
actor RowReader {
    private var iterator: PostgresRowSequence.AsyncIterator?
    private let kinds: [PostgresColumnKind]
    private let names: [String]
    private let limit: Int
    private let location: String

    init(iterator: PostgresRowSequence.AsyncIterator, kinds: [PostgresColumnKind], names: [String], limit: Int, location: String) {
        self.iterator = iterator
        self.kinds = kinds
        self.names = names
        self.limit = limit
        self.location = location
    }

    func page() async throws -> [SourceRecord]? {
        guard var rows = iterator else { return nil }
        var records: [SourceRecord] = []
        records.reserveCapacity(limit)
        while records.count < limit, let row = try await rows.next(isolation: #isolation) {
            var key = ""
            var values: [RawValue] = []
            values.reserveCapacity(kinds.count - 1)
            for (index, cell) in row.enumerated() {
                guard let raw = kinds[index].raw(cell.bytes), cell.format == .binary else {
                    throw SourceError(.malformed, at: location, "column '\(names[index])' did not arrive as its checked type (did it change during the run?)")
                }
                if index == 0 { key = raw.displayText ?? "" } else { values.append(raw) }
            }
            records.append(SourceRecord(key: key, values: values))
        }
        iterator = records.count < limit ? nil : rows
        return records.isEmpty ? nil : records
    }
}

/// Bounds how long one wait for the database may take: a wait (from `waiting()` to `answered()`)
/// longer than `limit` closes the connection, which fails the read in progress, and the error
/// says why. Time spent between waits (the chain read, the reconciling) does not count.
final class Watchdog: Sendable {
    private let state = Mutex<(since: ContinuousClock.Instant?, fired: Bool, task: Task<Void, Never>?)>((.now, false, nil))
    let limit: Duration

    init(connection: PostgresConnection, limit: Duration) {
        self.limit = limit
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                guard let self else { return }
                let expired = self.state.withLock { state -> Bool in
                    guard !state.fired, let since = state.since, ContinuousClock.now - since > limit else { return false }
                    state.fired = true
                    return true
                }
                if expired {
                    try? await connection.close()
                    return
                }
            }
        }
        state.withLock { $0.task = task }
    }

    func waiting() { state.withLock { $0.since = .now } }

    func answered() { state.withLock { $0.since = nil } }

    func stop() { state.withLock { $0.task?.cancel() } }

    func describe(_ error: any Error, at location: String) -> SourceError {
        if state.withLock({ $0.fired }) {
            return SourceError(.unreadable, at: location, "no answer from the database for \(limit.components.seconds) s (read_timeout); the read was given up")
        }
        return PostgresSession.describe(error, at: location)
    }
}
