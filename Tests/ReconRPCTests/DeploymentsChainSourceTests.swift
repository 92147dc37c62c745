import EVMRigSupport
import Foundation
import GRDB
import ReconEngine
import ReconRPC
import ReconSources
import ReconSQLite
import Reconciliation
import Testing

/// Two deployments (`evm.deployments`) read through `DeploymentsChainSource`, each from a py-evm rig
/// of its own chain id.
@Suite("several deployments over JSON-RPC", .serialized)
struct DeploymentsChainSourceTests {
    static let (alpha, beta) = (31501, 31502)

    /// The demo rules with two deployments, and the demo DB with both chains' rows.
    static func setUp(_ alphaRig: EVMRig, _ betaRig: EVMRig, directory: DemoDirectory) throws -> CompiledRuleSet {
        let rules = try String(contentsOfFile: try alphaRig.demoRules(in: directory.url), encoding: .utf8)
            .replacingOccurrences(of: "  db: id\n", with: "  db: [chain_id, id]\n")
            .replacingOccurrences(of: "  contract: \"\(alphaRig.escrow)\"\n", with: """
                  deployments:
                    - { name: alpha, chain_id: \(alpha), contract: "\(alphaRig.escrow)", rpc: ALPHA_URL }
                    - { name: beta, chain_id: \(beta), contract: "\(betaRig.escrow)", rpc: BETA_URL }

                """)
        let result = RulesCompiler().compile(yaml: rules, file: "deployments.yaml")
        let queue = try DatabaseQueue(path: directory.dbPath)
        try queue.write { db in
            try db.execute(sql: """
                ALTER TABLE streams RENAME TO demo_streams;
                CREATE TABLE streams AS SELECT \(alpha) AS chain_id, * FROM demo_streams;
                INSERT INTO streams SELECT \(beta), * FROM demo_streams;
                DROP TABLE demo_streams;
                """)
        }
        try queue.close()
        return try #require(result.ruleSet, "\(result.diagnostics)")
    }

    @Test func readsThatKeepFailingOnOneDeploymentAreSourceErrorsNamingItAndTheOtherIsReconciled() async throws {
        async let startedAlpha = EVMRig.start(options: .init(chainId: Self.alpha))
        // Every batch answer lacks an id: no retry helps.
        async let startedBeta = EVMRig.start(server: "fault_server.py", options: .init(chainId: Self.beta), ["--mode", "missing_ids", "--no-multicall3"])
        let (alphaRig, betaRig) = try await (startedAlpha, startedBeta)
        let directory = try DemoDirectory()
        let ruleSet = try Self.setUp(alphaRig, betaRig, directory: directory)
        var policy = RPCPolicy()
        policy.attempts = 2
        policy.backoff = 0.01
        let source = DeploymentsChainSource(environment: ["ALPHA_URL": alphaRig.url, "BETA_URL": betaRig.url + "/v3/SECRET"], policy: policy)
        let outcome = try await Reconciler(ruleSet: ruleSet).reconcile(db: SQLiteAppDatabase(path: directory.dbPath), chain: source)
        let found = summary(outcome.findings)
        #expect(found.filter { $0.hasPrefix("\(Self.alpha):") } == demoDrift.map { "\(Self.alpha):\($0)" })
        let errors = outcome.findings.filter { $0.kind == .sourceError }
        #expect(Set(errors.map(\.streamId)) == Set(["1", "2", "3", "4", "5", "6", "7", "8", "9"].map { "\(Self.beta):stream_\($0)" }))
        #expect(errors.allSatisfy { $0.message.contains("deployment 'beta' (chain \(Self.beta)): ") && !$0.message.contains("SECRET") })
        // Beta's DB side is still checked, and none of its streams is called missing.
        #expect(found.filter { $0.hasPrefix("\(Self.beta):") && !$0.contains("source_error") }
            == ["\(Self.beta):stream_6 invariant_violation db", "\(Self.beta):stream_7 invalid_value total_amount"])
        #expect(outcome.chainBlock == nil)
        #expect(outcome.deployments == [
            DeploymentPin(name: "alpha", chainId: UInt64(Self.alpha), chainBlock: UInt64(alphaRig.pinnedBlock), chainBlockHash: outcome.deployments[0].chainBlockHash),
            DeploymentPin(name: "beta", chainId: UInt64(Self.beta), chainBlock: UInt64(betaRig.pinnedBlock), chainBlockHash: outcome.deployments[1].chainBlockHash,
                          error: "9 of its records could not be read; see the source_error discrepancies"),
        ])
    }

    @Test func aKeyOfAChainNoDeploymentIsOnIsASourceErrorAndAMissingVariableIsNamed() async throws {
        let rig = try await EVMRig.start(options: .init(chainId: Self.alpha))
        let directory = try DemoDirectory()
        let ruleSet = try Self.setUp(rig, rig, directory: directory)
        let query = SourceQuery(ruleSet: ruleSet)
        #expect(throws: SourceError(.unsupported, at: "evm.deployments", "the environment variable BETA_URL, which holds the node URL of "
                                        + "deployment 'beta' (chain \(Self.beta)), is not set or empty; set it (from a secret) to that node's http(s) URL")) {
            try DeploymentsChainSource(environment: ["ALPHA_URL": rig.url]).check(query)
        }
        #expect(throws: SourceError(.unsupported, at: "evm.deployments", "the environment variable BETA_URL of deployment 'beta' "
                                        + "(chain \(Self.beta)) does not hold an http(s) URL")) {
            try DeploymentsChainSource(environment: ["ALPHA_URL": rig.url, "BETA_URL": "ftp://user:pw@node"]).check(query)
        }
        // Both deployments on one node: beta's is another chain, and a key of chain 5 is no deployment's.
        let view = try await DeploymentsChainSource(environment: ["ALPHA_URL": rig.url, "BETA_URL": rig.url]).open(query)
        let lookups = try await view.records(for: ["5:stream_1", "stream_1", "\(Self.beta):stream_1", "\(Self.alpha):stream_1"])
        #expect(lookups[0] == .failed("its chain id is none of the rules' deployments (\(Self.alpha), \(Self.beta)); the key is CHAINID:ID"))
        #expect(lookups[1] == lookups[0])
        guard case .failed(let reason) = lookups[2] else { Issue.record("\(lookups[2])"); return }
        #expect(reason == "deployment 'beta' (chain \(Self.beta)) could not be read: http://127.0.0.1:\(rig.port): deployment 'beta' is chain "
            + "\(Self.beta) ('chain_id' in the rules), and the node in BETA_URL answers chain id \(Self.alpha): a node of another chain, or a wrong 'chain_id'")
        guard case .record = lookups[3] else { Issue.record("\(lookups[3])"); return }
        let unvisited = try await view.unvisited(limit: 100)
        #expect(unvisited.map(\.key) == ["\(Self.alpha):stream_2", "\(Self.alpha):stream_3", "\(Self.alpha):stream_5", "\(Self.alpha):stream_6",
                                         "\(Self.alpha):stream_7", "\(Self.alpha):stream_8", "\(Self.alpha):stream_9"])
        #expect(await view.confirmPinned()?.hasPrefix("deployment 'beta' (chain \(Self.beta)) could not be read, so none of its streams were reconciled: ") == true)
    }
}
