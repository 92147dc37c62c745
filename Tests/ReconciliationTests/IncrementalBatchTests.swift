import Foundation
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Synchronization
import Testing

/// An incremental run reads the chain in full batches, however thinly the changed rows are spread.
struct IncrementalBatchTests {
    /// A chain whose view says which keys changed and records each lookup's size.
    struct ChangedChain: ChainSource {
        let changed: Set<String>
        let lookups: ShardTests.KeyLog
        var displayName: String { "changed" }

        func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
            View(changed: changed, lookups: lookups)
        }

        final class View: ChainView {
            let changed: Set<String>
            let lookups: ShardTests.KeyLog
            init(changed: Set<String>, lookups: ShardTests.KeyLog) {
                self.changed = changed
                self.lookups = lookups
            }

            var block: UInt64? { 20 }
            var duplicateKeys: [(key: String, count: Int)] { [] }
            var scope: ChainScope { .changed(ChainChanges(fromBlock: 11, toBlock: 20, keys: changed, logs: changed.count)) }
            func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
                lookups.keys.withLock { $0.append(String(keys.count)) }
                return keys.map { _ in .missing }
            }

            func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] { [] }
        }
    }

    @Test func changedRowsOfManyPagesAreLookedUpTogether() async throws {
        let scratch = try Scratch()
        let rows = (100..<400).map { "('stream_\($0)', '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', '10', '1', 'active', '2026-11-01T09:00:00Z', NULL, '2026-01-01T00:00:00Z')" }
        let sql = try demoSQL() + "ALTER TABLE streams ADD COLUMN updated_at TEXT; UPDATE streams SET updated_at = '2026-01-01T00:00:00Z';"
            + "INSERT INTO streams VALUES \(rows.joined(separator: ",\n"));"
        let db = try scratch.database(sql: sql)
        // One changed stream in every 15 rows: a page of 10 holds none or one.
        let changed = Set(stride(from: 100, to: 400, by: 15).map { "stream_\($0)" })
        let lookups = ShardTests.KeyLog()
        var reconciler = Reconciler(ruleSet: try demoRuleSet(), batchSize: 10)
        reconciler.incremental = IncrementalPlan(window: ChangeWindow(previousBlock: 10, previousHash: nil, carried: []), updatedAtColumn: "updated_at",
                                                 updatedAfter: 1_900_000_000, samplePercent: 0)
        let outcome = try await reconciler.reconcile(db: SQLiteAppDatabase(path: db), chain: ChangedChain(changed: changed, lookups: lookups))
        #expect(outcome.streamsChecked == changed.count)
        #expect(outcome.coverage?.changedOnChain == changed.count && outcome.coverage?.dbRows == 308)
        // Looked up 10 at a time (the page size), the rest at the end: never a page's one or none.
        let sizes = lookups.keys.withLock { $0 }.compactMap { Int($0) }
        #expect(sizes == [10, 10], "\(sizes)")
    }

    @Test func aSnapshotFileHasNoEventsSoTheRunIsFullAndSaysSo() async throws {
        let scratch = try Scratch()
        let db = try scratch.database(sql: try demoSQL() + "ALTER TABLE streams ADD COLUMN updated_at TEXT;")
        var reconciler = Reconciler(ruleSet: try demoRuleSet())
        reconciler.incremental = IncrementalPlan(window: ChangeWindow(previousBlock: 10, previousHash: nil, carried: []), updatedAtColumn: "updated_at",
                                                 updatedAfter: 0, samplePercent: 0)
        let outcome = try await reconciler.reconcile(db: SQLiteAppDatabase(path: db), chain: ChainSnapshotFile(path: demoChainPath))
        #expect(outcome.coverage?.mode == "full")
        #expect(outcome.coverage?.reason?.hasSuffix("has no events to find changes by (a snapshot file): every stream is read") == true)
        #expect(outcome.streamsChecked == 9 && outcome.coverage?.dbRows == 8)
    }
}
