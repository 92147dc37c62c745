import Foundation
import GRDB
import GRDBSQLite
import ReconEngine
import ReconSources
import Synchronization

/// The app database as an SQLite file, opened read-only through GRDB. Reads only the mapped
/// columns, a page at a time, each page in its own short read so the app's writers are never
/// blocked for long. Pages follow the rowid (the key for WITHOUT ROWID tables); a row the app
/// rewrites mid-run can come round again, and the chain view answers `.alreadySeen` for it.
public struct SQLiteAppDatabase: AppDatabaseSource {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var displayName: String { path }

    public func open(_ query: SourceQuery) async throws(SourceError) -> any RecordPages {
        let queue = try AppDatabaseFile.open(path: path, readonly: true, label: "streamrecon.app-db", leaveNoTrace: true)
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
        var orderByKey: Bool
        var duplicates: [(key: String, count: Int)]
        /// Rows whose key is NULL, described (they cannot be paired).
        var nullKeyRows: [String]

        static func inspect(_ db: Database, query: SourceQuery, path: String) throws -> Layout {
            if let schema = query.schema, schema != "main" {
                throw SourceError(.unsupported, at: path, "the rules name the schema '\(schema)' (db.schema), and an SQLite database has none; remove db.schema to read an SQLite file")
            }
            guard try db.tableExists(query.table) else {
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'reconciliation_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
                throw SourceError(.missingTable, at: path, "table '\(query.table)' not found" + (tables.isEmpty ? "; the database has no tables" : " (tables: \(tables.joined(separator: ", ")))"))
            }
            let columns = try db.columns(in: query.table).map(\.name)
            let known = Set(columns.map { $0.lowercased() })
            for column in query.keyColumns + query.columns where !known.contains(column.lowercased()) {
                throw SourceError(.missingColumn, at: path, "table '\(query.table)' has no column '\(column)' (columns: \(columns.joined(separator: ", ")))")
            }
            let table = query.table.quotedDatabaseIdentifier
            let hasRowID = (try? db.execute(sql: "SELECT rowid FROM \(table) LIMIT 0")) != nil
            let composite = query.keyColumns.count > 1
            if composite, !hasRowID {
                throw SourceError(.unsupported, at: path, "table '\(query.table)' is a WITHOUT ROWID table, which a key of several columns "
                    + "(\(query.keyColumn)) cannot page through yet")
            }
            // Pairing compares keys as text, so `7` and `'7'` are the same key; several columns' texts
            // are joined by ':' (NULL when any is NULL). The scan sorts the whole table, so it is
            // skipped when a unique index already rules duplicates out (one column only).
            let key = composite
                ? query.keyColumns.map { "CAST(\($0.quotedDatabaseIdentifier) AS TEXT)" }.joined(separator: " || ':' || ")
                : query.keyColumn.quotedDatabaseIdentifier
            let duplicates = try !composite && keysAreUnique(db, query: query) ? [] : try Row.fetchAll(db, sql: """
                SELECT CAST(\(key) AS TEXT) AS k, COUNT(*) FROM \(table) WHERE \(key) IS NOT NULL GROUP BY k HAVING COUNT(*) > 1 ORDER BY k
                """).map { ($0[0] as String? ?? "", $0[1] as Int) }
            let nullKeys = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE \(key) IS NULL") ?? 0
            let rowids = hasRowID && nullKeys > 0
                ? try Int64.fetchAll(db, sql: "SELECT _rowid_ FROM \(table) WHERE \(key) IS NULL ORDER BY _rowid_ LIMIT 100") : []
            let null = query.keyColumns.map { "'\($0)'" }.joined(separator: " or ")
            let nullKeyRows = rowids.isEmpty
                ? Array(repeating: "a row of table '\(query.table)' has a null \(null)", count: min(nullKeys, 100))
                : rowids.map { "row \($0) of table '\(query.table)' has a null \(null)" }
            return Layout(orderByKey: !hasRowID, duplicates: duplicates,
                          nullKeyRows: nullKeyRows + (nullKeys > 100 ? ["\(nullKeys - 100) more rows of table '\(query.table)' have a null \(null)"] : []))
        }

        /// Whether no two rows can have the same key as text: a unique index (not partial) on the
        /// key column alone, in the column's own collation, and every key stored as text.
        static func keysAreUnique(_ db: Database, query: SourceQuery) throws -> Bool {
            var collation: UnsafePointer<CChar>?
            guard sqlite3_table_column_metadata(db.sqliteConnection, nil, query.table, query.keyColumn, nil, &collation, nil, nil, nil) == SQLITE_OK,
                  let columnCollation = collation.map({ String(cString: $0).uppercased() })
            else { return false }
            let table = query.table.quotedDatabaseIdentifier, key = query.keyColumn.quotedDatabaseIdentifier
            let indexes = try Row.fetchAll(db, sql: "PRAGMA index_list(\(table))").filter { $0["unique"] == 1 && $0["partial"] == 0 }
            let indexed = try indexes.contains { index in
                let name: String = index["name"]
                let columns = try Row.fetchAll(db, sql: "PRAGMA index_xinfo(\(name.quotedDatabaseIdentifier))").filter { $0["key"] == 1 }
                guard columns.count == 1, let column: String = columns[0]["name"], let indexCollation: String = columns[0]["coll"] else { return false }
                return column.lowercased() == query.keyColumn.lowercased() && indexCollation.uppercased() == columnCollation
            }
            guard indexed else { return false }
            return try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM \(table) WHERE \(key) IS NOT NULL AND typeof(\(key)) != 'text')") ?? false
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
    private let path: String
    private let limit: Int
    private let keyOrdered: Bool
    /// How many columns make the key (after the rowid); several are joined by ':'.
    private let keyCount: Int
    let duplicateKeys: [(key: String, count: Int)]
    /// The last rowid (or key) read; nil before the first page, `.done` after the last.
    private let position = Mutex<(cursor: DatabaseValue?, done: Bool)>((nil, false))
    /// Rows with a NULL key, which cannot be paired: described, and left out of the pages.
    let skippedRows: [String]

    init(queue: DatabaseQueue, query: SourceQuery, layout: SQLiteAppDatabase.Layout, path: String) {
        self.queue = queue
        self.path = path
        limit = max(1, query.batchSize)
        duplicateKeys = layout.duplicates
        skippedRows = layout.nullKeyRows
        keyCount = query.keyColumns.count
        let keys = query.keyColumns.map(\.quotedDatabaseIdentifier)
        let key = keys[0] // a table without rowids has a one-column key (the layout refuses several)
        let order = layout.orderByKey ? key : "_rowid_"
        let selected = ([layout.orderByKey ? "NULL" : order] + keys + query.columns.map(\.quotedDatabaseIdentifier)).joined(separator: ", ")
        let notNull = layout.orderByKey ? "WHERE \(key) IS NOT NULL" : ""
        firstSQL = "SELECT \(selected) FROM \(query.table.quotedDatabaseIdentifier) \(notNull) ORDER BY \(order) LIMIT ?"
        nextSQL = "SELECT \(selected) FROM \(query.table.quotedDatabaseIdentifier) WHERE \(order) > ? ORDER BY \(order) LIMIT ?"
        keyOrdered = layout.orderByKey
    }

    func next() async throws(SourceError) -> [SourceRecord]? {
        let state = position.withLock { $0 }
        guard !state.done else { return nil }
        let page: (records: [SourceRecord], last: DatabaseValue?, count: Int)
        do {
            page = try read(after: state.cursor)
        } catch let error as SourceError {
            throw error
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
        position.withLock { $0 = (page.last, page.count < limit) }
        if page.records.isEmpty, page.count == limit { return try await next() }
        return page.records.isEmpty ? nil : page.records
    }

    /// One page after `cursor`. Synchronous, on the calling task's thread: a page is CPU work,
    /// and hopping to the queue's thread and back for each one cost more than blocking here.
    /// One statement per page, which SQLite reads consistently on its own, so no transaction
    /// around it (`read` wraps each page in a savepoint, whose statements cost per page).
    private func read(after cursor: DatabaseValue?) throws -> (records: [SourceRecord], last: DatabaseValue?, count: Int) {
        let (limit, keyOrdered, keyCount) = (limit, keyOrdered, keyCount)
        let sql = cursor == nil ? firstSQL : nextSQL
        let arguments: StatementArguments = cursor.map { [$0, limit] } ?? [limit]
        return try queue.unsafeRead { db in
            var records: [SourceRecord] = []
            records.reserveCapacity(limit)
            var last: DatabaseValue?
            var count = 0
            let statement = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            // The cursor steps the statement; its columns are read straight through the C API,
            // which spares a DatabaseValue per column.
            let sqlite = statement.sqliteStatement
            let columns = statement.columnCount
            while try rows.next() != nil {
                count += 1
                last = keyOrdered ? DatabaseValue(sqliteStatement: sqlite, index: 1) : DatabaseValue(sqliteStatement: sqlite, index: 0)
                // A NULL key is reported from the layout.
                let key: String
                if keyCount == 1 {
                    guard let single = SQLiteValues.key(sqlite, 1) else { continue }
                    key = single
                } else {
                    guard let joined = SQLiteValues.key(sqlite, columns: 1...Int32(keyCount)) else { continue }
                    key = joined
                }
                var values: [RawValue] = []
                values.reserveCapacity(columns - 1 - keyCount)
                for index in (1 + keyCount)..<columns { values.append(SQLiteValues.raw(sqlite, Int32(index))) }
                records.append(SourceRecord(key: key, values: values))
            }
            return (records, last, count)
        }
    }
}

/// SQLite storage values as raw values; no floating point survives as a number.
public enum SQLiteValues {
    /// The current row's column `index`, read through the C API.
    static func raw(_ statement: SQLiteStatement, _ index: Int32) -> RawValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, index))), as: UTF8.self))
        default: return raw(DatabaseValue(sqliteStatement: statement, index: index))
        }
    }

    /// The current row's column `index` as a key; nil for NULL.
    static func key(_ statement: SQLiteStatement, _ index: Int32) -> String? {
        sqlite3_column_type(statement, index) == SQLITE_NULL ? nil : raw(statement, index).displayText
    }

    /// The current row's `columns` as one key, their texts joined by ':'; nil when any is NULL.
    static func key(_ statement: SQLiteStatement, columns: ClosedRange<Int32>) -> String? {
        var parts: [String] = []
        for index in columns {
            guard let part = key(statement, index) else { return nil }
            parts.append(part)
        }
        return parts.joined(separator: ":")
    }

    /// A REAL's exact value in decimal, with at least one fractional digit: 0.1 is stored as
    /// 0.1000000000000000055511151231257827021181583404541015625, and an amount with `decimals`
    /// must see that, not a rounded "0.1". A double is m × 2^e exactly; for e < 0 that is
    /// m × 5^-e / 10^-e, whose digits are computed in base 10^9 (about a microsecond for a
    /// value such as 0.1, where printf with 1100 digits took 76).
    public static func exactText(_ double: Double) -> String {
        guard double.isFinite else { return String(double) }
        guard double != 0 else { return double.sign == .minus ? "-0.0" : "0.0" }
        var mantissa = double.significandBitPattern | (double.isNormal ? 1 << 52 : 0)
        var exponent = (double.isNormal ? Int(double.exponentBitPattern) : 1) - 1075
        while mantissa & 1 == 0 { (mantissa, exponent) = (mantissa >> 1, exponent + 1) }
        // Little-endian limbs of 10^9.
        var limbs: [UInt64] = [mantissa % 1_000_000_000, mantissa / 1_000_000_000 % 1_000_000_000, mantissa / 1_000_000_000_000_000_000]
        func multiply(by factor: UInt64) {
            var carry: UInt64 = 0
            for index in limbs.indices {
                let product = limbs[index] * factor + carry
                (limbs[index], carry) = (product % 1_000_000_000, product / 1_000_000_000)
            }
            while carry > 0 { limbs.append(carry % 1_000_000_000); carry /= 1_000_000_000 }
        }
        // Times 5^-e (5^13 at a time) for a fraction, times 2^e (2^30 at a time) for a whole number.
        let (factor, chunk, chunkSteps): (UInt64, UInt64, Int) = exponent < 0 ? (5, 1_220_703_125, 13) : (2, 1 << 30, 30)
        var steps = abs(exponent)
        while steps >= chunkSteps { multiply(by: chunk); steps -= chunkSteps }
        while steps > 0 { multiply(by: factor); steps -= 1 }
        while limbs.count > 1, limbs.last == 0 { limbs.removeLast() }
        var digits = String(limbs.last!)
        for limb in limbs.dropLast().reversed() {
            let text = String(limb)
            digits += String(repeating: "0", count: 9 - text.count) + text
        }
        let places = max(0, -exponent)
        if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
        let whole = digits.dropLast(places), fraction = places == 0 ? "0" : String(digits.suffix(places))
        return (double.sign == .minus ? "-" : "") + whole + "." + fraction
    }

    static func raw(_ value: DatabaseValue) -> RawValue {
        switch value.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let double): .decimal(exactText(double))
        case .string(let text): .text(text)
        case .blob(let data): .text("0x" + data.map { String(format: "%02x", $0) }.joined())
        }
    }
}

public enum SQLiteErrorText {
    public static func describe(_ error: any Error, path: String) -> SourceError {
        if error is CancellationError { return SourceError.stopped(at: path) }
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
/// `busyTimeout` (ten seconds) for a lock the app holds.
public enum AppDatabaseFile {
    /// `leaveNoTrace`: a read-only open of a WAL database that no one has open creates its
    /// `-wal` and `-shm` files, and leaves them; in that case the file is opened immutable
    /// instead (nothing else has it open, so nothing is writing it), so a dry run writes nothing.
    public static func open(path: String, readonly: Bool, label: String, leaveNoTrace: Bool = false,
                            busyTimeout: Duration = .seconds(10)) throws(SourceError) -> DatabaseQueue {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw SourceError(.notFound, at: path, "app database not found") }
        guard !isDirectory.boolValue else { throw SourceError(.unreadable, at: path, "is a directory, not an SQLite database file") }
        var location = path
        if readonly, leaveNoTrace, isUnopenedWAL(path) {
            location = URL(fileURLWithPath: path).absoluteString + "?immutable=1"
        }
        var configuration = Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(busyTimeout / .seconds(1))
        configuration.label = label
        do {
            return try DatabaseQueue(path: location, configuration: configuration)
        } catch {
            throw SQLiteErrorText.describe(error, path: path)
        }
    }

    /// A WAL-mode database file (header bytes 18 and 19 are 2) with no `-wal` or `-shm` beside it.
    static func isUnopenedWAL(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path), let header = try? handle.read(upToCount: 20), header.count == 20 else { return false }
        try? handle.close()
        let bytes = [UInt8](header)
        return bytes[18] == 2 && bytes[19] == 2
            && !FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-shm")
    }
}
