import EVMRigSupport
import Foundation
import GRDB
import Testing

/// `run --shard` against the py-evm rig: a shard reads only its own streams from the node.
@Suite("streamrecon run --shard against a JSON-RPC node")
struct EVMShardCommandTests {
    @Test func eachShardMakesItsShareOfTheNodeCallsAndTogetherTheyFindTheWholeDrift() async throws {
        // Without Multicall3 every view call is an eth_call of its own, so the calls count the reads.
        let rig = try await EVMRig.start(["--no-multicall3"])
        let demo = try RigDemo(rig: rig)
        let (db, rules) = (demo.dbPath, demo.rulesPath)
        func ethCalls() throws -> Int { (try rig.stats()["byMethod"] as? [String: Int])?["eth_call"] ?? 0 }
        func run(_ extra: [String]) throws -> (calls: Int, findings: [String]) {
            let before = try ethCalls()
            let output = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--chain", rig.url, "--format", "json", "--dry-run"] + extra)
            #expect(output.status == 1, "\(output.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            let findings = (report["discrepancies"] as? [[String: Any]] ?? []).map { "\($0["streamId"] ?? "") \($0["kind"] ?? "") \($0["fingerprint"] ?? "")" }
            return (try ethCalls() - before, findings)
        }
        let whole = try run([])
        let shards = try (0..<2).map { try run(["--shard", "\($0)/2"]) }
        #expect(shards.allSatisfy { $0.calls < whole.calls }, "whole \(whole.calls), shards \(shards.map(\.calls))")
        // Each run reads the stream count once; every stream is read by one shard.
        #expect(shards.map(\.calls).reduce(0, +) == whole.calls + 1)
        #expect((shards[0].findings + shards[1].findings).sorted() == whole.findings.sorted())
    }
}
