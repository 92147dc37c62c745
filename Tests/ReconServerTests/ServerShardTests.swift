import Foundation
import GRDB
import LoopbackHTTP
import Testing

/// `{"shard": "I/N"}` in a run request: one shard checked and recorded under the key's shard suffix.
@Suite("serve: shard runs")
struct ServerShardTests {
    @Test func aShardRequestChecksItsShardAndIsRecordedUnderTheKeysSuffix() async throws {
        try await ServerHarness.with { server in
            let response = try await ServerMemoryTests.post(server, key: "nightly-2026-12-02", json: #"{"shard": "1/2"}"#)
            #expect(response.status == 200, "\(response.text)")
            let report = try response.json()
            #expect(report["shard"] as? [String: Int] == ["index": 1, "count": 2])
            #expect(report["runKey"] as? String == "nightly-2026-12-02/shard-1-of-2")
            // stream_1, 3, 5, 7 and 9 hash to shard 1 of 2.
            #expect((report["summary"] as? [String: Any])?["streamsChecked"] as? Int == 5)
            let streams = Set((report["discrepancies"] as? [[String: Any]] ?? []).compactMap { $0["streamId"] as? String })
            #expect(streams == ["stream_5", "stream_7", "stream_9"])
            let stored = try await DatabaseQueue(path: server.dbPath).read { db in
                try Row.fetchOne(db, sql: "SELECT run_key, shard FROM reconciliation_runs")
            }
            #expect(stored?["run_key"] as String? == "nightly-2026-12-02/shard-1-of-2" && stored?["shard"] as String? == "1/2")
            // The same shard of the same key again answers with that run; the other shard runs.
            let again = try await ServerMemoryTests.post(server, key: "nightly-2026-12-02", json: #"{"shard": "1/2"}"#)
            #expect(try again.json()["runId"] as? String == report["runId"] as? String)
            let other = try await ServerMemoryTests.post(server, key: "nightly-2026-12-02", json: #"{"shard": "0/2", "dryRun": false}"#)
            #expect(try other.json()["runKey"] as? String == "nightly-2026-12-02/shard-0-of-2")
            #expect(try server.recordedRuns().count == 2)
        }
    }

    @Test(arguments: [
        (#"{"shard": "2/2"}"#, "shard: the shard index counts from 0 and must be below the count: 0 to 1 of 2; it is 2"),
        (#"{"shard": "0/0"}"#, "shard: the shard count must be 1 to 1024; it is 0"),
        (#"{"shard": "x"}"#, "shard: 'x' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)"),
        (#"{"shard": 1}"#, #"shard must be a string INDEX/COUNT, such as "0/4""#),
        (#"{"shard": "0/2", "shard": "1/2"}"#, "shard is given more than once in the body"),
        (#"{"dryRun": true, "shard": "0/2", "shard": "1/2"}"#, "dryRun or shard is given more than once in the body"),
    ])
    func aBadShardGets400AndStartsNoRun(body: String, reason: String) async throws {
        try await ServerHarness.with { server in
            let response = try await server.post(json: body)
            #expect(response.status == 400)
            #expect(try response.json()["error"] as? String == reason)
            #expect(try server.recordedRuns().isEmpty)
        }
    }
}
