import EVMRigSupport
import Foundation
import Testing

extension IncrementalRunTests {
    /// `--incremental --shard I/N`: each shard starts from the previous run of the same shard and
    /// checks what changed among its own streams; together they check what one incremental run would.
    @Test func incrementalShardsEachStartFromTheirOwnShardAndTogetherCheckTheChanges() async throws {
        let rig = try await EVMRig.start()
        let setup = try await Setup(rig)
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        var firstRuns: [String] = []
        for index in 0..<2 {
            let first = try await setup.run(rig, ["--shard", "\(index)/2"])
            firstRuns.append(try #require(first.report["runId"] as? String, "\(first.stderr)"))
        }
        try rig.send("withdraw(uint256,uint128)", [8, 1])
        try rig.send("cancel(uint256,uint128)", [2, 100])
        _ = try rig.rpc("evm_mine", ["0x2"])
        try await setup.write("UPDATE streams SET total_amount = '1200', updated_at = '2999-01-01T00:00:00Z' WHERE id = 'stream_7'")
        try await setup.write("UPDATE streams SET updated_at = '2999-01-01T00:00:00Z' WHERE id = 'stream_3'")
        _ = try rig.rpc("rig_resetStats")

        var findings: [String] = []
        var resolved: [String] = []
        for index in 0..<2 {
            let run = try await setup.run(rig, ["--incremental", "--shard", "\(index)/2"])
            #expect(run.report["mode"] as? String == "incremental", "\(run.stderr)")
            let coverage = try #require(run.report["coverage"] as? [String: Any])
            #expect(coverage["previousRunId"] as? String == firstRuns[index], "the previous run of the same shard")
            // Shard 0 of 2 holds stream_2, 4, 6 and 8; shard 1 stream_1, 3, 5, 7 and 9.
            #expect(coverage["dbRows"] as? Int == 4 && (run.report["summary"] as? [String: Any])?["streamsChecked"] as? Int == 4, "\(coverage)")
            findings += Self.findings(run.report)
            resolved += (run.report["resolved"] as? [[String: Any]] ?? []).map { "\($0["streamId"] ?? "") \($0["kind"] ?? "")" }
        }
        #expect(findings.sorted() == [
            "stream_1 mismatch released_amount new",
            "stream_2 mismatch released_amount persisting", "stream_2 mismatch status new",
            "stream_4 missing_on_chain - persisting", "stream_5 missing_in_db - persisting",
            "stream_6 invariant_violation chain persisting", "stream_6 invariant_violation db persisting",
            "stream_8 mismatch released_amount new",
        ])
        #expect(resolved == ["stream_7 invalid_value"])
        // Every changed, carried or stamped stream read once, by its own shard: 4 views × 8 streams.
        #expect(try Self.ethCalls(rig)["eth_call"] == 4 * 8)
    }
}
