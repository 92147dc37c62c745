import PostgresNIO
import ReconSources

/// The checks made before a read, from the catalog, in the read's own transaction: the table
/// (or view) exists in its schema, the mapped columns exist and have types streamrecon reads
/// exactly, and which keys cannot be paired (duplicates as text, and NULLs).
enum PostgresTableCheck {
    struct Table: Sendable {
        /// The relation's OID and kind (`r` table, `p` partitioned, `v` view, `m` materialized view, `f` foreign).
        var relation: Int64
        var relationKind: String
        var qualifiedName: String
        var keyExpression: String
        var selectList: String
        /// The key's kind, then each mapped column's.
        var kinds: [PostgresColumnKind]
        /// The type OIDs each column may arrive as (its type, and a domain's base type): a column
        /// whose type changed between the checks and the read fails the run instead of being misread.
        var oids: [[UInt32]]
        var duplicates: [(key: String, count: Int)]
        var nullKeyRows: [String]
    }

    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func inspect(_ connection: PostgresConnection, query: SourceQuery, at location: String, timeout: Duration) async throws -> Table {
        let schema = query.schema ?? "public"
        let name = "\(schema).\(query.table)"
        let relations = try await rows(connection, timeout: timeout, closeOnCancel: true, """
            SELECT c.oid::int8, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(schema) AND c.relname = \(query.table) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """) { try $0.decode((Int64, String).self) }
        guard let (relation, kind) = relations.first else {
            throw try await missingTable(connection, schema: schema, table: query.table, at: location, timeout: timeout)
        }
        let columns = try await rows(connection, timeout: timeout, closeOnCancel: true, """
            SELECT a.attname::text, a.attnum::int4, format_type(a.atttypid, a.atttypmod), bt.oid::int8, bt.typtype = 'e', a.attnotnull, a.atttypid::int8
            FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            WHERE a.attrelid = \(relation)::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
            """) { try $0.decode((String, Int32, String, Int64, Bool, Bool, Int64).self) }
        let byName = Dictionary(columns.map { ($0.0, $0) }, uniquingKeysWith: { first, _ in first })
        var kinds: [PostgresColumnKind] = []
        var oids: [[UInt32]] = []
        for column in query.keyColumns + query.columns {
            guard let found = byName[column] else {
                throw SourceError(.missingColumn, at: location, "table '\(name)' has no column '\(column)' (columns: \(columns.map(\.0).joined(separator: ", ")))")
            }
            guard let columnKind = PostgresColumnKind(oid: UInt32(truncatingIfNeeded: found.3), isEnum: found.4) else {
                throw SourceError(.unsupported, at: location,
                                  "column '\(column)' of table '\(name)' has type \(found.2), which streamrecon does not read; it reads \(PostgresColumnKind.supportedNames)")
            }
            kinds.append(columnKind)
            oids.append([UInt32(truncatingIfNeeded: found.3), UInt32(truncatingIfNeeded: found.6)])
        }
        let table = "\(quoted(schema)).\(quoted(query.table))"
        // Keys pair as text: the key's text is what duplicates are counted by. Several key
        // columns' texts are joined by ':' (NULL when any is NULL).
        let keyColumns = query.keyColumns.map(quoted)
        let keyTexts = zip(keyColumns, kinds).map { column, kind in kind == .bytea ? "'0x' || encode(\(column), 'hex')" : "\(column)::text" }
        let composite = keyColumns.count > 1
        let keyText = composite ? "(" + keyTexts.joined(separator: " || ':' || ") + ")" : keyTexts[0]
        let keyExpression = composite ? keyText : keyColumns[0]
        let keys = query.keyColumns.map { byName[$0]! }
        // A unique index on the one key column rules duplicates out (with several, 1 and '1' could still collide as text).
        let unique = composite ? false : try await rows(connection, timeout: timeout, closeOnCancel: true, """
            SELECT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = \(relation)::oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL
                AND i.indexprs IS NULL AND i.indnatts = 1 AND i.indkey[0] = \(Int16(truncatingIfNeeded: keys[0].1)))
            """) { try $0.decode(Bool.self) }.first ?? false
        let duplicates = unique ? [] : try await rows(connection, timeout: timeout, closeOnCancel: true, PostgresQuery(unsafeSQL: """
            SELECT k, count(*)::int8 FROM (SELECT \(keyText) AS k FROM \(table)) keys WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1 ORDER BY k
            """)) { try $0.decode((String, Int64).self) }.map { (key: $0.0, count: Int($0.1)) }
        var nullKeyRows: [String] = []
        let null = query.keyColumns.map { "'\($0)'" }.joined(separator: " or ")
        if !keys.allSatisfy(\.5) {
            let nulls = try await rows(connection, timeout: timeout, closeOnCancel: true, PostgresQuery(unsafeSQL: "SELECT count(*)::int8 FROM \(table) WHERE \(keyExpression) IS NULL")) {
                try $0.decode(Int64.self)
            }.first ?? 0
            if nulls > 0 {
                let ctids = ["r", "p", "m"].contains(kind) ? try await rows(connection, timeout: timeout, closeOnCancel: true, PostgresQuery(unsafeSQL: """
                    SELECT ctid::text FROM \(table) WHERE \(keyExpression) IS NULL LIMIT 100
                    """)) { try $0.decode(String.self) } : []
                nullKeyRows = ctids.isEmpty
                    ? Array(repeating: "a row of table '\(name)' has a null \(null)", count: Int(min(nulls, 100)))
                    : ctids.map { "row \($0) of table '\(name)' has a null \(null)" }
                if nulls > 100 { nullKeyRows.append("\(nulls - 100) more rows of table '\(name)' have a null \(null)") }
            }
        }
        // The key is read as the same text duplicates were counted by, so the two always agree.
        let select = ([keyText] + query.columns.map(quoted)).joined(separator: ", ")
        kinds.removeFirst(keyColumns.count - 1)
        oids.removeFirst(keyColumns.count - 1)
        kinds[0] = .text
        oids[0] = [25] // text
        return Table(relation: relation, relationKind: kind, qualifiedName: table, keyExpression: keyExpression, selectList: select, kinds: kinds, oids: oids, duplicates: duplicates,
                     nullKeyRows: nullKeyRows)
    }

    /// The table is not in its schema: say which tables are, and where a table of that name is.
    private static func missingTable(_ connection: PostgresConnection, schema: String, table: String, at location: String, timeout: Duration) async throws -> SourceError {
        let elsewhere = try await rows(connection, timeout: timeout, closeOnCancel: true, """
            SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname = \(table) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1
            """) { try $0.decode(String.self) }
        if !elsewhere.isEmpty {
            return SourceError(.missingTable, at: location,
                               "table '\(table)' not found in schema '\(schema)'; it is in schema \(elsewhere.map { "'\($0)'" }.joined(separator: ", ")): set db.schema in the rules")
        }
        let tables = try await rows(connection, timeout: timeout, closeOnCancel: true, """
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = \(schema) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname NOT LIKE 'reconciliation\\_%' ORDER BY 1 LIMIT 50
            """) { try $0.decode(String.self) }
        return SourceError(.missingTable, at: location, "table '\(table)' not found in schema '\(schema)'"
                           + (tables.isEmpty ? "; the schema has no tables" : " (tables: \(tables.joined(separator: ", ")))"))
    }

    static func rows<T>(_ connection: PostgresConnection, timeout: Duration = .seconds(300), closeOnCancel: Bool = false, _ query: PostgresQuery,
                        _ decode: (PostgresRow) throws -> T) async throws -> [T] {
        try await PostgresSession.rows(connection, query, timeout: timeout, closeOnCancel: closeOnCancel).map(decode)
    }
}
