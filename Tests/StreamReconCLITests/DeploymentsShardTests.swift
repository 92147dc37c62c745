import EVMRigSupport
import Foundation
import Testing

extension DeploymentsRunTests {
    /// `--shard` over several deployments: a stream's shard is that of its whole key
    /// (`CHAINID:ID`), on the DB side and in each deployment's view alike, so the shards together
    /// find what one run finds, chain-only streams included.
    @Test func shardsOverSeveralDeploymentsTogetherFindWhatTheWholeRunFinds() async throws {
        let (alphaRig, betaRig) = try await Self.startRigs()
        let (directory, db) = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = try Self.rules(in: directory, escrows: (alphaRig.escrow, betaRig.escrow))
        let environment = Self.environment(alpha: alphaRig.url, beta: betaRig.url)
        func run(_ extra: [String]) throws -> [String] {
            let output = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--format", "json", "--dry-run"] + extra, environment: environment)
            #expect([0, 1].contains(output.status), "\(output.stderr)")
            return Self.findings(try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]))
        }
        let whole = try run([])
        // Over 2 shards, 31401:stream_5 (on chain only) is in shard 0 while stream_5 alone would be in shard 1.
        let shards = try (0..<2).map { try run(["--shard", "\($0)/2"]) }
        #expect((shards[0] + shards[1]).sorted() == whole)
        #expect(shards[0].contains("\(Self.alpha):stream_5 missing_in_db -"))
    }
}
