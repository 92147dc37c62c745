import EVMRigSupport
import Foundation
import GRDB
import LoopbackHTTP
import Testing

/// `streamrecon run --incremental` against the py-evm rig: what changed after a recorded run is
/// checked again, and nothing else is read from the node.
@Suite("streamrecon run --incremental against a JSON-RPC node")
struct IncrementalRunTests {
    /// The demo app DB with an `updated_at` column stamped long ago, and the rig's demo rules with
    /// that column, the escrow's events and (`multicall: off`) one counted `eth_call` per view.
    struct Setup {
        /// The scratch directory, the DB and the rules; removed when the last copy is released.
        let demo: RigDemo
        var directory: URL { demo.directory }
        var db: String { demo.dbPath }
        let rules: String

        init(_ rig: EVMRig, events: Bool = true) async throws {
            demo = try RigDemo(rig: rig)
            let queue = try DatabaseQueue(path: demo.dbPath)
            try await queue.write {
                try $0.execute(sql: "ALTER TABLE streams ADD COLUMN updated_at TEXT")
                try $0.execute(sql: "UPDATE streams SET updated_at = '2026-01-01T00:00:00Z'")
            }
            try queue.close()
            let demoRules = try String(contentsOfFile: demo.rulesPath, encoding: .utf8)
            let eventList = """
                  multicall: "off"
                  events:
                    - event: WithdrawFromLockupStream(uint256 indexed streamId, address indexed to, address indexed asset, uint128 amount)
                      id: streamId
                    - event: CancelLockupStream(uint256 streamId, address indexed sender, address indexed recipient, address indexed asset, uint128 senderAmount, uint128 recipientAmount)
                      id: streamId
                    - event: Transfer(address indexed from, address indexed to, uint256 indexed tokenId)
                      id: tokenId

                """
            rules = demo.directory.appendingPathComponent("rules.yaml").path
            try demoRules.replacingOccurrences(of: "db:\n  table: streams\n", with: "db:\n  table: streams\n  updated_at: updated_at\n")
                .replacingOccurrences(of: "  batch_size: 8\n", with: "  batch_size: 8\n" + (events ? eventList : "  multicall: \"off\"\n"))
                .write(toFile: rules, atomically: true, encoding: .utf8)
        }

        func run(_ rig: EVMRig, _ extra: [String] = []) async throws -> (status: Int32, report: [String: Any], stderr: String) {
            let output = try await CLIRunner.runAsync(["run", "--rules", rules, "--db", db, "--chain", rig.url, "--format", "json"] + extra)
            let report = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
            return (output.status, try #require(report, "no report: \(output.stderr)"), output.stderr)
        }

        func write(_ sql: String) async throws {
            let queue = try DatabaseQueue(path: db)
            try await queue.write { try $0.execute(sql: sql) }
            try queue.close()
        }
    }

    static func findings(_ report: [String: Any]) -> [String] {
        ((report["discrepancies"] as? [[String: Any]]) ?? []).map {
            "\($0["streamId"] as? String ?? "") \($0["kind"] as? String ?? "") \($0["field"] as? String ?? $0["side"] as? String ?? "-") "
                + "\($0["status"] as? String ?? "?")"
        }
    }

    static func ethCalls(_ rig: EVMRig) throws -> [String: Int] {
        try #require(try rig.stats()["byMethod"] as? [String: Int])
    }

    @Test func changesAfterARecordedRunAreCheckedAndNothingElseIsRead() async throws {
        // Refusing ranges of more than 2 blocks: the run must split its eth_getLogs range.
        let rig = try await EVMRig.start(options: .init(maxLogRange: 2))
        let setup = try await Setup(rig)

        let first = try await setup.run(rig)
        #expect(first.status == 1, "\(first.stderr)")
        let firstBlock = try #require((first.report["source"] as? [String: Any])?["chainBlock"] as? Int)
        let firstHash = try #require((first.report["source"] as? [String: Any])?["chainBlockHash"] as? String)
        #expect(firstHash == (try rig.blockHash(firstBlock)))
        let stored = try await DatabaseQueue(path: setup.db).read { try String.fetchOne($0, sql: "SELECT chain_block_hash FROM reconciliation_runs") }
        #expect(stored == firstHash)

        // On chain: stream_8 withdraws (its id in topic 1) and stream_2 is cancelled (its id in the
        // data); stream_1 already withdrew after the first run's block. In the DB: stream_7's bad
        // total is fixed, and its row stamped; stream_3's row is stamped.
        try rig.send("withdraw(uint256,uint128)", [8, 1])
        try rig.send("cancel(uint256,uint128)", [2, 100])
        _ = try rig.rpc("evm_mine", ["0x2"]) // the pin (latest − 2) then covers both
        try await setup.write("UPDATE streams SET total_amount = '1200', updated_at = '2999-01-01T00:00:00Z' WHERE id = 'stream_7'")
        try await setup.write("UPDATE streams SET updated_at = '2999-01-01 00:00:00.123456+00' WHERE id = 'stream_3'")
        _ = try rig.rpc("rig_resetStats")

        let second = try await setup.run(rig, ["--incremental"])
        #expect(second.status == 1, "\(second.stderr)")
        #expect(second.report["mode"] as? String == "incremental")
        let coverage = try #require(second.report["coverage"] as? [String: Any])
        let block = try #require((second.report["source"] as? [String: Any])?["chainBlock"] as? Int)
        #expect(coverage["fromBlock"] as? Int == firstBlock + 1 && coverage["toBlock"] as? Int == block)
        #expect(coverage["previousRunId"] as? String == first.report["runId"] as? String)
        // stream_1, 2 and 8 changed on chain; stream_3 in the DB; stream_4, 5, 6 and 7 carry the
        // first run's discrepancies (stream_5's from the chain side alone). stream_9 is neither
        // read nor reported.
        #expect(coverage["changedOnChain"] as? Int == 3 && coverage["changedInDB"] as? Int == 1 && coverage["carried"] as? Int == 4, "\(coverage)")
        #expect(coverage["sampled"] as? Int == 0 && coverage["dbRows"] as? Int == 8)
        let summary = try #require(second.report["summary"] as? [String: Any])
        #expect(summary["streamsChecked"] as? Int == 8)
        #expect(Self.findings(second.report) == [
            "stream_1 mismatch released_amount new",
            "stream_2 mismatch released_amount persisting", "stream_2 mismatch status new",
            "stream_4 missing_on_chain - persisting", "stream_5 missing_in_db - persisting",
            "stream_6 invariant_violation chain persisting", "stream_6 invariant_violation db persisting",
            "stream_8 mismatch released_amount new",
        ])
        let resolved = try #require(second.report["resolved"] as? [[String: Any]])
        #expect(resolved.map { "\($0["streamId"] as? String ?? "") \($0["kind"] as? String ?? "")" } == ["stream_7 invalid_value"])
        // The node's calls: one eth_call per view of each stream checked (4 views × 8 streams, no
        // count call), and the log range of 4 blocks refused once, then read in halves.
        let calls = try Self.ethCalls(rig)
        #expect(calls["eth_call"] == 4 * 8, "\(calls)")
        #expect(calls["eth_getLogs"] == 3, "\(calls)")
    }

    @Test func theEndpointRunsIncrementallyWhenAsked() async throws {
        let rig = try await EVMRig.start()
        let setup = try await Setup(rig)
        let server = try await ServeProcess.start(in: setup.directory, ["--db", setup.db, "--chain", rig.url, "--rules", setup.rules])
        let first = try await LoopbackHTTP.post(port: server.port, token: ServeCommandTests.token, json: #"{"incremental": true}"#)
        #expect(first.status == 200, "\(first.text)")
        #expect(try first.json()["mode"] as? String == "full")
        try rig.send("withdraw(uint256,uint128)", [8, 1])
        _ = try rig.rpc("evm_mine", ["0x2"])
        let second = try await LoopbackHTTP.post(port: server.port, token: ServeCommandTests.token, json: #"{"incremental": true, "sample": 0}"#)
        let report = try second.json()
        #expect(report["mode"] as? String == "incremental", "\(second.text)")
        #expect(Self.findings(report).contains("stream_8 mismatch released_amount new"))
        // stream_1 (its withdrawal after the first pin) and stream_8 changed; 2, 4, 5, 6 and 7 are carried.
        #expect((report["summary"] as? [String: Any])?["streamsChecked"] as? Int == 7)
    }

    @Test func aReorgBetweenThePinAndTheEndFailsTheRunNamingBothHashes() async throws {
        let rig = try await EVMRig.start()
        let setup = try await Setup(rig)
        // The pinned block is latest − 2: replacing the top 3 blocks replaces it, after the run's first reads.
        try rig.scheduleReorg(afterEthCalls: 4, depth: 3)
        let run = try await setup.run(rig)
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.report["status"] as? String == "failed")
        let replaced = try #require(try rig.reorgs().first?.replaced.first { $0.block == rig.pinnedBlock })
        let errors = ((run.report["discrepancies"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "source_error" }
        let message = try #require(errors.first?["message"] as? String)
        #expect(message.contains("pinned block \(rig.pinnedBlock) changed while the run read it (hash \(replaced.oldHash) at the start, \(replaced.newHash) at the end)"),
                "\(message)")
    }

    @Test func finalizedPinsTheNodesFinalizedBlock() async throws {
        let rig = try await EVMRig.start(options: .init(finalizedDepth: 4))
        let setup = try await Setup(rig)
        let text = try String(contentsOfFile: setup.rules, encoding: .utf8).replacingOccurrences(of: "confirmations: 2", with: "confirmations: finalized")
        try text.write(toFile: setup.rules, atomically: true, encoding: .utf8)
        let run = try await setup.run(rig, ["--dry-run"])
        let finalized = try #require(rig.finalizedBlock)
        #expect((run.report["source"] as? [String: Any])?["chainBlock"] as? Int == finalized, "\(run.stderr)")
        #expect(finalized == rig.latestBlock - 4)
    }

    @Test func withoutAUsablePreviousRunTheRunIsFullAndSaysWhy() async throws {
        let rig = try await EVMRig.start()
        let setup = try await Setup(rig)
        let first = try await setup.run(rig, ["--incremental"])
        #expect(first.report["mode"] as? String == "full")
        let reason = (first.report["coverage"] as? [String: Any])?["reason"] as? String
        #expect(reason == "no previous completed run of rules 'payment-streams-evm' is recorded to start from")
        #expect(first.stderr.contains("note: --incremental ran in full: no previous completed run"), "\(first.stderr)")
        #expect((first.report["summary"] as? [String: Any])?["streamsChecked"] as? Int == 9)

        // Other rules under the same name: their findings may differ anywhere.
        try (String(contentsOfFile: setup.rules, encoding: .utf8) + "# changed\n").write(toFile: setup.rules, atomically: true, encoding: .utf8)
        let second = try await setup.run(rig, ["--incremental"])
        let other = try #require((second.report["coverage"] as? [String: Any])?["reason"] as? String)
        #expect(other.hasPrefix("the previous run \(first.report["runId"] as? String ?? "?") used other rules (sha256 "), "\(other)")

        // A sample of 100 % checks every row that did not change, too.
        let sampled = try await setup.run(rig, ["--incremental", "--sample", "100"])
        #expect(sampled.report["mode"] as? String == "incremental")
        let coverage = try #require(sampled.report["coverage"] as? [String: Any])
        #expect(coverage["sampled"] as? Int == 4 && coverage["carried"] as? Int == 5, "\(coverage)") // stream_1, 3, 8, 9; 2, 4, 5, 6, 7
    }

    @Test func aPreviousBlockReorganisedAwayMakesTheRunFull() async throws {
        let rig = try await EVMRig.start()
        let setup = try await Setup(rig)
        _ = try await setup.run(rig)
        let latest = try #require(Int((try rig.rpc("eth_blockNumber") as? String ?? "").dropFirst(2), radix: 16))
        try rig.reorg(depth: latest - rig.pinnedBlock + 1)
        let run = try await setup.run(rig, ["--incremental"])
        #expect(run.report["mode"] as? String == "full")
        let reason = try #require((run.report["coverage"] as? [String: Any])?["reason"] as? String)
        #expect(reason.hasPrefix("the previous run's block \(rig.pinnedBlock) is no longer on the chain (hash "), "\(reason)")
    }

    @Test func aNodeThatRefusesEvenOneBlocksLogsFailsTheRun() async throws {
        let rig = try await EVMRig.start(options: .init(maxLogs: 1))
        let setup = try await Setup(rig)
        _ = try await setup.run(rig)
        try rig.sendMany([("withdraw(uint256,uint128)", [8, 1]), ("withdraw(uint256,uint128)", [3, 0])])
        _ = try rig.rpc("evm_mine", ["0x2"])
        let run = try await setup.run(rig, ["--incremental"])
        #expect(run.status == 3)
        let error = run.report["error"] as? String ?? ""
        #expect(error.contains("the node refuses even one block (query returned more than 1 results)"), "\(error)")
    }

    @Test func rulesThatCannotBeIncrementalAndBadSamplesAreRefused() async throws {
        let rig = try await EVMRig.start()
        let setup = try await Setup(rig, events: false)
        let output = try await CLIRunner.runAsync(["run", "--rules", setup.rules, "--db", setup.db, "--chain", rig.url, "--incremental"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--incremental needs 'evm.events' (the contract's events that name a changed stream) in the rules"), "\(output.stderr)")
        for (arguments, message) in [(["--sample", "5"], "--sample applies to an --incremental run"),
                                     (["--incremental", "--sample", "101"], "--sample is a percentage from 0 to 100, not 101.0"),
                                     (["--incremental", "--sample", "nan"], "--sample is a percentage from 0 to 100, not nan")] {
            let refused = try await CLIRunner.runAsync(["run", "--rules", setup.rules, "--db", setup.db, "--dry-run"] + arguments)
            #expect(refused.status == 2 && refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
        }
    }

    @Test func aNodeThatAnswersLogsOutOfOrderOrTwiceFailsTheRun() async throws {
        for mode in ["logs_out_of_order", "logs_duplicated"] {
            let rig = try await EVMRig.start(server: "fault_server.py", ["--mode", mode])
            let setup = try await Setup(rig)
                _ = try await setup.run(rig)
            try rig.sendMany([("withdraw(uint256,uint128)", [8, 1]), ("withdraw(uint256,uint128)", [3, 0])])
            _ = try rig.rpc("evm_mine", ["0x2"])
            let run = try await setup.run(rig, ["--incremental"])
            #expect(run.status == 3, "\(mode): \(run.stderr)")
            let error = run.report["error"] as? String ?? ""
            let expected = mode == "logs_duplicated" ? "twice" : "out of order"
            #expect(error.contains(expected) && error.contains("cannot be trusted"), "\(mode): \(error)")
        }
    }
}
