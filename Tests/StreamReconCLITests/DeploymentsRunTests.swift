import EVMRigSupport
import Foundation
import GRDB
import Testing

/// `streamrecon run` with rules that list two deployments (`evm.deployments`), each a py-evm rig
/// answering its own chain id, and a DB whose key is (chain_id, id).
@Suite("streamrecon run over several deployments")
struct DeploymentsRunTests {
    static let (alpha, beta) = (31401, 31402)

    /// One rig per chain, started together.
    static func startRigs() async throws -> (alpha: EVMRig, beta: EVMRig) {
        async let alphaRig = EVMRig.start(options: .init(chainId: alpha))
        async let betaRig = EVMRig.start(options: .init(chainId: beta))
        return try await (alphaRig, betaRig)
    }

    /// A new scratch directory (the caller removes it) holding the demo DB's streams on both
    /// chains; on beta, stream_1's released amount differs from the chain's.
    static func scratch() throws -> (directory: URL, db: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamrecon-deployments-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = directory.appendingPathComponent("app.sqlite").path
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(sql: String(contentsOf: CLIRunner.packageRoot.appendingPathComponent("Fixtures/demo.sql"), encoding: .utf8))
            try db.execute(sql: """
                ALTER TABLE streams RENAME TO demo_streams;
                CREATE TABLE streams AS SELECT \(alpha) AS chain_id, * FROM demo_streams;
                INSERT INTO streams SELECT \(beta), * FROM demo_streams;
                UPDATE streams SET released_amount = '250001' WHERE chain_id = \(beta) AND id = 'stream_1';
                DROP TABLE demo_streams;
                """)
        }
        try queue.close()
        return (directory, db)
    }

    /// The rig's demo rules with two deployments: alpha on the first rig, beta on the second.
    static func rules(in directory: URL, escrows: (String, String), betaChainId: Int = beta) throws -> String {
        let template = try String(contentsOf: CLIRunner.packageRoot.appendingPathComponent("Tests/EVM/demo-rules.yaml"), encoding: .utf8)
        let deployments = """
              confirmations: 2
              deployments:
                - { name: alpha, chain_id: \(alpha), contract: "\(escrows.0)", rpc: ALPHA_RPC_URL }
                - { name: beta, chain_id: \(betaChainId), contract: "\(escrows.1)", rpc: BETA_RPC_URL }

            """
        let text = template.replacingOccurrences(of: "  db: id\n", with: "  db: [chain_id, id]\n")
            .replacingOccurrences(of: "  contract: \"0xF2E246BB76DF876Cef8b38ae84130F4F55De395b\"\n  confirmations: 2\n", with: deployments)
        let path = directory.appendingPathComponent("deployments-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func environment(alpha: String, beta: String) -> [String: String] {
        ProcessInfo.processInfo.environment.merging(["ALPHA_RPC_URL": alpha, "BETA_RPC_URL": beta]) { $1 }
    }

    static func findings(_ report: [String: Any]) -> [String] {
        (report["discrepancies"] as? [[String: Any]] ?? []).map {
            "\($0["streamId"] as? String ?? "") \($0["kind"] as? String ?? "") \($0["field"] as? String ?? $0["side"] as? String ?? "-")"
        }.sorted()
    }

    static let demoDrift = [
        "stream_2 mismatch released_amount", "stream_4 missing_on_chain -", "stream_5 missing_in_db -",
        "stream_6 invariant_violation chain", "stream_6 invariant_violation db", "stream_7 invalid_value total_amount",
    ]

    @Test func eachDeploymentIsReconciledAtItsOwnPinAndAFailingOneIsNamed() async throws {
        let (alphaRig, betaRig) = try await Self.startRigs()
        let (directory, db) = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = try Self.rules(in: directory, escrows: (alphaRig.escrow, betaRig.escrow))

        // Both deployments: the demo's drift on each chain, and beta's own mismatch; each pin reported.
        let both = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--format", "json", "--dry-run"],
                                     environment: Self.environment(alpha: alphaRig.url, beta: betaRig.url))
        #expect(both.status == 1, "drift: \(both.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any])
        let expected = (Self.demoDrift.map { "\(Self.alpha):\($0)" } + ["\(Self.beta):stream_1 mismatch released_amount"]
            + Self.demoDrift.map { "\(Self.beta):\($0)" }).sorted()
        #expect(Self.findings(report) == expected)
        let source = try #require(report["source"] as? [String: Any])
        #expect(source["chainBlock"] is NSNull)
        let pins = try #require(source["deployments"] as? [[String: Any]])
        #expect(pins.map { $0["name"] as? String } == ["alpha", "beta"])
        #expect(pins.map { $0["chainId"] as? Int } == [Self.alpha, Self.beta])
        #expect(pins.map { $0["chainBlock"] as? Int } == [alphaRig.pinnedBlock, betaRig.pinnedBlock])
        #expect(pins.allSatisfy { ($0["chainBlockHash"] as? String)?.count == 66 && $0["error"] == nil })
        let table = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--format", "table", "--dry-run"],
                                      environment: Self.environment(alpha: alphaRig.url, beta: betaRig.url))
        #expect(table.stdout.contains("  chain    alpha (chain \(Self.alpha)) block \(alphaRig.pinnedBlock), beta (chain \(Self.beta)) block \(betaRig.pinnedBlock)\n"),
                "\(table.stdout)")

        // Beta's node down: the run fails naming beta, beta's streams are source errors (never
        // missing on chain), and alpha's are reconciled and reported all the same.
        let down = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--format", "json", "--dry-run"],
                                     environment: Self.environment(alpha: alphaRig.url, beta: "http://127.0.0.1:1"))
        #expect(down.status == 3, "failed: \(down.stderr)")
        let failed = try #require(try JSONSerialization.jsonObject(with: Data(down.stdout.utf8)) as? [String: Any])
        #expect(failed["status"] as? String == "failed")
        let seen = Self.findings(failed)
        #expect(seen.filter { $0.hasPrefix("\(Self.alpha):") } == Self.demoDrift.map { "\(Self.alpha):\($0)" })
        // Beta's DB-side checks still run; its chain side is a source error for every one of its 8 rows.
        #expect(seen.filter { $0.hasPrefix("\(Self.beta):") && !$0.contains("source_error") }
            == ["\(Self.beta):stream_6 invariant_violation db", "\(Self.beta):stream_7 invalid_value total_amount"])
        #expect(seen.filter { $0.hasPrefix("\(Self.beta):") && $0.contains("source_error") }.count == 8)
        let messages = (failed["discrepancies"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(messages.contains { $0.hasPrefix("deployment 'beta' (chain \(Self.beta)) could not be read, so none of its streams were reconciled") })
        let downPins = try #require((failed["source"] as? [String: Any])?["deployments"] as? [[String: Any]])
        #expect(downPins[0]["chainBlock"] as? Int == alphaRig.pinnedBlock && downPins[0]["error"] == nil)
        #expect(downPins[1]["chainBlock"] == nil && (downPins[1]["error"] as? String)?.contains("127.0.0.1:1") == true)
        #expect(down.stderr.contains("error: some records could not be read; see the source_error discrepancies"), "\(down.stderr)")

        // Beta's node on another chain than the rules say: a clear error naming the deployment and both ids.
        let otherRules = try Self.rules(in: directory, escrows: (alphaRig.escrow, betaRig.escrow), betaChainId: 31499)
        let wrong = try CLIRunner.run(["run", "--rules", otherRules, "--db", db, "--format", "json", "--dry-run"],
                                      environment: Self.environment(alpha: alphaRig.url, beta: betaRig.url))
        #expect(wrong.status == 3, "failed: \(wrong.stderr)")
        let wrongReport = try #require(try JSONSerialization.jsonObject(with: Data(wrong.stdout.utf8)) as? [String: Any])
        let wrongPins = try #require((wrongReport["source"] as? [String: Any])?["deployments"] as? [[String: Any]])
        #expect(wrongPins[1]["error"] as? String == "http://127.0.0.1:\(betaRig.port): deployment 'beta' is chain 31499 ('chain_id' in the rules), "
            + "and the node in BETA_RPC_URL answers chain id \(Self.beta): a node of another chain, or a wrong 'chain_id'")
        #expect(Self.findings(wrongReport).filter { $0.hasPrefix("\(Self.alpha):") } == Self.demoDrift.map { "\(Self.alpha):\($0)" })
        // Beta's rows name chain 31402, which no deployment is on now: source errors, never missing on chain.
        #expect(Self.findings(wrongReport).filter { $0.hasPrefix("\(Self.beta):") && $0.contains("source_error") }.count == 8)
        #expect(!Self.findings(wrongReport).contains { $0.contains("missing_on_chain") && !$0.hasPrefix("\(Self.alpha):") })
    }

    @Test func aMissingNodeVariableOrAnIncrementalRunIsRefusedAtTheStart() throws {
        let (directory, db) = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        let rules = try Self.rules(in: directory, escrows: (address, address))
        var environment = Self.environment(alpha: "http://127.0.0.1:1", beta: " ")
        let unset = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--dry-run"], environment: environment)
        #expect(unset.status == 2)
        #expect(unset.stderr.contains("the environment variable BETA_RPC_URL, which holds the node URL of deployment 'beta' (chain \(Self.beta)), "
            + "is not set or empty"), "\(unset.stderr)")
        environment["BETA_RPC_URL"] = "http://127.0.0.1:1"
        let incremental = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--incremental"], environment: environment)
        #expect(incremental.status == 2)
        #expect(incremental.stderr.contains("--incremental does not read several deployments yet"), "\(incremental.stderr)")
        // --chain names one node; the rules say where each deployment's is.
        let chain = try CLIRunner.run(["run", "--rules", rules, "--db", db, "--dry-run", "--chain", "http://127.0.0.1:1"], environment: environment)
        #expect(chain.status == 2)
        #expect(chain.stderr.contains("leave out --chain"), "\(chain.stderr)")
    }
}
