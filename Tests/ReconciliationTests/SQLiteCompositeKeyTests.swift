import Foundation
import ReconEngine
import ReconSources
import ReconSQLite
import Testing

/// A key of two columns (`key.db: [chain_id, stream_id]`, for `evm.deployments`): their texts joined by ':'.
struct SQLiteCompositeKeyTests {
    let scratch: Scratch
    let query: SourceQuery

    init() throws {
        scratch = try Scratch()
        var query = SourceQuery(ruleSet: try fourFieldRuleSet(), batchSize: 2)
        query.keyColumns = ["chain_id", "id"]
        self.query = query
    }

    func read(_ path: String) async throws -> (keys: [String], values: [[RawValue]], duplicates: [String], skipped: [String]) {
        let pages = try await SQLiteAppDatabase(path: path).open(query)
        var records: [SourceRecord] = []
        while let page = try await pages.next() { records += page }
        return (records.map(\.key), records.map(\.values), pages.duplicateKeys.map { "\($0.key)×\($0.count)" }, pages.skippedRows)
    }

    @Test func theKeyIsTheColumnsJoinedByAColonAndTheValuesFollow() async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (id INTEGER, chain_id INTEGER, total_amount, released_amount, status, recipient);
            INSERT INTO streams VALUES (42, 1, 10, 1, 'active', 'x'), (42, 8453, 20, 2, 'active', 'y'), ('7', '1', 30, 3, 'done', 'z');
            """)
        let read = try await read(path)
        #expect(read.keys == ["1:42", "8453:42", "1:7"])
        #expect(read.values[1] == [.integer(20), .integer(2), "active", "y"])
        #expect(read.duplicates.isEmpty && read.skipped.isEmpty)
    }

    @Test func duplicatesAreReportedAsTextAndANullInEitherColumnSkipsTheRow() async throws {
        let path = try scratch.database(sql: """
            CREATE TABLE streams (id TEXT, chain_id INTEGER, total_amount, released_amount, status, recipient);
            CREATE UNIQUE INDEX streams_id ON streams(id, chain_id);
            INSERT INTO streams VALUES ('1', 1, 1, 1, 'active', 'x'), ('1', 5, 1, 1, 'active', 'x'), (NULL, 1, 1, 1, 'active', 'x'),
                ('2', NULL, 1, 1, 'active', 'x'), ('3', 1, 1, 1, 'active', 'x');
            """)
        let read = try await read(path)
        #expect(read.keys == ["1:1", "5:1", "1:3"])
        #expect(read.skipped == ["row 3 of table 'streams' has a null 'chain_id' or 'id'", "row 4 of table 'streams' has a null 'chain_id' or 'id'"])
        #expect(read.duplicates.isEmpty)
        // 1 and '1' are one chain id as text: the unique index does not rule that out.
        let duplicated = try scratch.database("duplicated.sqlite", sql: """
            CREATE TABLE streams (id TEXT, chain_id, total_amount, released_amount, status, recipient);
            CREATE UNIQUE INDEX streams_key ON streams(chain_id, id);
            INSERT INTO streams VALUES ('9', 1, 1, 1, 'active', 'x'), ('9', '1', 1, 1, 'active', 'x'), ('9', 2, 1, 1, 'active', 'x');
            """)
        #expect(try await self.read(duplicated).duplicates == ["1:9×2"])
    }

    @Test func aMissingKeyColumnIsNamedAndTablesWithoutRowIDAreRefused() async throws {
        let path = try scratch.database(sql: "CREATE TABLE streams (id TEXT, total_amount, released_amount, status, recipient);")
        await #expect(throws: SourceError(.missingColumn, at: path,
                                          "table 'streams' has no column 'chain_id' (columns: id, total_amount, released_amount, status, recipient)")) {
            try await read(path)
        }
        let keyed = try scratch.database("keyed.sqlite", sql: """
            CREATE TABLE streams (id TEXT, chain_id INTEGER, total_amount, released_amount, status, recipient, PRIMARY KEY (chain_id, id)) WITHOUT ROWID;
            """)
        await #expect(throws: SourceError(.unsupported, at: keyed, "table 'streams' is a WITHOUT ROWID table, which a key of several columns "
                                              + "(chain_id, id) cannot page through yet")) {
            try await read(keyed)
        }
    }
}
