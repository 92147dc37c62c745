import EVMRigSupport
import Foundation
import GRDB
import ReconEngine
import ReconRPC
import ReconSources
import ReconSQLite
import Reconciliation
import Testing

@Suite("JSON-RPC chain source against py-evm", .serialized)
struct EVMChainSourceTests {
    @Test(arguments: [true, false])
    func theDemoDriftIsFoundAtThePinnedBlock(multicall: Bool) async throws {
        let rig = try await EVMRig.start(multicall ? [] : ["--no-multicall3"])
        let directory = try DemoDirectory()
        let (result, source) = try await reconcileDemo(rig, directory: directory)
        let outcome = try result.get()
        #expect(summary(outcome.findings) == demoDrift)
        #expect(outcome.chainBlock == UInt64(rig.pinnedBlock))
        #expect(outcome.streamsChecked == 9)
        // stream_1 moved after the pinned block: read at the pin, it is clean.
        #expect(!outcome.findings.contains { $0.streamId == "stream_1" })
        let stats = try rig.stats()
        #expect(stats["ethCallBlocks"] as? [String: Int] == ["0x\(String(rig.pinnedBlock, radix: 16))": (stats["byMethod"] as? [String: Int])?["eth_call"] ?? -1])
        if multicall {
            #expect((stats["ethCallTargets"] as? [String: Int])?["0xca11bde05977b3631167028862be2a173976ca11"] ?? 0 > 0)
        } else {
            #expect((stats["batches"] as? Int ?? 0) > 0)
        }
        #expect(source.client.requestsSent == stats["httpRequests"] as? Int)
    }

    @Test(arguments: ["429", "500", "malformed"])
    func transientFaultsAreRetriedAndTheRunStillFindsExactlyTheDrift(mode: String) async throws {
        let rig = try await EVMRig.start(server: "fault_server.py", ["--mode", mode, "--count", "2", "--retry-after", "1"])
        var policy = RPCPolicy()
        policy.backoff = 0.05
        let directory = try DemoDirectory()
        let started = ContinuousClock.now
        let (result, source) = try await reconcileDemo(rig, policy: policy, directory: directory)
        #expect(summary(try result.get().findings) == demoDrift)
        #expect(source.client.requestsSent >= (try rig.stats()["httpRequests"] as? Int ?? 0))
        if mode == "429" { #expect(ContinuousClock.now - started >= .seconds(1), "Retry-After was honoured") }
    }

    @Test func aBatchAnsweredOutOfOrderIsMatchedById() async throws {
        let rig = try await EVMRig.start(server: "fault_server.py", ["--mode", "out_of_order", "--no-multicall3"])
        let directory = try DemoDirectory()
        let (result, _) = try await reconcileDemo(rig, directory: directory)
        #expect(summary(try result.get().findings) == demoDrift)
    }

    @Test func streamsWhoseReadsKeepFailingAreSourceErrorsAndTheRestIsReconciled() async throws {
        // Every batch answer lacks an id: no retry helps.
        let rig = try await EVMRig.start(server: "fault_server.py", ["--mode", "missing_ids", "--no-multicall3"])
        var policy = RPCPolicy()
        policy.attempts = 2
        policy.backoff = 0.01
        let directory = try DemoDirectory()
        let (result, _) = try await reconcileDemo(rig, policy: policy, directory: directory)
        let outcome = try result.get()
        let errors = outcome.findings.filter { $0.kind == .sourceError }
        #expect(Set(errors.map(\.streamId)) == ["stream_1", "stream_2", "stream_3", "stream_4", "stream_6", "stream_7", "stream_8", "stream_9",
                                                 "stream_5"])
        #expect(errors.allSatisfy { $0.message.contains("lacks") && !$0.message.contains("127.0.0.1:\(rig.port)/") })
        // The DB side is still checked: stream_7's unparseable amount is found.
        #expect(outcome.findings.contains { $0.streamId == "stream_7" && $0.kind == .invalidValue })
    }

    @Test(arguments: ["timeout", "silent"])
    func aNodeThatNeverAnswersFailsTheRunWithinTheTimeout(mode: String) async throws {
        let rig = try await EVMRig.start(server: "fault_server.py", ["--mode", mode])
        var policy = RPCPolicy()
        policy.timeout = 1
        policy.attempts = 2
        policy.backoff = 0.01
        let directory = try DemoDirectory()
        let started = ContinuousClock.now
        let (result, _) = try await reconcileDemo(rig, policy: policy, directory: directory)
        guard case .failure(let error) = result else { Issue.record("the run did not fail"); return }
        #expect(error.kind == .unreadable)
        #expect(error.location == "http://127.0.0.1:\(rig.port)")
        #expect(error.message.contains("no answer within 1 s"))
        #expect(ContinuousClock.now - started < .seconds(25), "well under the 30 s the node sleeps")
    }

    @Test func aBlockNumberThatGoesBackwardsMovesNoRunsPin() async throws {
        // The node answers 7, then 6, 5…: each run pins once, from its own answer, and reads only there.
        let rig = try await EVMRig.start(server: "fault_server.py", ["--mode", "block_backwards"])
        let directory = try DemoDirectory()
        let first = try await reconcileDemo(rig, directory: directory).outcome.get()
        let second = try await reconcileDemo(rig, directory: directory).outcome.get()
        #expect(summary(first.findings) == demoDrift && summary(second.findings) == demoDrift)
        #expect(first.chainBlock == UInt64(rig.pinnedBlock))
        #expect(second.chainBlock == UInt64(rig.pinnedBlock - 1))
        let blocks = try rig.stats()["ethCallBlocks"] as? [String: Int] ?? [:]
        #expect(Set(blocks.keys) == ["0x\(String(rig.pinnedBlock, radix: 16))", "0x\(String(rig.pinnedBlock - 1, radix: 16))"])
    }

    @Test func aContractThatIsNotThereFailsTheRunInsteadOfReportingNulls() async throws {
        let rig = try await EVMRig.start()
        let directory = try DemoDirectory()
        let rules = try rig.demoRules(in: directory.url)
        let elsewhere = try String(contentsOfFile: rules, encoding: .utf8)
            .replacingOccurrences(of: rig.escrow, with: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        try elsewhere.write(toFile: rules, atomically: true, encoding: .utf8)
        let ruleSet = try RulesCompiler().load(path: rules)
        let source = EVMChainSource(endpoint: RPCEndpoint(rig.url)!)
        let stopped = await #expect(throws: Reconciler.Stopped.self) {
            _ = try await Reconciler(ruleSet: ruleSet).reconcile(db: SQLiteAppDatabase(path: directory.dbPath), chain: source)
        }
        #expect(stopped?.error == SourceError(.notFound, at: "http://127.0.0.1:\(rig.port)",
                                              "no contract at 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed at block \(rig.pinnedBlock); check 'evm.contract' and the chain",
                                              chainBlock: UInt64(rig.pinnedBlock)))
        // The run failed after pinning: its report names the block its error speaks of.
        #expect(stopped?.partial.chainBlock == UInt64(rig.pinnedBlock))
    }

    @Test func anIdWhoseViewsPartlyRevertIsASourceErrorNotMissing() async throws {
        // isStream never reverts: for id 4 it answers false while every other view reverts.
        let rig = try await EVMRig.start()
        let directory = try DemoDirectory()
        let rules = try rig.demoRules(in: directory.url)
        let text = try String(contentsOfFile: rules, encoding: .utf8).replacingOccurrences(of: "fields:\n", with: """
            fields:
              listed:
                type: bool
                chain: isStream(uint256) returns (bool)

            """)
        try text.write(toFile: rules, atomically: true, encoding: .utf8)
        let queue = try DatabaseQueue(path: directory.dbPath)
        try await queue.write { try $0.execute(sql: "ALTER TABLE streams ADD COLUMN listed INTEGER NOT NULL DEFAULT 1") }
        try queue.close()
        let ruleSet = try RulesCompiler().load(path: rules)
        let outcome = try await Reconciler(ruleSet: ruleSet).reconcile(db: SQLiteAppDatabase(path: directory.dbPath),
                                                                         chain: EVMChainSource(endpoint: RPCEndpoint(rig.url)!))
        let stream4 = outcome.findings.filter { $0.streamId == "stream_4" }
        #expect(stream4.map(\.kind) == [.sourceError])
        #expect(stream4.first?.message == "on-chain record of stream 'stream_4' could not be read: getDepositedAmount, getWithdrawnAmount, "
            + "statusOf, getRecipient reverted while the other views answered")
        #expect(outcome.findings.contains { $0.streamId == "stream_2" && $0.kind == .mismatch })
    }

    @Test func theNodesCredentialsReachNoFindingAndNoError() async throws {
        let rig = try await EVMRig.start(server: "fault_server.py", ["--mode", "missing_ids", "--no-multicall3"])
        let directory = try DemoDirectory()
        let ruleSet = try RulesCompiler().load(path: try rig.demoRules(in: directory.url))
        // Through the registry, as `--chain` builds it (default policy: this takes a few seconds of retries).
        let source = try #require(try SourceRegistry.withJSONRPC.chain("http://user:s3cret@127.0.0.1:\(rig.port)/v3/k3y?apikey=s4cret") as? EVMChainSource)
        let outcome = try await Reconciler(ruleSet: ruleSet).reconcile(db: SQLiteAppDatabase(path: directory.dbPath), chain: source)
        let text = outcome.findings.map(\.message).joined(separator: "\n")
        #expect(text.contains("lacks"))
        for secret in ["s3cret", "k3y", "s4cret", "user"] { #expect(!text.contains(secret)) }
        #expect(source.displayName == "http://127.0.0.1:\(rig.port)/…")
    }
}

@Suite("JSON-RPC endpoints")
struct RPCEndpointTests {
    @Test(arguments: [
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("https://mainnet.example.com/v3/0123456789abcdef", "https://mainnet.example.com/…"),
        ("https://user:secret@node.example.com", "https://node.example.com/…"),
        ("https://node.example.com/?apikey=secret", "https://node.example.com/…"),
        ("HTTPS://node.example.com/", "https://node.example.com"),
    ])
    func credentialsNeverReachTheDisplayName(location: String, shown: String) throws {
        let endpoint = try #require(RPCEndpoint(location))
        #expect(endpoint.displayName == shown)
        #expect(!endpoint.displayName.contains("secret") && !endpoint.displayName.contains("0123456789abcdef"))
    }

    @Test(arguments: ["ftp://node.example.com", "http://", "not a url", "https:///path"])
    func onlyHTTPURLsAreEndpoints(location: String) {
        #expect(RPCEndpoint(location) == nil)
    }

    @Test func rulesWithoutAnEVMSectionCannotReadANode() async throws {
        let ruleSet = try RulesCompiler().load(path: EVMRig.repositoryRoot.appendingPathComponent("Rules/streams.yaml").path)
        let source = try SourceRegistry.withJSONRPC.chain("https://user:pw@node.example.com/key")
        #expect(source.displayName == "https://node.example.com/…")
        await #expect(throws: SourceError(.unsupported, at: "https://node.example.com/…",
                                          "reading the chain over JSON-RPC needs an 'evm' section in the rules (see docs/rules.md)")) {
            _ = try await source.open(SourceQuery(ruleSet: ruleSet))
        }
        #expect(throws: SourceError(.unsupported, at: "--chain", "not a usable http(s) URL for a JSON-RPC node")) {
            _ = try SourceRegistry.withJSONRPC.chain("http://")
        }
    }
}

extension SourceRegistry {
    /// The sources `--chain` builds from, as the composition root registers them.
    static var withJSONRPC: SourceRegistry {
        var registry = SourceRegistry.builtIn
        JSONRPCSupport.register(in: &registry)
        return registry
    }
}
