import Foundation
import ReconEngine
import ReconSources
import ReconSQLite
import Reconciliation
import Synchronization
import Testing

/// `--shard I/N`: the split of the keys, what a shard reads, and how its findings add up to the whole run's.
struct ShardTests {
    /// The split must never change between versions: these values are the contract.
    @Test func theSplitIsFNV1a64OfTheKeyModuloTheCount() throws {
        // FNV-1a 64 test vectors.
        #expect(Shard.hash("") == 0xCBF2_9CE4_8422_2325)
        #expect(Shard.hash("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(Shard.hash("foobar") == 0x8594_4171_F739_67E8)
        let keys = (1...9).map { "stream_\($0)" }
        #expect(keys.map { Shard.index(of: $0, count: 4) } == PinnedShards.ofFour)
        #expect(keys.map { Shard.index(of: $0, count: 7) } == PinnedShards.ofSeven)
        #expect(Shard.index(of: "42", count: 1024) == PinnedShards.fortyTwoOf1024)
        // A key is hashed in NFC: two spellings the sources pair as one key are in one shard.
        #expect(Shard.hash("caf\u{E9}") == Shard.hash("cafe\u{301}"))
        #expect(try Shard(parsing: "1/4").contains("stream_1") && !Shard(parsing: "0/4").contains("stream_1"))
    }

    @Test(arguments: ["0/1", "3/4", "1023/1024", "0/4"])
    func aShardIsIndexSlashCount(_ text: String) throws {
        let shard = try Shard(parsing: text)
        #expect(shard.description == text)
        #expect(try JSONDecoder().decode(Shard.self, from: try JSONEncoder().encode(shard)) == shard)
    }

    @Test(arguments: [
        ("3/2", "the shard index counts from 0 and must be below the count: 0 to 1 of 2; it is 3"),
        ("2/2", "the shard index counts from 0 and must be below the count: 0 to 1 of 2; it is 2"),
        ("0/0", "the shard count must be 1 to 1024; it is 0"),
        ("0/1025", "the shard count must be 1 to 1024; it is 1025"),
        ("x", "'x' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)"),
        ("-1/2", "'-1/2' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)"),
        ("1/", "'1/' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)"),
        ("1/2/3", "'1/2/3' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)"),
        (" 1/2", "' 1/2' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)"),
        ("99999999999/2", "'99999999999/2' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)"),
    ])
    func aBadShardIsRefusedWithAReason(_ text: String, _ reason: String) {
        let error = #expect(throws: Shard.Invalid.self) { try Shard(parsing: text) }
        #expect(error?.description == reason)
    }

    @Test func aShardRunIsRecordedUnderItsLogicalRunsKeyWithASuffix() throws {
        let shard = try Shard(parsing: "2/8")
        #expect(RunKey.stored("nightly-2026-12-02", shard: shard) == "nightly-2026-12-02/shard-2-of-8")
        #expect(RunKey.stored("nightly-2026-12-02", shard: nil) == "nightly-2026-12-02")
        #expect(RunKey.shard(of: "nightly-2026-12-02/shard-2-of-8", prefix: "nightly-2026-12-02") == shard)
        for key in ["nightly-2026-12-02/shard-8-of-8", "nightly-2026-12-02/shard-2-of-8x", "nightly-2026-12-03/shard-2-of-8",
                    "nightly-2026-12-02/shard-02-of-8", "nightly-2026-12-02", "nightly-2026-12-02/shard-2-8"] {
            #expect(RunKey.shard(of: key, prefix: "nightly-2026-12-02") == nil, "\(key)")
        }
    }

    /// An app DB and a snapshot with every kind of finding, a duplicated key on each side, a
    /// NULL key, and records on one side only: the shards' findings, together, are the whole
    /// run's, each exactly once.
    @Test(arguments: [1, 2, 3, 5])
    func theShardsFindsTogetherAreTheWholeRunsEachOnce(count: Int) async throws {
        let scratch = try Scratch()
        var sql = "CREATE TABLE streams (id TEXT, total_amount TEXT, released_amount TEXT, status TEXT, recipient TEXT);\n"
        for index in 0..<40 {
            let released = index % 5 == 0 ? "101" : "50"
            sql += "INSERT INTO streams VALUES ('s\(index)', '\(index % 9 == 0 ? "1x" : "100")', '\(released)', 'active', '\(alice)');\n"
        }
        sql += "INSERT INTO streams VALUES ('s7', '100', '50', 'active', '\(alice)'); INSERT INTO streams VALUES (NULL, '1', '1', 'active', '\(alice)');\n"
        var records = (10..<60).map { ("s\($0)", "100", $0 % 4 == 0 ? "49" : "50", 1, alice) }
        records.append(("s33", "100", "50", 1, alice))
        let db = SQLiteAppDatabase(path: try scratch.database(sql: sql))
        let chain = ChainSnapshotFile(path: try scratch.file("chain.json", snapshotJSON(records)))
        let ruleSet = try fourFieldRuleSet()
        let whole = try await Reconciler(ruleSet: ruleSet, batchSize: 7).reconcile(db: db, chain: chain)
        #expect(whole.findings.contains { $0.streamId == "" } && whole.findings.count { $0.message.contains("appears in 2") } == 2)
        var union: [Finding] = []
        var checked = 0
        for index in 0..<count {
            var reconciler = Reconciler(ruleSet: ruleSet, batchSize: 7)
            reconciler.shard = try Shard(index: index, count: count)
            let part = try await reconciler.reconcile(db: db, chain: chain)
            #expect(part.findings.allSatisfy { reconciler.shard!.owns($0.streamId) })
            union += part.findings
            checked += part.streamsChecked
        }
        #expect(union.sorted(by: Finding.reportOrder) == whole.findings)
        #expect(checked == whole.streamsChecked)
    }

    /// A shard looks up on chain only its own DB rows, and reads only its own chain-only records.
    @Test func aShardLooksUpOnlyItsOwnKeys() async throws {
        let scratch = try Scratch()
        let looked = KeyLog()
        let chain = RecordingChain(inner: ChainSnapshotFile(path: demoChainPath), looked: looked)
        var reconciler = Reconciler(ruleSet: try demoRuleSet(), batchSize: 2)
        let shard = try Shard(parsing: "1/3")
        reconciler.shard = shard
        let outcome = try await reconciler.reconcile(db: SQLiteAppDatabase(path: try scratch.database(sql: try demoSQL())), chain: chain)
        let keys = looked.keys.withLock { $0 }
        #expect(!keys.isEmpty && keys.allSatisfy(shard.contains))
        #expect(outcome.streamsChecked == (1...9).count { shard.contains("stream_\($0)") })
    }

    final class KeyLog: Sendable {
        let keys = Mutex<[String]>([])
    }

    struct RecordingChain: ChainSource {
        let inner: ChainSnapshotFile
        let looked: KeyLog
        var displayName: String { inner.displayName }

        func open(_ query: SourceQuery) async throws(SourceError) -> any ChainView {
            View(inner: try await inner.open(query), looked: looked)
        }

        final class View: ChainView {
            let inner: any ChainView
            let looked: KeyLog
            init(inner: any ChainView, looked: KeyLog) {
                self.inner = inner
                self.looked = looked
            }

            var block: UInt64? { inner.block }
            var duplicateKeys: [(key: String, count: Int)] { inner.duplicateKeys }
            func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
                looked.keys.withLock { $0 += keys }
                return try await inner.records(for: keys)
            }

            func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] {
                let records = try await inner.unvisited(limit: limit)
                looked.keys.withLock { $0 += records.map(\.key) }
                return records
            }
        }
    }
}

/// The shard of `stream_1` … `stream_9`, computed once from the hash; never to change.
enum PinnedShards {
    static let ofFour = [1, 0, 3, 2, 1, 0, 3, 2, 1]
    static let ofSeven = [2, 0, 3, 1, 4, 2, 5, 3, 6]
    static let fortyTwoOf1024 = 547
}
