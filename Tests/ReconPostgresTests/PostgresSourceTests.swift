import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PostgresRig
import ReconEngine
import ReconPostgres
import ReconSources
import TestSupport
import Testing

@Suite("PostgreSQL source", .enabled(if: postgresAvailable, "no PostgreSQL server binaries on this machine (/usr/lib/postgresql/*/bin)"))
struct PostgresSourceTests {
    /// How long a timeout or a stop may take to end a read in these tests: generous, because on a
    /// loaded 2-core machine the synchronous CLI tests can hold the cooperative pool that resumes
    /// them (52 s and 41 s were seen against a 1 s timeout). The slow statements sleep 300 s, so a
    /// read that ends within the bound still ended by the timeout or the stop, not the statement.
    static let loadedMachineBound: Duration = .seconds(120)

    /// Every column type the source reads, at its edges, read exactly.
    @Test func everyTypeIsReadExactly() async throws {
        let database = try await TestDatabase("""
            CREATE TYPE mood AS ENUM ('active', 'completed');
            CREATE DOMAIN uint256 AS numeric(78, 0) CHECK (VALUE >= 0);
            CREATE TABLE streams (
                id text PRIMARY KEY, v varchar(20), c char(3), n numeric(78, 0), d numeric(36, 18), s int2, i int4, b int8,
                f bool, tz timestamptz, ts timestamp, addr bytea, u uuid, m mood, dom uint256
            );
            INSERT INTO streams VALUES
                ('max', 'x', 'ab', 115792089237316195423570985008687907853269984665640564039457584007913129639935,
                 -0.000000000000000001, -32768, -2147483648, -9223372036854775808, true, '2023-11-14 22:13:20+00', '1970-01-01 00:00:00',
                 '\\x52908400098527886e0f7030069857d2e4169ee7', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'completed',
                 170141183460469231731687303715884105728),
                ('edges', '', 'abc', 170141183460469231731687303715884105727, 1.5, 32767, 2147483647, 9223372036854775807, false,
                 '1969-12-31 23:59:59.75+00', '2000-01-01 00:00:00.5', '\\x', '00000000-0000-0000-0000-000000000000', 'active', 0),
                ('nulls', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                ('zero', 'z', 'z', 0, 0, 0, 0, 0, false, 'infinity', '-infinity', '\\x00ff', '00000000-0000-0000-0000-000000000001', 'active', 10000),
                ('int64', 'i', 'i', 9223372036854775807, -922337203685477580.5, 0, 0, 0, false, NULL, NULL, NULL, NULL, NULL, 9223372036854775808),
                ('neg', 'n', 'n', 0, -12345678, 0, 0, 0, false, NULL, NULL, NULL, NULL, NULL, 123456789012);
            """)
        let columns = ["v", "c", "n", "d", "s", "i", "b", "f", "tz", "ts", "addr", "u", "m", "dom"]
        let rows = try await readAll(PostgresAppDatabase(location: try database.location()), try rules(columns.map { ($0, "string") }))
        #expect(rows["max"] == [
            .text("x"), .text("ab "), .text("115792089237316195423570985008687907853269984665640564039457584007913129639935"),
            .decimal("-0.000000000000000001"), .integer(-32768), .integer(-2147483648), .integer(.min), .bool(true),
            .integer(1_700_000_000), .integer(0), .text("0x52908400098527886e0f7030069857d2e4169ee7"),
            .text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), .text("completed"), .text("170141183460469231731687303715884105728"),
        ])
        #expect(rows["edges"] == [
            .text(""), .text("abc"), .text("170141183460469231731687303715884105727"), .decimal("1.500000000000000000"),
            .integer(32767), .integer(2147483647), .integer(.max), .bool(false), .decimal("-0.25"), .decimal("946684800.5"),
            .text("0x"), .text("00000000-0000-0000-0000-000000000000"), .text("active"), .integer(0),
        ])
        #expect(rows["nulls"] == Array(repeating: .null, count: columns.count))
        // Whole numbers that fit 64 bits arrive as integers, larger ones as their text; either way exact.
        #expect(rows["int64"]?[2] == .integer(.max) && rows["int64"]?[13] == .text("9223372036854775808"))
        #expect(rows["int64"]?[3] == .decimal("-922337203685477580.500000000000000000"))
        #expect(rows["neg"]?[3] == .decimal("-12345678.000000000000000000") && rows["neg"]?[13] == .integer(123_456_789_012))
        #expect(rows["zero"]?[2...3] == [.integer(0), .decimal("0.000000000000000000")])
        #expect(rows["zero"]?[8...10] == [.text("infinity"), .text("-infinity"), .text("0x00ff")])
        #expect(rows["zero"]?[13] == .integer(10000))
    }

    /// `numeric(78,0)` beyond what an amount holds is an invalid value naming the number, never a rounded one.
    @Test func amountsBeyond128BitsAreInvalidNotRounded() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text PRIMARY KEY, total numeric(78, 0));
            INSERT INTO streams VALUES ('big', 340282366920938463463374607431768211456), ('edge', 170141183460469231731687303715884105727);
            """)
        let ruleSet = try rules([("total", "amount")])
        let rows = try await readAll(PostgresAppDatabase(location: try database.location()), ruleSet)
        let amount = ruleSet.fields[0].type
        guard case .failure(let invalid) = amount.parse(try #require(rows["big"]?[0])) else {
            Issue.record("2^128 parsed as an amount")
            return
        }
        #expect(invalid.reason.contains("340282366920938463463374607431768211456"))
        guard case .success(let edge) = amount.parse(try #require(rows["edge"]?[0])) else {
            Issue.record("2^127 - 1 is an amount")
            return
        }
        #expect(amount.render(edge) == "170141183460469231731687303715884105727")
    }

    /// `numeric(40,18)` in whole tokens with `decimals: { db: 18 }`: exact base units; a NULL in a
    /// nullable field is null; a value scaled beyond 128 bits is invalid, never wrapped.
    @Test func tokenUnitNumericsScaleExactlyWithDecimals() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text PRIMARY KEY, total numeric(40, 18));
            INSERT INTO streams VALUES ('half', 1.5), ('tiny', -0.000000000000000001), ('none', NULL), ('whole', 7),
                ('big', 170141183460469231731.687303715884105728);
            """)
        let ruleSet = try rules([("total", "amount, nullable: true, decimals: { db: 18 }")])
        let rows = try await readAll(PostgresAppDatabase(location: try database.location()), ruleSet)
        let field = ruleSet.fields[0]
        func base(_ key: String) throws -> String? {
            switch field.parseDB(try #require(rows[key]?[0])) {
            case .success(let value): field.display(value) ?? "null"
            case .failure(let error): error.reason
            }
        }
        #expect(try base("half") == "1500000000000000000")
        #expect(try base("tiny") == "-1")
        #expect(try base("none") == "null")
        #expect(try base("whole") == "7000000000000000000")
        #expect(try base("big") == "'170141183460469231731.687303715884105728' with 18 decimals is beyond an amount's 128 bits "
            + "(170141183460469231731687303715884105727 base units)")
    }

    @Test func anUnsupportedColumnTypeIsAnErrorNamingTheColumnAndType() async throws {
        let database = try await TestDatabase("CREATE TABLE streams (id text PRIMARY KEY, meta jsonb, ok text);")
        let source = PostgresAppDatabase(location: try database.location())
        await #expect(throws: SourceError(.unsupported, at: source.displayName, """
            column 'meta' of table 'public.streams' has type jsonb, which streamrecon does not read; it reads text, varchar, char, \
            numeric, int2, int4, int8, bool, timestamptz, timestamp, bytea, uuid and enum types
            """)) {
            _ = try await readAll(source, try rules([("ok", "string"), ("meta", "string")]))
        }
    }

    @Test func aMissingTableOrColumnSaysWhatThereIs() async throws {
        let database = try await TestDatabase("""
            CREATE SCHEMA app; CREATE TABLE app.streams (id text PRIMARY KEY, total text); CREATE TABLE payments (id text);
            """)
        let source = PostgresAppDatabase(location: try database.location())
        await #expect(throws: SourceError(.missingTable, at: source.displayName,
                                          "table 'streams' not found in schema 'public'; it is in schema 'app': set db.schema in the rules")) {
            _ = try await readAll(source, try rules([("total", "string")]))
        }
        await #expect(throws: SourceError(.missingTable, at: source.displayName, "table 'ledger' not found in schema 'public' (tables: payments)")) {
            _ = try await readAll(source, try rules(table: "ledger", [("total", "string")]))
        }
        await #expect(throws: SourceError(.missingColumn, at: source.displayName, "table 'app.streams' has no column 'amount' (columns: id, total)")) {
            _ = try await readAll(source, try rules(schema: "app", [("amount", "string")]))
        }
        #expect(try await readAll(source, try rules(schema: "app", [("total", "string")])).isEmpty)
    }

    /// A view is read like a table; duplicate and NULL keys are reported as for SQLite.
    @Test func viewsDuplicateAndNullKeys() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE base (id text, total int8);
            INSERT INTO base VALUES ('a', 1), ('a', 2), ('b', 3), (NULL, 4), (NULL, 5);
            CREATE VIEW streams AS SELECT id, total FROM base;
            CREATE TABLE tbl (id text, total int8);
            INSERT INTO tbl VALUES ('a', 1), (NULL, 2);
            """)
        let source = PostgresAppDatabase(location: try database.location())
        let pages = try await source.open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 1))
        var keys: [String] = []
        while let page = try await pages.next() { keys += page.map(\.key) }
        #expect(keys.sorted() == ["a", "a", "b"])
        #expect(pages.duplicateKeys.map(\.key) == ["a"] && pages.duplicateKeys.map(\.count) == [2])
        #expect(pages.skippedRows == Array(repeating: "a row of table 'public.streams' has a null 'id'", count: 2))
        let table = try await source.open(SourceQuery(ruleSet: try rules(table: "tbl", [("total", "amount")])))
        while try await table.next() != nil {}
        #expect(table.skippedRows == ["row (0,2) of table 'public.tbl' has a null 'id'"])
    }

    /// Pages are fetched ahead of the one asked for: every row still comes exactly once, pages are
    /// never longer than the batch size, and paging ends whether the last page is full, short or
    /// there are no rows at all.
    @Test(arguments: [(rows: 12, batch: 3), (rows: 13, batch: 3), (rows: 2, batch: 5), (rows: 0, batch: 4), (rows: 7, batch: 1)])
    func pagesReadAheadGiveEveryRowOnce(_ shape: (rows: Int, batch: Int)) async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text PRIMARY KEY, total int8);
            INSERT INTO streams SELECT 's' || g, g FROM generate_series(1, \(shape.rows)) g;
            """)
        let pages = try await PostgresAppDatabase(location: try database.location())
            .open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: shape.batch))
        var keys: [String] = []
        while let page = try await pages.next() {
            #expect(!page.isEmpty && page.count <= shape.batch)
            keys += page.map(\.key)
        }
        #expect(keys.sorted() == (1...max(shape.rows, 1)).prefix(shape.rows).map { "s\($0)" }.sorted())
        #expect(try await pages.next() == nil)
    }

    /// 20,000 rows: over 100 blocks, which a `splitFromBlocks` of 2 reads over two connections.
    static let largeTable = """
        CREATE TABLE streams (id text PRIMARY KEY, total int8);
        INSERT INTO streams SELECT 's' || g, g FROM generate_series(1, 20000) g;

        """
    static let fetchingSessions = """
        SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'FETCH%'
        """

    /// A table of `splitFromBlocks` blocks or more is read over two connections, each half of its
    /// blocks in the first's snapshot: both read at once, and every row comes exactly once, as it
    /// was when the read began.
    @Test func aLargeTableIsReadOverTwoConnectionsInOneSnapshot() async throws {
        let database = try await TestDatabase(Self.largeTable)
        let pages = try await PostgresAppDatabase(location: try database.location(), splitFromBlocks: 2)
            .open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 100))
        var keys: [String] = []
        for _ in 0..<2 { keys += try #require(try await pages.next()).map(\.key) }
        _ = try await Poll.until("two sessions fetching pages") { try database.psql(Self.fetchingSessions) == "2" ? true : nil }
        // Changed after the read began: neither half sees it.
        try database.psql("DELETE FROM streams WHERE id IN ('s1', 's20000'); INSERT INTO streams VALUES ('late', 0)")
        while let page = try await pages.next() { keys += page.map(\.key) }
        #expect(keys.count == 20000)
        #expect(Set(keys).symmetricDifference((1...20000).map { "s\($0)" }).isEmpty)
    }

    /// The second half is read in the snapshot the first exported: rows updated (moved past the
    /// split, as an update that does not fit on its page moves them) or deleted between the
    /// export and the second connection's start are read once, as they were.
    @Test func theSecondHalfIsReadInTheFirstsSnapshot() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text PRIMARY KEY, total int8) WITH (fillfactor = 100);
            INSERT INTO streams SELECT 's' || g, g FROM generate_series(1, 20000) g;
            """)
        var source = PostgresAppDatabase(location: try database.location(), splitFromBlocks: 2)
        source.snapshotExported = {
            _ = try? database.psql("""
                UPDATE streams SET total = -total WHERE id IN (SELECT 's' || g FROM generate_series(1, 2000) g);
                DELETE FROM streams WHERE id IN (SELECT 's' || g FROM generate_series(19001, 20000) g);
                """)
        }
        let rows = try await source.open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 500))
        var read: [SourceRecord] = []
        while let page = try await rows.next() { read += page }
        #expect(read.count == 20000)
        #expect(Set(read.map(\.key)).symmetricDifference((1...20000).map { "s\($0)" }).isEmpty)
        #expect(read.allSatisfy { record in record.values == [.integer(Int64(record.key.dropFirst())!)] })
        // The changes were made, and moved the updated rows past the split.
        #expect(try database.psql("SELECT count(*) FROM streams WHERE total < 0 AND (ctid::text::point)[0] >= (pg_relation_size('streams') / 8192) / 2") == "2000")
    }

    /// Either connection of a split read lost: the read fails saying so, and the other is closed.
    @Test func aSplitReadFailsWhenOneConnectionIsLost() async throws {
        let database = try await TestDatabase(Self.largeTable)
        let pages = try await PostgresAppDatabase(location: try database.location(), splitFromBlocks: 2)
            .open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 100))
        for _ in 0..<2 { _ = try await pages.next() }
        _ = try await Poll.until("two sessions fetching pages") { try database.psql(Self.fetchingSessions) == "2" ? true : nil }
        _ = try database.psql("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND query LIKE 'FETCH%' ORDER BY backend_start DESC LIMIT 1
            """)
        do {
            while try await pages.next() != nil {}
            Issue.record("the read went on after one of its connections was lost")
        } catch {
            #expect(error.message.hasPrefix("the connection to the database was lost") || error.message.contains("terminating connection"), "\(error)")
        }
        _ = try await Poll.until("the other connection closed") { try database.psql(Self.fetchingSessions) == "0" ? true : nil }
    }

    /// The server refuses what a split read needs, a second connection (a role allowed one) or
    /// exporting the snapshot (`EXECUTE` revoked, as a hardened server may): the large table is
    /// read over one connection, all of it.
    @Test(arguments: [(role: "CONNECTION LIMIT 1", database: ""), (role: "", database: "REVOKE EXECUTE ON FUNCTION pg_export_snapshot() FROM PUBLIC")])
    func aLargeTableIsReadOverOneConnectionWhenTheSplitIsRefused(_ refusal: (role: String, database: String)) async throws {
        let database = try await TestDatabase(Self.largeTable + refusal.database)
        let role = "one_" + database.name.suffix(12)
        try database.psql("CREATE ROLE \(role) LOGIN PASSWORD 'one-pass-1' \(refusal.role); GRANT SELECT ON streams TO \(role);")
        let location = try PostgresLocation(database.url(user: role, password: "one-pass-1"), environment: [:])
        let rows = try await readAll(PostgresAppDatabase(location: location, splitFromBlocks: 2), try rules([("total", "amount")]), batchSize: 500)
        #expect(rows.count == 20000 && rows["s20000"] == [.integer(20000)])
    }

    /// A key of two columns (`evm.deployments`): their texts joined by ':', a NULL in either skips
    /// the row, duplicates counted by that text, a missing column named.
    @Test func aCompositeKeyJoinsItsColumnsTexts() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (chain_id int8, id text, total int8, UNIQUE (chain_id, id));
            INSERT INTO streams VALUES (1, '42', 1), (8453, '42', 2), (1, NULL, 3), (NULL, '7', 4), (1, '7', 5);
            CREATE TABLE twice (chain_id text, id int8, total int8);
            INSERT INTO twice VALUES ('1', 9, 1), ('1', 9, 2), ('2', 9, 3);
            """)
        let source = PostgresAppDatabase(location: try database.location())
        var query = SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 2)
        query.keyColumns = ["chain_id", "id"]
        let pages = try await source.open(query)
        var records: [SourceRecord] = []
        while let page = try await pages.next() { records += page }
        #expect(records.map(\.key).sorted() == ["1:42", "1:7", "8453:42"])
        #expect(records.first { $0.key == "8453:42" }?.values == [.integer(2)])
        #expect(pages.duplicateKeys.isEmpty)
        #expect(pages.skippedRows == ["row (0,3) of table 'public.streams' has a null 'chain_id' or 'id'",
                                      "row (0,4) of table 'public.streams' has a null 'chain_id' or 'id'"])
        query.table = "twice"
        let twice = try await source.open(query)
        while try await twice.next() != nil {}
        #expect(twice.duplicateKeys.map(\.key) == ["1:9"] && twice.duplicateKeys.map(\.count) == [2])
        query.keyColumns = ["chain", "id"]
        await #expect(throws: SourceError.self) { _ = try await source.open(query) }
    }

    /// A role with SELECT on the streams table only, and a read-only transaction: enough to read.
    @Test func aRoleWithOnlySelectOnTheTableCanRead() async throws {
        let database = try await TestDatabase(try demoSQL())
        let role = "ro_" + database.name.suffix(12)
        try database.psql("""
            CREATE ROLE \(role) LOGIN PASSWORD 'ro-pass-1';
            GRANT CONNECT ON DATABASE \(database.name) TO \(role);
            GRANT SELECT ON streams TO \(role);
            """)
        let location = try PostgresLocation(database.url(user: role, password: "ro-pass-1"), environment: [:])
        let rows = try await readAll(PostgresAppDatabase(location: location),
                                     try RulesCompiler().load(path: repositoryRoot.appendingPathComponent("Rules/streams.yaml").path))
        #expect(rows.count == 8)
    }

    /// The read is one FETCH per page, so a statement_timeout bounds each page; one too short for
    /// a statement (here the duplicate-key scan of a table without a unique key) fails the run
    /// with one line that says what to change.
    @Test func aStatementTimeoutOnTheRoleIsOneLine() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text, total int8);
            INSERT INTO streams SELECT 's' || g, g FROM generate_series(1, 300000) g;
            """)
        let role = "slow_" + database.name.suffix(12)
        try database.psql("""
            CREATE ROLE \(role) LOGIN PASSWORD 'slow-pass-1'; GRANT SELECT ON streams TO \(role);
            ALTER ROLE \(role) SET statement_timeout = '1ms';
            """)
        let location = try PostgresLocation(database.url(user: role, password: "slow-pass-1"), environment: [:])
        let failure = await #expect(throws: SourceError.self) {
            _ = try await readAll(PostgresAppDatabase(location: location), try rules([("total", "amount")]), batchSize: 100)
        }
        #expect(failure?.message.hasPrefix("canceling statement due to statement timeout (SQLSTATE 57014); a statement_timeout may be set for this role") == true,
                "\(failure?.message ?? "")")
        #expect(failure?.description.contains("slow-pass-1") == false)
    }

    /// The server ends the connection mid-read: the read fails with one line, promptly.
    @Test func aConnectionLostMidReadFails() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text PRIMARY KEY, total int8);
            INSERT INTO streams SELECT 's' || g, g FROM generate_series(1, 100000) g;
            """)
        let source = PostgresAppDatabase(location: try database.location())
        let pages = try await source.open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 10))
        _ = try await pages.next()
        try database.terminateOtherSessions()
        await #expect(throws: SourceError.self) {
            while try await pages.next() != nil {}
        }
    }

    /// The connection is lost while no `FETCH` is in flight (the pages read ahead have arrived):
    /// the next one fails saying the connection was lost, not that it was closed.
    @Test func aConnectionLostBetweenPagesSaysSo() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id text PRIMARY KEY, total int8);
            INSERT INTO streams SELECT 's' || g, g FROM generate_series(1, 1000) g;
            """)
        let pages = try await PostgresAppDatabase(location: try database.location())
            .open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 10))
        _ = try await pages.next()
        _ = try await Poll.until("the reader idle between pages") {
            try database.psql("""
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND state = 'idle in transaction' AND query LIKE 'FETCH%'
                """) == "1" ? true : nil
        }
        try database.terminateOtherSessions()
        do {
            while try await pages.next() != nil {}
            Issue.record("the read went on after its connection was lost")
        } catch {
            #expect(error.message.hasPrefix("the connection to the database was lost") || error.message.contains("terminating connection"), "\(error)")
        }
    }

    @Test func credentialsNeverReachErrors() async throws {
        let database = try await TestDatabase("")
        let location = try PostgresLocation(database.url(password: "Wr0ng-Secret"), environment: [:])
        let failure = await #expect(throws: SourceError.self) {
            _ = try await readAll(PostgresAppDatabase(location: location), try rules([("total", "string")]))
        }
        #expect(failure?.message.hasPrefix("cannot log in: password authentication failed for user \"postgres\" (SQLSTATE 28P01)") == true)
        #expect(failure?.description.contains("Wr0ng-Secret") == false)
        #expect(!location.displayName.contains("Wr0ng-Secret"))
    }

    @Test(arguments: ["disable", "prefer", "require", "verify-ca", "verify-full"])
    func tlsModes(mode: String) async throws {
        let database = try await TestDatabase("CREATE TABLE streams (id text PRIMARY KEY, total int8); INSERT INTO streams VALUES ('a', 1);")
        let query = "sslmode=\(mode)&sslrootcert=\(database.rig.caCertificatePath)"
        let rows = try await readAll(PostgresAppDatabase(location: try database.location(query: query)), try rules([("total", "amount")]))
        #expect(rows == ["a": [.integer(1)]])
    }

    @Test func verifyFullRefusesACertificateItCannotTrust() async throws {
        let database = try await TestDatabase("CREATE TABLE streams (id text PRIMARY KEY, total int8);")
        let wrongCA = FileManager.default.temporaryDirectory.appendingPathComponent("wrong-ca-\(UUID().uuidString).pem").path
        // Any other CA: the system's bundle does not hold the rig's test CA.
        try FileManager.default.copyItem(atPath: "/etc/ssl/certs/ca-certificates.crt", toPath: wrongCA)
        defer { try? FileManager.default.removeItem(atPath: wrongCA) }
        // verify-full, and require with a root certificate (which then checks the chain, as libpq does).
        for mode in ["verify-full", "require"] {
            let source = PostgresAppDatabase(location: try database.location(query: "sslmode=\(mode)&sslrootcert=\(wrongCA)"))
            let failure = await #expect(throws: SourceError.self) { _ = try await readAll(source, try rules([("total", "amount")])) }
            #expect(failure?.message.hasPrefix("cannot connect: TLS") == true, "\(mode): \(failure?.message ?? "")")
        }
    }

    /// A `char(n)` key pairs and counts as PostgreSQL compares it (without its padding), and an
    /// invalid unique index (a failed concurrent build) does not rule duplicates out.
    @Test func paddedKeysAndInvalidIndexes() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE streams (id char(4), total int8);
            INSERT INTO streams VALUES ('a', 1), ('a', 2), ('b', 3);
            """)
        _ = try? database.psql("CREATE UNIQUE INDEX CONCURRENTLY streams_id ON streams (id)")
        #expect(try database.psql("SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indrelid = 'streams'::regclass") == "1")
        let source = PostgresAppDatabase(location: try database.location())
        let pages = try await source.open(SourceQuery(ruleSet: try rules([("total", "amount")])))
        var keys: [String] = []
        while let page = try await pages.next() { keys += page.map(\.key) }
        #expect(keys.sorted() == ["a", "a", "b"])
        #expect(pages.duplicateKeys.map(\.key) == ["a"])
    }

    /// A stopped run does not wait for a slow statement: the read ends at once, as stopped.
    @Test func aStoppedReadEndsAtOnce() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE base (id text, total int8);
            INSERT INTO base VALUES ('a', 1);
            CREATE VIEW streams AS SELECT id, total FROM base, (SELECT pg_sleep(300)) AS slow;
            """)
        defer { try? database.terminateOtherSessions() } // the 300 s statement holds a connection until it ends
        let source = PostgresAppDatabase(location: try database.location())
        let ruleSet = try rules([("total", "amount")])
        let read = Task { try await source.open(SourceQuery(ruleSet: ruleSet)) }
        try await Poll.until("the slow statement to run") {
            try database.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()") == "1"
        }
        let started = ContinuousClock.now
        read.cancel()
        await #expect(throws: SourceError.self) { _ = try await read.value }
        #expect(ContinuousClock.now - started < Self.loadedMachineBound)
    }

    /// A statement slower than `read_timeout` closes the connection and fails with one line.
    @Test func aStatementOverTheReadTimeoutFails() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE base (id text, total int8);
            INSERT INTO base VALUES ('a', 1);
            CREATE VIEW streams AS SELECT id, total FROM base, (SELECT pg_sleep(300)) AS slow;
            """)
        defer { try? database.terminateOtherSessions() } // the 300 s statement holds a connection until it ends
        let source = PostgresAppDatabase(location: try database.location(query: "read_timeout=1"))
        let started = ContinuousClock.now
        let failure = await #expect(throws: SourceError.self) { _ = try await readAll(source, try rules([("total", "amount")])) }
        #expect(failure?.message == "no answer from the database for 1 s (read_timeout); the connection was closed")
        #expect(ContinuousClock.now - started < Self.loadedMachineBound)
    }

    /// `read_timeout` bounds each `FETCH` on its own, not the ones queued behind it: pages of 1.2 s
    /// each, four of them, read within a 2 s limit (the pages read ahead waited for the ones before).
    @Test func theReadTimeoutBoundsEachPageNotThoseQueuedBehindIt() async throws {
        let database = try await TestDatabase("""
            CREATE TABLE base (id text PRIMARY KEY, total int8);
            INSERT INTO base SELECT 's' || g, g FROM generate_series(1, 40) g;
            CREATE FUNCTION slow(v int8) RETURNS int8 LANGUAGE plpgsql STABLE AS $$
                BEGIN IF v % 10 = 0 THEN PERFORM pg_sleep(1.2); END IF; RETURN v; END $$;
            CREATE VIEW streams AS SELECT id, slow(total) AS total FROM base;
            """)
        let source = PostgresAppDatabase(location: try database.location(query: "read_timeout=2"))
        let pages = try await source.open(SourceQuery(ruleSet: try rules([("total", "amount")]), batchSize: 10))
        var rows = 0
        while let page = try await pages.next() { rows += page.count }
        #expect(rows == 40)
    }

    /// A host that accepts the connection and never answers: connecting gives up after `connect_timeout`.
    @Test func aServerThatNeverAnswersTimesOutConnecting() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(listener, raw, length) == 0, listen(listener, 8) == 0, getsockname(listener, raw, &length) == 0 else {
                    throw SourceError(.unreadable, at: "test", "cannot listen")
                }
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let source = PostgresAppDatabase(location: try PostgresLocation("postgres://u:pw@127.0.0.1:\(port)/d?connect_timeout=1", environment: [:]))
        let started = ContinuousClock.now
        let failure = await #expect(throws: SourceError.self) { _ = try await readAll(source, try rules([("total", "amount")])) }
        #expect(failure?.message == "cannot connect: timed out connecting")
        // Without connect_timeout this never ends.
        #expect(ContinuousClock.now - started < Self.loadedMachineBound)
    }
}
