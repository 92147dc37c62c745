import Foundation
import PostgresNIO
import ReconEngine
import ReconSources
import Synchronization

/// The app database in PostgreSQL, read-only: the streams table is read in one `READ ONLY`,
/// `REPEATABLE READ` transaction (one consistent snapshot, so no stream comes round twice),
/// checked from the catalog first, then read through a cursor one page (`FETCH`) at a time:
/// memory holds a page, never the table. Needs only `SELECT` on the table.
public struct PostgresAppDatabase: AppDatabaseSource {
    public let location: PostgresLocation

    public init(location: PostgresLocation) {
        self.location = location
    }

    public var displayName: String { location.displayName }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any RecordPages {
        let connection = try await PostgresSession.connect(location)
        do {
            try await PostgresSession.execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", timeout: location.readTimeout,
                                              closeOnCancel: true)
            let table = try await PostgresTableCheck.inspect(connection, query: query, at: displayName, timeout: location.readTimeout)
            try await PostgresSession.execute(connection, PostgresQuery(unsafeSQL: """
                DECLARE streamrecon_streams NO SCROLL CURSOR FOR
                SELECT \(table.selectList) FROM \(table.qualifiedName) WHERE \(table.keyExpression) IS NOT NULL
                """), timeout: location.readTimeout, closeOnCancel: true)
            return PostgresPages(connection: connection, table: table, query: query, location: location)
        } catch {
            await PostgresSession.close(connection)
            throw PostgresSession.describe(error, at: displayName)
        }
    }
}

/// Pages of the streams table: one `FETCH` each, on the connection that holds the transaction.
/// `readAhead` pages are fetched and decoded ahead of the one asked for, so that the connection
/// is never idle while a page is reconciled: with one page ahead, sent and decoded from tasks
/// that waited for the threads reconciling, a 1M-row read kept the two cores a quarter idle.
final class PostgresPages: RecordPages {
    /// One `FETCH`'s rows as records; `full` when it held a whole page (more may follow).
    typealias Page = (records: [SourceRecord], full: Bool)

    private struct State {
        /// The pages asked for, oldest first. The connection runs their `FETCH`es one after
        /// another, not always in the order they were asked for: every one is read to the end.
        var pending: [Task<Page, any Error>] = []
        /// A page came back short: the cursor is at its end, and no more are asked for.
        var exhausted = false
        /// Every row is read (or the read failed), and the connection is closed.
        var done = false
        /// The last `FETCH` sent: the next one's `read_timeout` starts when it completes.
        var lastSent: EventLoopFuture<PostgresQueryMetadata>?
    }

    static let readAhead = 2

    private let connection: PostgresConnection
    private let fetch: PostgresQuery
    private let decoder: RowDecoder
    private let limit: Int
    private let location: PostgresLocation
    private let state = Mutex(State())
    let duplicateKeys: [(key: String, count: Int)]
    let skippedRows: [String]

    init(connection: PostgresConnection, table: PostgresTableCheck.Table, query: SourceQuery, location: PostgresLocation) {
        self.connection = connection
        self.location = location
        decoder = RowDecoder(kinds: table.kinds, oids: table.oids, names: [query.keyColumn] + query.columns, displayName: location.displayName)
        limit = query.batchSize
        fetch = PostgresQuery(unsafeSQL: "FETCH FORWARD \(query.batchSize) FROM streamrecon_streams")
        duplicateKeys = table.duplicates
        skippedRows = table.nullKeyRows
    }

    deinit {
        // A run that stops early drops its pages: the transaction ends with the connection.
        state.withLock { state in for page in state.pending { page.cancel() } }
        let connection = connection
        Task { await PostgresSession.close(connection) }
    }

    /// Sends the next `FETCH` at once (the connection runs them in the order they are sent) and
    /// decodes its rows on the connection's event loop as they arrive, off the threads that
    /// reconcile; the task gives them once the `FETCH` is complete. Its `read_timeout` runs from
    /// when the `FETCH` before it (`after`) completed: until then it waits its turn.
    private func fetchPage(after: EventLoopFuture<PostgresQueryMetadata>?) -> (page: Task<Page, any Error>, sent: EventLoopFuture<PostgresQueryMetadata>) {
        let records = Mutex<[SourceRecord]>([])
        let decoder = decoder
        let sent = connection.query(fetch, logger: PostgresSession.quiet) { row in
            let record = try decoder.record(row)
            records.withLock { $0.append(record) }
        }
        let (connection, timeout, limit) = (connection, location.readTimeout, limit)
        let page = Task { () async throws -> Page in
            _ = try await PostgresSession.bounded(connection, future: sent, startingAfter: after?.map { _ in }, timeout: timeout, closeOnCancel: true)
            let page = records.withLock { records in defer { records = [] }; return records }
            return (page, page.count == limit)
        }
        return (page, sent)
    }

    /// The oldest page asked for, with `readAhead` more asked for behind it; nil once every page is read.
    private func take() -> Task<Page, any Error>? {
        state.withLock { state in
            guard !state.done else { return nil }
            while !state.exhausted, state.pending.count < Self.readAhead + 1 {
                let (page, sent) = fetchPage(after: state.lastSent)
                state.pending.append(page)
                state.lastSent = sent
            }
            return state.pending.isEmpty ? nil : state.pending.removeFirst()
        }
    }

    func next() async throws(SourceError) -> [SourceRecord]? {
        do {
            while let page = take() {
                let (records, full) = try await withTaskCancellationHandler { try await page.value } onCancel: { page.cancel() }
                let finished = state.withLock { state in
                    if !full { state.exhausted = true }
                    state.done = state.exhausted && state.pending.isEmpty
                    return state.done
                }
                // Every row is read: the read-only transaction ends with the connection, and a
                // failure to end it cleanly loses nothing.
                if finished { await PostgresSession.close(connection) }
                if !records.isEmpty { return records }
            }
            return nil
        } catch {
            state.withLock { state in
                state.done = true
                for page in state.pending { page.cancel() }
                state.pending = []
            }
            await PostgresSession.close(connection)
            throw PostgresSession.describe(error, at: location.displayName)
        }
    }
}

/// A row of the streams table as a record: its key's text and its mapped columns' raw values.
struct RowDecoder: Sendable {
    let kinds: [PostgresColumnKind]
    let oids: [Set<UInt32>]
    let names: [String]
    let displayName: String

    func record(_ row: PostgresRow) throws(SourceError) -> SourceRecord {
        var key = ""
        var values: [RawValue] = []
        values.reserveCapacity(kinds.count - 1)
        for (index, cell) in row.enumerated() {
            guard cell.format == .binary, oids[index].contains(cell.dataType.rawValue), let raw = kinds[index].raw(cell.bytes) else {
                throw SourceError(.malformed, at: displayName,
                                  "column '\(names[index])' did not arrive as its checked type (did it change during the run?)")
            }
            if index == 0 { key = raw.displayText ?? "" } else { values.append(raw) }
        }
        return SourceRecord(key: key, values: values)
    }
}
