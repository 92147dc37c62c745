import Foundation
import PostgresNIO
import ReconEngine
import ReconSources
import Synchronization

/// The app database in PostgreSQL, read-only: the streams table is read in one `READ ONLY`,
/// `REPEATABLE READ` transaction (one consistent snapshot, so no stream comes round twice),
/// checked from the catalog first, then read through a cursor one page (`FETCH`) at a time:
/// memory holds a page, never the table. Needs only `SELECT` on the table.
///
/// A table of `splitFromBlocks` 8 KiB blocks or more, on PostgreSQL 14 or later (which scans a
/// `ctid` range without reading the rest) and not a standby, is read over two connections at
/// once, each a half of its blocks, the second in the first's snapshot
/// (`pg_export_snapshot`): decoding one connection's rows kept a core busy while the server and
/// the reconciling threads waited. When the second connection cannot be had, one reads it all;
/// when the server refuses what the split needs (its size, or exporting the snapshot: a
/// hardened server may revoke `pg_export_snapshot`), the read starts again over one.
public struct PostgresAppDatabase: AppDatabaseSource {
    public let location: PostgresLocation
    public let splitFromBlocks: Int
    /// Called between exporting the read's snapshot and the second connection importing it
    /// (tests change the table there: the second half must not see it).
    public var snapshotExported: (@Sendable () async -> Void)?

    public init(location: PostgresLocation, splitFromBlocks: Int = 1024) {
        self.location = location
        self.splitFromBlocks = splitFromBlocks
    }

    public var displayName: String { location.displayName }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any RecordPages {
        try await open(query, split: true)
    }

    /// `split`: read a large table over two connections, if the server allows it.
    private func open(_ query: SourceQuery, split: Bool) async throws(SourceError) -> any RecordPages {
        let connection = try await PostgresSession.connect(location)
        do {
            try await begin(connection)
            let table = try await PostgresTableCheck.inspect(connection, query: query, at: displayName, timeout: location.readTimeout)
            func pages(_ connection: PostgresConnection) -> PostgresPages {
                PostgresPages(connection: connection, table: table, query: query, location: location)
            }
            let point: (block: Int64, snapshot: String)?
            do {
                point = split ? try await splitPoint(connection, table) : nil
            } catch let error as PSQLError where error.serverInfo != nil {
                // The server refused what a split read needs, and the error ended this
                // transaction: the read starts again, over one connection.
                await PostgresSession.close(connection)
                return try await open(query, split: false)
            }
            if let split = point,
               let second = await secondConnection(snapshot: split.snapshot, besides: connection, table: table, from: split.block) {
                do {
                    try await declare(connection, table, "ctid < '(\(split.block),0)'::tid")
                } catch {
                    await PostgresSession.close(second)
                    throw error
                }
                return SplitPages(pages(connection), pages(second))
            }
            try await declare(connection, table)
            return pages(connection)
        } catch {
            await PostgresSession.close(connection)
            throw PostgresSession.describe(error, at: displayName)
        }
    }

    private func begin(_ connection: PostgresConnection) async throws {
        try await PostgresSession.execute(connection, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", timeout: location.readTimeout, closeOnCancel: true)
    }

    /// Declares the cursor the pages are fetched from: the table's keyed rows (`range`: those of a range of its blocks).
    private func declare(_ connection: PostgresConnection, _ table: PostgresTableCheck.Table, _ range: String? = nil) async throws {
        try await PostgresSession.execute(connection, PostgresQuery(unsafeSQL: """
            DECLARE streamrecon_streams NO SCROLL CURSOR FOR
            SELECT \(table.selectList) FROM \(table.qualifiedName) WHERE \(table.keyExpression) IS NOT NULL\(range.map { " AND " + $0 } ?? "")
            """), timeout: location.readTimeout, closeOnCancel: true)
    }

    /// Where to split a large table's read, with the snapshot the second half is read in; nil
    /// to read it over one connection.
    private func splitPoint(_ connection: PostgresConnection, _ table: PostgresTableCheck.Table) async throws -> (block: Int64, snapshot: String)? {
        guard ["r", "m"].contains(table.relationKind) else { return nil }
        let blocks = try await PostgresTableCheck.rows(connection, timeout: location.readTimeout, closeOnCancel: true, PostgresQuery(unsafeSQL: """
            SELECT CASE WHEN current_setting('server_version_num')::int4 >= 140000 AND NOT pg_is_in_recovery()
                THEN coalesce(pg_relation_size(\(table.relation)::oid), 0) / current_setting('block_size')::int8 ELSE 0 END
            """)) { try $0.decode(Int64.self) }.first ?? 0
        guard blocks >= splitFromBlocks, blocks >= 2 else { return nil }
        let snapshot = try await PostgresTableCheck.rows(connection, timeout: location.readTimeout, closeOnCancel: true,
                                                         "SELECT pg_export_snapshot()") { try $0.decode(String.self) }.first
        if let snapshotExported { await snapshotExported() }
        return snapshot.map { (blocks / 2, $0) }
    }

    /// A second connection, on another event loop, reading `table` from block `block` on in
    /// the exported `snapshot`; nil when it cannot be had (the first then reads it all).
    private func secondConnection(snapshot: String, besides first: PostgresConnection, table: PostgresTableCheck.Table,
                                  from block: Int64) async -> PostgresConnection? {
        let loop = MultiThreadedEventLoopGroup.singleton.makeIterator().first { $0 !== first.eventLoop }
        guard let connection = try? await PostgresSession.connect(location, on: loop ?? first.eventLoop) else { return nil }
        do {
            try await begin(connection)
            let literal = "'" + snapshot.replacingOccurrences(of: "'", with: "''") + "'"
            try await PostgresSession.execute(connection, PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT \(literal)"), timeout: location.readTimeout,
                                              closeOnCancel: true)
            try await declare(connection, table, "ctid >= '(\(block),0)'::tid")
            return connection
        } catch {
            await PostgresSession.close(connection)
            return nil
        }
    }
}

/// A table's pages read over two connections at once: each `next` takes the next page of the
/// one whose turn it is, so both keep their pages read ahead. The checks' findings (duplicate
/// and NULL keys) are the first's: they cover the whole table.
final class SplitPages: RecordPages {
    private let halves: [PostgresPages]
    private let turn = Mutex((next: 0, finished: [false, false], failure: SourceError?.none))

    init(_ first: PostgresPages, _ second: PostgresPages) {
        halves = [first, second]
    }

    var duplicateKeys: [(key: String, count: Int)] { halves[0].duplicateKeys }
    var skippedRows: [String] { halves[0].skippedRows }

    func next() async throws(SourceError) -> [SourceRecord]? {
        if let failure = turn.withLock({ $0.failure }) { throw failure }
        while let index = turn.withLock({ turn -> Int? in
            guard let index = [turn.next, 1 - turn.next].first(where: { !turn.finished[$0] }) else { return nil }
            turn.next = 1 - index
            return index
        }) {
            do {
                if let page = try await halves[index].next() { return page }
                turn.withLock { $0.finished[index] = true }
            } catch {
                // One half failed: the other's read is abandoned at once, and the read fails
                // again if asked for more.
                turn.withLock { $0.failure = error }
                await halves[1 - index].abandon()
                throw error
            }
        }
        return nil
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
        let (decoder, limit) = (decoder, limit)
        let records = Mutex<[SourceRecord]>({ var page: [SourceRecord] = []; page.reserveCapacity(min(limit, 4096)); return page }())
        let sent = connection.query(fetch, logger: PostgresSession.quiet) { row in
            let record = try decoder.record(row)
            records.withLock { $0.append(record) }
        }
        let (connection, timeout) = (connection, location.readTimeout)
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
            await abandon()
            throw PostgresSession.describe(error, at: location.displayName)
        }
    }

    /// Ends the read: no more pages, and the connection (with its transaction) closed.
    func abandon() async {
        state.withLock { state in
            state.done = true
            for page in state.pending { page.cancel() }
            state.pending = []
        }
        await PostgresSession.close(connection)
    }
}

/// A row of the streams table as a record: its key's text and its mapped columns' raw values.
struct RowDecoder: Sendable {
    let kinds: [PostgresColumnKind]
    let oids: [[UInt32]]
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
