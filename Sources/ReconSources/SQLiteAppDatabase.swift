import Foundation
import GRDB
import ReconEngine
import Synchronization

/// The app database as an SQLite file, opened read-only through GRDB. Reads only the mapped
/// columns, a page at a time (by rowid, or by key for WITHOUT ROWID tables).
public struct SQLiteAppDatabase: AppDatabaseSource {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var displayName: String { path }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any RecordPages {
        let queue = try AppDatabaseFile.open(path: path, readonly: true, label: "streamrecon.app-db")
        do {
            let layout = try await queue.read { db in try Layout.inspect(db, query: query, path: path) }
            return SQLitePages(queue: queue, query: query, layout: layout, path: path)
        } catch let error as SourceError {
            throw error
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
    }

    /// What the page queries need to know about the table.
    struct Layout: Sendable {
        var hasRowID: Bool
        var duplicates: [(key: String, count: Int)]

        static func inspect(_ db: Database, query: SourceQuery, path: String) throws -> Layout {
            guard try db.tableExists(query.table) else {
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'reconciliation_%' ORDER BY name")
                throw SourceError(.missingTable, at: path, "table '\(query.table)' not found" + (tables.isEmpty ? "; the database has no tables" : " (tables: \(tables.joined(separator: ", ")))"))
            }
            let columns = try db.columns(in: query.table).map(\.name)
            let known = Set(columns.map { $0.lowercased() })
            for column in [query.keyColumn] + query.columns where !known.contains(column.lowercased()) {
                throw SourceError(.missingColumn, at: path, "table '\(query.table)' has no column '\(column)' (columns: \(columns.joined(separator: ", ")))")
            }
            let table = query.table.quotedDatabaseIdentifier, key = query.keyColumn.quotedDatabaseIdentifier
            let hasRowID = (try? db.execute(sql: "SELECT rowid FROM \(table) LIMIT 0")) != nil
            let duplicates = try Row.fetchAll(db, sql: """
                SELECT \(key), COUNT(*) FROM \(table) WHERE \(key) IS NOT NULL GROUP BY \(key) HAVING COUNT(*) > 1 ORDER BY \(key)
                """).map { (SQLiteValues.key($0[0] as DatabaseValue) ?? "", $0[1] as Int) }
            return Layout(hasRowID: hasRowID, duplicates: duplicates)
        }
    }
}

/// Reads the streams table a page at a time, each page in its own read.
final class SQLitePages: RecordPages {
    private let queue: DatabaseQueue
    /// The first page, and the pages after a given rowid (or key): separate statements, so the
    /// later ones seek with the index instead of scanning (an `? IS NULL OR` would defeat it).
    private let firstSQL: String
    private let nextSQL: String
    private let hasRowID: Bool
    private let path: String
    private let table: String
    private let keyColumn: String
    private let limit: Int
    let duplicateKeys: [(key: String, count: Int)]
    /// The last rowid (or key) read; nil before the first page, `.done` after the last.
    private let position = Mutex<(cursor: DatabaseValue?, done: Bool)>((nil, false))

    init(queue: DatabaseQueue, query: SourceQuery, layout: SQLiteAppDatabase.Layout, path: String) {
        self.queue = queue
        self.path = path
        table = query.table
        keyColumn = query.keyColumn
        limit = max(1, query.batchSize)
        hasRowID = layout.hasRowID
        duplicateKeys = layout.duplicates
        let order = layout.hasRowID ? "rowid" : query.keyColumn.quotedDatabaseIdentifier
        let selected = ([order, query.keyColumn.quotedDatabaseIdentifier] + query.columns.map(\.quotedDatabaseIdentifier)).joined(separator: ", ")
        firstSQL = "SELECT \(selected) FROM \(query.table.quotedDatabaseIdentifier) ORDER BY \(order) LIMIT ?"
        nextSQL = "SELECT \(selected) FROM \(query.table.quotedDatabaseIdentifier) WHERE \(order) > ? ORDER BY \(order) LIMIT ?"
    }

    func next() async throws(SourceError) -> [SourceRecord]? {
        let state = position.withLock { $0 }
        guard !state.done else { return nil }
        let (limit, path, table, keyColumn) = (limit, path, table, keyColumn)
        let sql = state.cursor == nil ? firstSQL : nextSQL
        let arguments: StatementArguments = state.cursor.map { [$0, limit] } ?? [limit]
        let page: (records: [SourceRecord], last: DatabaseValue?)
        do {
            page = try await queue.read { db in
                var records: [SourceRecord] = []
                records.reserveCapacity(limit)
                var last: DatabaseValue?
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    var values: [RawValue] = []
                    values.reserveCapacity(row.count - 2)
                    var key: String?
                    for (index, value) in row.databaseValues.enumerated() {
                        switch index {
                        case 0: last = value
                        case 1: key = SQLiteValues.key(value)
                        default: values.append(SQLiteValues.raw(value))
                        }
                    }
                    guard let key else {
                        throw SourceError(.malformed, at: path, "a row of table '\(table)' has a null '\(keyColumn)' (\(last.map { "rowid \($0)" } ?? "no rowid"))")
                    }
                    records.append(SourceRecord(key: key, values: values))
                }
                return (records, last)
            }
        } catch let error as SourceError {
            throw error
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
        position.withLock { $0 = (page.last, page.records.count < limit) }
        return page.records.isEmpty ? nil : page.records
    }
}

/// SQLite storage values as raw values; no floating point survives as a number.
enum SQLiteValues {
    static func raw(_ value: DatabaseValue) -> RawValue {
        switch value.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let double): .decimal(String(double))
        case .string(let text): .text(text)
        case .blob(let data): .text("0x" + data.map { String(format: "%02x", $0) }.joined())
        }
    }

    /// A key as text; nil for NULL.
    static func key(_ value: DatabaseValue) -> String? {
        raw(value).displayText.flatMap { value.isNull ? nil : $0 }
    }
}

public enum SQLiteErrorText {
    public static func describe(_ error: any Error, path: String) -> SourceError {
        guard let error = error as? DatabaseError else { return SourceError(.unreadable, at: path, "cannot read the database: \(error)") }
        switch error.resultCode {
        case .SQLITE_NOTADB: return SourceError(.unreadable, at: path, "not an SQLite database")
        case .SQLITE_BUSY, .SQLITE_LOCKED: return SourceError(.unreadable, at: path, "database is locked: \(error.message ?? "busy")")
        case .SQLITE_CANTOPEN: return SourceError(.unreadable, at: path, "cannot open the database: \(error.message ?? "permission denied")")
        default: return SourceError(.unreadable, at: path, "SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown")")
        }
    }
}

/// Opens an existing SQLite app database, read-only or for writing run records, waiting up to
/// ten seconds for a lock the app holds.
public enum AppDatabaseFile {
    public static func open(path: String, readonly: Bool, label: String) throws(SourceError) -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else { throw SourceError(.notFound, at: path, "app database not found") }
        var configuration = Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(10)
        configuration.label = label
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
    }
}
