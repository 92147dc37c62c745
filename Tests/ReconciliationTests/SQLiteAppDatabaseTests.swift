import Foundation
import GRDB
import ReconEngine
import ReconSources
import ReconSQLite
import Testing

struct SQLiteAppDatabaseTests {
    let scratch: Scratch
    let query: SourceQuery

    init() throws {
        scratch = try Scratch()
        query = SourceQuery(ruleSet: try fourFieldRuleSet(), batchSize: 2)
    }

    func readAll(_ path: String, query: SourceQuery? = nil) async throws -> (pages: [[SourceRecord]], duplicates: [String]) {
        let pages = try await SQLiteAppDatabase(path: path).open(query ?? self.query)
        var result: [[SourceRecord]] = []
        while let page = try await pages.next() { result.append(page) }
        return (result, pages.duplicateKeys.map { "\($0.key)×\($0.count)" })
    }

    @Test func readsTheMappedColumnsPageByPage() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let (pages, duplicates) = try await readAll(path)
        #expect(pages.map(\.count) == [2, 2, 2, 2])
        #expect(pages.flatMap { $0 }.map(\.key) == ["stream_1", "stream_2", "stream_3", "stream_4", "stream_6", "stream_7", "stream_8", "stream_9"])
        #expect(pages[0][1] == SourceRecord(key: "stream_2", values: ["1000", "500", "active", "0xde709f2102306220921060314715629080e2fb77"]))
        #expect(duplicates.isEmpty)
    }

    @Test func storageClassesBecomeRawValues() async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (id INTEGER PRIMARY KEY, total_amount, released_amount, status, recipient);
            INSERT INTO streams VALUES (7, 1.5, NULL, X'00ff', 12);
            """)
        let (pages, _) = try await readAll(path)
        #expect(pages == [[SourceRecord(key: "7", values: [.decimal("1.5"), .null, "0x00ff", .integer(12)])]])
    }

    @Test func withoutRowIDTablesPageByKey() async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (id TEXT PRIMARY KEY, total_amount, released_amount, status, recipient) WITHOUT ROWID;
            INSERT INTO streams VALUES ('c', 1, 1, 'active', 'x'), ('a', 2, 2, 'active', 'x'), ('b', 3, 3, 'active', 'x');
            """)
        let (pages, _) = try await readAll(path)
        #expect(pages.flatMap { $0 }.map(\.key) == ["a", "b", "c"])
        #expect(pages.map(\.count) == [2, 1])
    }

    @Test func reportsDuplicateKeys() async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (id TEXT, total_amount, released_amount, status, recipient);
            INSERT INTO streams VALUES ('a', 1, 1, 'active', 'x'), ('a', 2, 2, 'active', 'x'), ('b', 3, 3, 'active', 'x');
            """)
        #expect(try await readAll(path).duplicates == ["a×2"])
    }

    @Test func aMissingTableIsNamed() async throws {
        let path = try scratch.database(sql: "CREATE TABLE payments (id TEXT); CREATE TABLE users (id TEXT);")
        await #expect(throws: SourceError(.missingTable, at: path, "table 'streams' not found (tables: payments, users)")) {
            try await readAll(path)
        }
        let empty = try scratch.database("empty.sqlite", sql: "")
        await #expect(throws: SourceError(.missingTable, at: empty, "table 'streams' not found; the database has no tables")) {
            try await readAll(empty)
        }
    }

    @Test func aMissingColumnIsNamed() async throws {
        let path = try scratch.database(sql: "CREATE TABLE streams (id TEXT, total_amount TEXT, status TEXT, recipient TEXT);")
        await #expect(throws: SourceError(.missingColumn, at: path,
                                          "table 'streams' has no column 'released_amount' (columns: id, total_amount, status, recipient)")) {
            try await readAll(path)
        }
    }

    @Test func aMissingFileAndANonDatabaseFile() async throws {
        await #expect(throws: SourceError(.notFound, at: "/no/such.sqlite", "app database not found")) {
            try await readAll("/no/such.sqlite")
        }
        let text = try scratch.file("notes.sqlite", String(repeating: "not a database ", count: 100))
        await #expect(throws: SourceError(.unreadable, at: text, "not an SQLite database")) { try await readAll(text) }
    }

    @Test func rowsWithANullKeyAreLeftOutAndDescribed() async throws {
        for index in ["", "CREATE INDEX streams_id ON streams(id);"] {
            let path = try scratch.database("null-\(index.count).sqlite", sql: """
                CREATE TABLE streams (id TEXT, total_amount, released_amount, status, recipient); \(index)
                INSERT INTO streams VALUES ('a', 1, 1, 'active', 'x'), (NULL, 1, 1, 'active', 'x'), ('b', 1, 1, 'active', 'x');
                """)
            let pages = try await SQLiteAppDatabase(path: path).open(query)
            var keys: [String] = []
            while let page = try await pages.next() { keys += page.map(\.key) }
            #expect(keys == ["a", "b"])
            #expect(pages.skippedRows == ["row 2 of table 'streams' has a null 'id'"])
        }
    }

    /// Pages follow the rowid: a row the app rewrites mid-run comes round again (the chain view
    /// then answers `.alreadySeen`; see ReconcilerTests.aRowReadTwiceIsReconciledOnce).
    @Test func aRowTheAppRewritesDuringTheRunComesRoundAgain() async throws {
        let path = try scratch.database(sql: streamsSQL((0..<6).map { ("s\($0)", "1", "0", "active", alice) }))
        let pages = try await SQLiteAppDatabase(path: path).open(query) // pages of 2, by rowid
        var keys = try #require(try await pages.next()).map(\.key)
        // INSERT OR REPLACE gives s0 a new rowid, after every other row.
        let app = try DatabaseQueue(path: path)
        try await app.write { try $0.execute(sql: "INSERT OR REPLACE INTO streams (id, total_amount, released_amount, status, recipient) VALUES ('s0', '2', '0', 'active', '\(alice)')") }
        while let page = try await pages.next() { keys += page.map(\.key) }
        #expect(keys == ["s0", "s1", "s2", "s3", "s4", "s5", "s0"])
    }

    /// A unique index lets the duplicate scan be skipped only when it really rules duplicates out.
    @Test(arguments: [
        ("id TEXT PRIMARY KEY", "('a'), ('b')", [String]()),
        ("id TEXT UNIQUE", "('a'), (NULL), (NULL)", []),
        ("id UNIQUE", "(7), ('7')", ["7×2"]),
        ("id TEXT", "('a'), ('a')", ["a×2"]),
    ])
    func uniqueIndexesAndDuplicates(_ column: String, _ keys: String, _ expected: [String]) async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (\(column), total_amount, released_amount, status, recipient);
            INSERT INTO streams (id) VALUES \(keys);
            """)
        #expect(try await readAll(path).duplicates == expected)
    }

    @Test(arguments: [
        ("id TEXT", "CREATE UNIQUE INDEX streams_id ON streams(id) WHERE total_amount IS NOT NULL", "('a', 1), ('a', NULL)", "a×2"),
        ("id TEXT COLLATE NOCASE", "CREATE UNIQUE INDEX streams_id ON streams(id COLLATE BINARY)", "('a', 1), ('A', 2)", "A×2"),
    ])
    func aUniqueIndexThatAllowsDuplicatesDoesNotRuleThemOut(_ column: String, _ index: String, _ rows: String, _ expected: String) async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (\(column), total_amount, released_amount, status, recipient);
            \(index);
            INSERT INTO streams (id, total_amount) VALUES \(rows);
            """)
        #expect(try await readAll(path).duplicates == [expected])
    }

    @Test func keysThatDifferOnlyInTypeAreDuplicates() async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (id, total_amount, released_amount, status, recipient);
            INSERT INTO streams VALUES (7, 1, 1, 'active', 'x'), ('7', 2, 2, 'active', 'x');
            """)
        #expect(try await readAll(path).duplicates == ["7×2"])
    }

    @Test func aDirectoryIsNotADatabase() async {
        await #expect(throws: SourceError(.unreadable, at: scratch.url.path, "is a directory, not an SQLite database file")) {
            try await readAll(scratch.url.path)
        }
    }

    @Test func openingReadOnlyLeavesTheFileUntouched() async throws {
        let path = try scratch.database(sql: try demoSQL())
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        _ = try await readAll(path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    /// A REAL is read as its exact decimal value: checked against glibc's exact printf.
    @Test func realsAreReadAsTheirExactDecimalValue() {
        func printf(_ double: Double) -> String {
            var text = String(format: "%.1100f", double)
            while text.hasSuffix("0"), !text.hasSuffix(".0") { text.removeLast() }
            return text
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<300).map { _ in Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator)) }.filter(\.isFinite)
        let values: [Double] = [0.1, 1.5, -2.25, 1, 2, 1e300, -1e-300, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .leastNormalMagnitude,
                                123_456_789.123, 9_007_199_254_740_993, 0.000001] + random
        for value in values {
            #expect(SQLiteValues.exactText(value) == printf(value), "\(value)")
        }
        #expect(SQLiteValues.exactText(0.1) == "0.1000000000000000055511151231257827021181583404541015625")
        #expect(SQLiteValues.exactText(-0.0) == "-0.0" && SQLiteValues.exactText(0) == "0.0")
        #expect(SQLiteValues.exactText(.infinity) == "inf" && SQLiteValues.exactText(2) == "2.0")
    }
}
