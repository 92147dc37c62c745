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
/// The next page is fetched while this one is decoded and reconciled.
final class PostgresPages: RecordPages {
    private let connection: PostgresConnection
    private let fetch: PostgresQuery
    private let kinds: [PostgresColumnKind]
    private let oids: [Set<UInt32>]
    private let names: [String]
    private let limit: Int
    private let location: PostgresLocation
    /// Whether the last page has been read (and the transaction ended).
    private let done = Mutex(false)
    /// The next page's `FETCH`, sent as soon as the page before it arrived.
    private let upcoming = Mutex<Task<[PostgresRow], any Error>?>(nil)
    let duplicateKeys: [(key: String, count: Int)]
    let skippedRows: [String]

    init(connection: PostgresConnection, table: PostgresTableCheck.Table, query: SourceQuery, location: PostgresLocation) {
        self.connection = connection
        self.location = location
        kinds = table.kinds
        oids = table.oids
        names = [query.keyColumn] + query.columns
        limit = query.batchSize
        fetch = PostgresQuery(unsafeSQL: "FETCH FORWARD \(query.batchSize) FROM streamrecon_streams")
        duplicateKeys = table.duplicates
        skippedRows = table.nullKeyRows
    }

    deinit {
        // A run that stops early drops its pages: the transaction ends with the connection.
        upcoming.withLock { $0?.cancel() }
        let connection = connection
        Task { await PostgresSession.close(connection) }
    }

    private func fetchPage() -> Task<[PostgresRow], any Error> {
        let (connection, fetch, timeout) = (connection, fetch, location.readTimeout)
        return Task { try await PostgresSession.rows(connection, fetch, timeout: timeout, closeOnCancel: true) }
    }

    func next() async throws(SourceError) -> [SourceRecord]? {
        guard !done.withLock({ $0 }) else { return nil }
        do {
            let page = upcoming.withLock { page in defer { page = nil }; return page } ?? fetchPage()
            let rows = try await withTaskCancellationHandler { try await page.value } onCancel: { page.cancel() }
            if rows.count == limit {
                let next = fetchPage()
                upcoming.withLock { $0 = next }
            }
            let records = try rows.map(record)
            if rows.count < limit {
                // Every row is read: the read-only transaction ends with the connection, and a
                // failure to end it cleanly loses nothing.
                done.withLock { $0 = true }
                await PostgresSession.close(connection)
            }
            return records.isEmpty ? nil : records
        } catch {
            done.withLock { $0 = true }
            upcoming.withLock { $0?.cancel() }
            await PostgresSession.close(connection)
            throw PostgresSession.describe(error, at: location.displayName)
        }
    }

    /// One row as a record: its key's text and its mapped columns' raw values.
    private func record(_ row: PostgresRow) throws(SourceError) -> SourceRecord {
        var key = ""
        var values: [RawValue] = []
        values.reserveCapacity(kinds.count - 1)
        for (index, cell) in row.enumerated() {
            guard cell.format == .binary, oids[index].contains(cell.dataType.rawValue), let raw = kinds[index].raw(cell.bytes) else {
                throw SourceError(.malformed, at: location.displayName,
                                  "column '\(names[index])' did not arrive as its checked type (did it change during the run?)")
            }
            if index == 0 { key = raw.displayText ?? "" } else { values.append(raw) }
        }
        return SourceRecord(key: key, values: values)
    }
}
