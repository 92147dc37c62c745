import EVMRigSupport
import Foundation
import GRDB
import Testing

/// `streamrecon run --chain http://127.0.0.1:PORT` against the py-evm rig, as an operator runs it.
@Suite("streamrecon run against a JSON-RPC node")
struct EVMRunCommandTests {
    @Test func theRunFindsExactlyTheDemoDriftAndRecordsThePinnedBlock() async throws {
        let rig = try await EVMRig.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-evm-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("app.sqlite").path
        let queue = try DatabaseQueue(path: db)
        try await queue.write { try $0.execute(sql: String(contentsOf: CLIRunner.packageRoot.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8)) }
        try queue.close()
        let rules = try rig.demoRules(in: directory)

        let output = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--chain", rig.url, "--format", "json"])
        #expect(output.status == 1, "drift: \(output.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect((report["source"] as? [String: Any])?["chainBlock"] as? Int == rig.pinnedBlock)
        let findings = try #require(report["discrepancies"] as? [[String: Any]])
        let seen = findings.map { "\($0["streamId"] as? String ?? "") \($0["kind"] as? String ?? "") \($0["field"] as? String ?? $0["side"] as? String ?? "-")" }
        #expect(seen == [
            "stream_2 mismatch released_amount", "stream_4 missing_on_chain -", "stream_5 missing_in_db -",
            "stream_6 invariant_violation chain", "stream_6 invariant_violation db", "stream_7 invalid_value total_amount",
        ])
        let stored = try await DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT chain_block FROM reconciliation_runs") }
        #expect(stored == rig.pinnedBlock)
        // The node's URL reaches neither the report nor the output beyond its host and port.
        #expect(!output.stdout.contains("127.0.0.1:\(rig.port)/"))
    }
}
