import Foundation
import GRDB
import Testing

/// SPEC §10 through the real binary over a real SQLite file shaped like an app's table:
/// nullable columns, an ignored memo, amounts in token units, a combined tolerance.
struct RealSchemaCommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ contents: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let rules = """
        version: 1
        name: app-streams
        key: { db: id, chain: id }
        db: { table: payment_streams }
        fields:
          deposit:
            type: amount
            decimals: { db: 18 }
            compare: { tolerance: 5, tolerance_bps: 10 }
          memo:
            type: string
            compare: ignore
          end_time:
            type: timestamp
            nullable: true
            compare: { tolerance: 60 }
          canceled_at: { type: timestamp, nullable: true }
          status: { type: enum, values: [active, canceled] }
        invariants:
          canceled-has-time:
            when: status == 'canceled'
            assert: canceled_at is not null
        """

    @Test func aRealSchemaReportsOnlyRealDrift() throws {
        let rules = try write("rules.yaml", Self.rules)
        let db = directory.appendingPathComponent("app.sqlite").path
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE payment_streams (id TEXT PRIMARY KEY, deposit TEXT, memo TEXT, end_time TEXT, canceled_at TEXT, status TEXT);
                INSERT INTO payment_streams VALUES
                    ('a', '1.5', NULL, NULL, NULL, 'active'),
                    ('b', '0.000000000000000100', 'rent', '2026-01-01T00:00:00Z', NULL, 'active'),
                    ('c', '1.0000000000000000001', NULL, NULL, NULL, 'active'),
                    ('d', '0.000000000000000100', NULL, '2026-01-01T00:00:00Z', NULL, 'canceled'),
                    ('e', '3', '', NULL, '2026-02-01T00:00:00Z', 'canceled');
                """)
        }
        try queue.close()
        let chain = try write("chain.json", """
            {"blockNumber": 7, "records": [
              {"id": "a", "deposit": "1500000000000000000", "memo": 42, "end_time": null, "status": "active"},
              {"id": "b", "deposit": "105", "end_time": "2026-01-01T00:01:00Z", "status": "active"},
              {"id": "c", "deposit": "1000000000000000000", "status": "active"},
              {"id": "d", "deposit": "106", "end_time": "2026-01-01T00:01:01Z", "status": "canceled"},
              {"id": "e", "deposit": "3000000000000000000", "canceled_at": "2026-02-01T00:00:00Z", "status": "canceled"}
            ]}
            """)
        let output = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--chain", chain, "--dry-run", "--format", "json"], in: directory)
        #expect(output.status == 1, "\(output.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let found = try #require(report["discrepancies"] as? [[String: Any]]).map { finding in
            "\(finding["streamId"]!) \(finding["kind"]!) \(finding["field"] as? String ?? finding["rule"] as! String) "
                + "\(finding["dbValue"] as? String ?? "null") \(finding["onChainValue"] as? String ?? "null")"
        }
        // b differs by exactly the absolute bound (5 base units; 10 bps of 105 is 0.105): within it.
        #expect(found == [
            "c invalid_value deposit 1.0000000000000000001 null",
            "d invariant_violation canceled-has-time null null",
            "d invariant_violation canceled-has-time null null",
            "d mismatch deposit 100 106",
            "d mismatch end_time 2026-01-01T00:00:00Z 2026-01-01T00:01:01Z",
        ])
        let messages = try #require(report["discrepancies"] as? [[String: Any]]).compactMap { $0["message"] as? String }
        #expect(messages.contains("deposit differs by 6, more than the tolerance of 5 and the tolerance of 10 bps (0.106 of 106): DB 100, on chain 106"))
        #expect(messages.contains("end_time differs by 61 seconds, more than the tolerance of 60 seconds: DB 2026-01-01T00:00:00Z, on chain 2026-01-01T00:01:01Z"))
        #expect(messages.contains("DB deposit is not a valid amount: '1.0000000000000000001' has 19 fractional digits; the rules declare 18 decimals on the DB side"))
    }

    /// An SQLite column of NUMERIC or REAL affinity turns '0.1' into a binary float: read exactly,
    /// it has more digits than any token's decimals, and is refused rather than rounded.
    @Test func aFloatColumnIsReadExactlyNotRounded() throws {
        let rules = try write("rules.yaml", """
            version: 1
            name: floats
            key: { db: id, chain: id }
            db: { table: t }
            fields:
              deposit: { type: amount, decimals: { db: 18 } }
            """)
        let db = directory.appendingPathComponent("float.sqlite").path
        let queue = try DatabaseQueue(path: db)
        try queue.write { try $0.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, deposit NUMERIC); INSERT INTO t VALUES ('a', '1.5'), ('b', '0.1'), ('c', '-0.0');") }
        try queue.close()
        let chain = try write("chain.json", #"{"blockNumber": 1, "records": [{"id": "a", "deposit": "1500000000000000000"}, {"id": "b", "deposit": "100000000000000000"}, {"id": "c", "deposit": 0}]}"#)
        let output = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--chain", chain, "--dry-run", "--format", "json"], in: directory)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let findings = try #require(report["discrepancies"] as? [[String: Any]])
        #expect(findings.map { $0["streamId"] as? String } == ["b"])
        #expect(findings.first?["message"] as? String == "DB deposit is not a valid amount: '0.1000000000000000055511151231257827021181583404541015625' "
            + "has 55 fractional digits; the rules declare 18 decimals on the DB side")
    }

    @Test func lintWarnsAboutAnUnguardedNullableReadAndPasses() throws {
        let rules = try write("rules.yaml", Self.rules + """

              ends-late:
                assert: end_time > 0
            """)
        let output = try CLIRunner.run(["rules", "lint", rules], in: directory)
        #expect(output.status == 0)
        #expect(output.stdout.contains("rules.yaml:24:13: warning[unguarded-nullable]: invariant 'ends-late' reads nullable field 'end_time' without testing it"))
        #expect(output.stdout.contains("0 errors, 1 warning"))
    }

    @Test func lintRefusesBadNewKeysWithPositions() throws {
        let rules = try write("rules.yaml", Self.rules.replacingOccurrences(of: "decimals: { db: 18 }", with: "decimals: { db: 39 }")
            .replacingOccurrences(of: "nullable: true\n    compare", with: "nullable: maybe\n    compare"))
        let output = try CLIRunner.run(["rules", "lint", rules], in: directory)
        #expect(output.status == 1)
        #expect(output.stdout.contains("rules.yaml:8:21: error[invalid-parameter]: 'decimals' db of field 'deposit' must be from 0 to 38, not 39"))
        #expect(output.stdout.contains("rules.yaml:15:15: error[invalid-value]: 'nullable' of field 'end_time' must be true or false, not 'maybe'"))
    }
}
