import Foundation
import GRDB
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Synchronization
import Testing

struct ReconcilerTests {
    let scratch: Scratch
    let ruleSet: CompiledRuleSet

    init() throws {
        scratch = try Scratch()
        ruleSet = try fourFieldRuleSet()
    }

    func reconcile(sql: String, chain json: String, batchSize: Int = 1000) async throws -> Reconciler.Outcome {
        let name = UUID().uuidString
        let db = SQLiteAppDatabase(path: try scratch.database("\(name).sqlite", sql: sql))
        let chain = ChainSnapshotFile(path: try scratch.file("\(name).json", json))
        return try await Reconciler(ruleSet: ruleSet, batchSize: batchSize).reconcile(db: db, chain: chain)
    }

    @Test func theDemoFindsEverySeededCase() async throws {
        var streamed: [Finding] = []
        let outcome = try await Reconciler(ruleSet: try demoRuleSet(), batchSize: 3).reconcile(
            db: SQLiteAppDatabase(path: try scratch.database(sql: try demoSQL())), chain: ChainSnapshotFile(path: demoChainPath)
        ) { streamed.append($0) }
        #expect(outcome.findings.map { "\($0.streamId) \($0.kind.rawValue) \($0.field ?? $0.rule) \($0.side?.rawValue ?? "-")" } == [
            "stream_2 mismatch released_amount -",
            "stream_4 missing_on_chain key -",
            "stream_5 missing_in_db key -",
            "stream_6 invariant_violation released-within-total chain",
            "stream_6 invariant_violation released-within-total db",
            "stream_7 invalid_value total_amount db",
            "stream_9 invariant_violation cancelled-has-time db",
            "stream_9 mismatch cancelled_at -",
        ])
        #expect(outcome.findings[0] == Finding(streamId: "stream_2", kind: .mismatch, field: "released_amount", dbValue: "500", onChainValue: "450",
                                               rule: "released_amount", severity: .critical, message: "released_amount differs: DB 500, on chain 450 (exact)"))
        #expect(Set(streamed) == Set(outcome.findings))
        #expect(outcome.streamsChecked == 9)
        #expect(outcome.streamsByStatus == ["active": 5, "completed": 2, "pending": 1, "cancelled": 1])
        #expect(outcome.chainBlock == 19_000_000)
    }

    @Test func pageSizeDoesNotChangeTheOutcome() async throws {
        let rows = (0..<25).map { ("s\($0)", "100", $0 % 7 == 0 ? "101" : "50", "active", alice) }
        let records = (3..<30).map { ("s\($0)", "100", "50", 1, alice) }
        let one = try await reconcile(sql: streamsSQL(rows), chain: snapshotJSON(records), batchSize: 1)
        let many = try await reconcile(sql: streamsSQL(rows), chain: snapshotJSON(records), batchSize: 1000)
        #expect(one.findings == many.findings)
        #expect(one.streamsChecked == 30)
        #expect(one.findings.filter { $0.kind == .missingOnChain }.map(\.streamId) == ["s0", "s1", "s2"])
        #expect(one.findings.filter { $0.kind == .missingInDB }.map(\.streamId) == ["s25", "s26", "s27", "s28", "s29"])
    }

    @Test func anEmptyDatabaseMakesEveryChainRecordMissing() async throws {
        let outcome = try await reconcile(sql: streamsSQL([]), chain: snapshotJSON([("a", "1", "0", 1, alice), ("b", "1", "0", 1, alice)]))
        #expect(outcome.findings.map(\.kind) == [.missingInDB, .missingInDB])
        #expect(outcome.streamsChecked == 2)
    }

    @Test func duplicateKeysOnEitherSideAreSourceErrors() async throws {
        let sql = """
            CREATE TABLE streams (id TEXT, total_amount TEXT, released_amount TEXT, status TEXT, recipient TEXT);
            INSERT INTO streams VALUES ('a', '1', '0', 'active', '\(alice)'), ('a', '9', '0', 'active', '\(alice)');
            """
        let outcome = try await reconcile(sql: sql, chain: snapshotJSON([("a", "1", "0", 1, alice), ("b", "1", "0", 1, alice), ("b", "2", "0", 1, alice)]))
        #expect(outcome.findings.map { "\($0.streamId) \($0.kind.rawValue): \($0.message)" } == [
            "a source_error: key 'a' appears in 2 DB rows; only the first was reconciled",
            "b missing_in_db: stream 'b' is on chain but not in the database",
            "b source_error: key 'b' appears in 2 on-chain records; only the first was reconciled",
        ])
    }

    @Test func aRowReadTwiceIsReconciledOnce() async throws {
        // No index on the key: pages follow the rowid, and INSERT OR REPLACE moves a row to the end.
        let path = try scratch.database("rowid.sqlite", sql: """
            CREATE TABLE streams (id TEXT, total_amount TEXT, released_amount TEXT, status TEXT, recipient TEXT);
            INSERT INTO streams VALUES ('a', '1', '0', 'active', '\(alice)'), ('b', '1', '0', 'active', '\(alice)'),
                                       ('c', '1', '0', 'active', '\(alice)'), ('x', '1', '0', 'active', '\(alice)');
            """)
        /// Rewrites rows 'a' and 'x' (x is not on chain) while the run reads the table.
        struct Rewriting: AppDatabaseSource {
            let inner: SQLiteAppDatabase
            var displayName: String { "rewriting" }
            func open(_ query: SourceQuery) async throws(SourceError) -> any RecordPages { Pages(inner: try await inner.open(query), path: inner.path) }
            final class Pages: RecordPages {
                let inner: any RecordPages
                let path: String
                let calls = Mutex(0)
                init(inner: any RecordPages, path: String) { (self.inner, self.path) = (inner, path) }
                var duplicateKeys: [(key: String, count: Int)] { inner.duplicateKeys }
                func next() async throws(SourceError) -> [SourceRecord]? {
                    let page = try await inner.next()
                    if calls.withLock({ $0 += 1; return $0 }) == 1 {
                        _ = try? await DatabaseQueue(path: path).write { db in
                            try db.execute(sql: "DELETE FROM streams WHERE id IN ('a', 'x')")
                            try db.execute(sql: "INSERT INTO streams VALUES ('a', '1', '0', 'active', '\(alice)'), ('x', '1', '0', 'active', '\(alice)')")
                        }
                    }
                    return page
                }
            }
        }
        let chain = ChainSnapshotFile(path: try scratch.file("rw.json", snapshotJSON([("a", "1", "0", 1, alice), ("b", "1", "0", 1, alice), ("c", "1", "0", 1, alice)])))
        let outcome = try await Reconciler(ruleSet: ruleSet, batchSize: 2).reconcile(db: Rewriting(inner: SQLiteAppDatabase(path: path)), chain: chain)
        #expect(outcome.findings.map { "\($0.streamId) \($0.kind.rawValue)" } == ["x missing_on_chain"])
        #expect(outcome.streamsChecked == 4)
    }

    @Test func rowsWithANullKeyAreSourceErrors() async throws {
        let sql = streamsSQL([("a", "1", "0", "active", alice)]) + "INSERT INTO streams (id, total_amount, released_amount, status, recipient) VALUES (NULL, '1', '0', 'active', '\(alice)');"
        let outcome = try await reconcile(sql: sql, chain: snapshotJSON([("a", "1", "0", 1, alice)]))
        #expect(outcome.findings.map(\.message) == ["row 2 of table 'streams' has a null 'id'; it was not reconciled"])
        #expect(outcome.findings.map(\.kind) == [.sourceError])
    }

    @Test func aFailedChainReadIsASourceErrorNotAMissingRecord() async throws {
        struct FlakyChain: ChainSource {
            var displayName: String { "flaky" }
            func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView { View() }
            final class View: ChainView {
                var block: UInt64? { 7 }
                var duplicateKeys: [(key: String, count: Int)] { [] }
                func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] { keys.map { _ in .failed("timed out after 3 tries") } }
                func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] { [] }
            }
        }
        let db = SQLiteAppDatabase(path: try scratch.database(sql: streamsSQL([("a", "5", "9", "active", alice)])))
        let outcome = try await Reconciler(ruleSet: ruleSet).reconcile(db: db, chain: FlakyChain())
        #expect(outcome.findings.map(\.kind) == [.invariantViolation, .sourceError])
        #expect(outcome.findings.last?.message == "on-chain record of stream 'a' could not be read: timed out after 3 tries")
    }

    @Test func sourceErrorsPropagate() async throws {
        let db = SQLiteAppDatabase(path: try scratch.database(sql: "CREATE TABLE other (id TEXT);"))
        let stopped = await #expect(throws: Reconciler.Stopped.self) {
            try await Reconciler(ruleSet: ruleSet).reconcile(db: db, chain: ChainSnapshotFile(path: demoChainPath))
        }
        #expect(stopped?.error.kind == .missingTable)
        #expect(stopped?.partial.streamsChecked == 0)
    }
}
