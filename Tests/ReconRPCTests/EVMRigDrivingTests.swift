import EVMRigSupport
import Foundation
import Testing

/// The rig's Swift conveniences for chain-at-scale tests (Tests/EVM/README.md): options,
/// `send`, `sendMany`, `reorg`, `scheduleReorg`, `rpc`. The rig's own check.py covers the
/// server; this covers the wrapper.
@Suite("EVM rig: driving the chain from Swift")
struct EVMRigDrivingTests {
    @Test func optionsTransactionsAndReorgs() async throws {
        let rig = try await EVMRig.start(options: .init(chainId: 10, finalizedDepth: 2, maxLogRange: 4))
        #expect(rig.chainId == 10)
        #expect(try rig.rpc("eth_chainId") as? String == "0xa")
        #expect(rig.finalizedBlock == rig.pinnedBlock)

        let sent = try rig.send("withdraw(uint256,uint128)", [2, 50])
        #expect(sent.block == rig.latestBlock + 1 && sent.status == 1)
        let many = try rig.sendMany([("renounce(uint256)", [3]), ("create(address,address,address,uint128)",
                                                                   [rig.escrow, rig.escrow, rig.escrow, "100000000000000000000000"])])
        #expect(Set(many.map(\.block)) == [sent.block + 1])
        #expect(many[1].output.hasSuffix("0a"), "create returns id 10")
        #expect(throws: EVMRig.RPCError.self) { try rig.send("withdraw(uint256,uint128)", [2, 1_000_000]) }
        do {
            try rig.send("cancel(uint256,uint128)", [3, 0])
            Issue.record("cancel after renounce must revert")
        } catch let error as EVMRig.RPCError {
            #expect(error.code == 3 && error.message == "execution reverted: StreamEscrow: not cancelable")
        }
        do {
            _ = try rig.rpc("eth_getLogs", [["fromBlock": "0x0", "toBlock": "latest"]])
            Issue.record("more than 4 blocks must be refused")
        } catch let error as EVMRig.RPCError {
            #expect(error.code == -32005 && error.message.hasPrefix("block range too large"))
        }
        let logs = try rig.rpc("eth_getLogs", [["blockHash": many[0].blockHash]]) as? [[String: Any]]
        #expect(logs?.count == 2)

        let top = many[0].block
        let before = try rig.blockHash(top)
        let reorg = try rig.reorg(depth: 2)
        #expect(reorg.forkBlock == top - 2 && reorg.replaced.map(\.oldHash).last == before)
        #expect(try rig.blockHash(top) != before)
        #expect(reorg.droppedTransactions == [sent.hash] + many.map(\.hash))
        // The replaced blocks' logs are gone.
        #expect((try rig.rpc("eth_getLogs", [["fromBlock": "0x" + String(top - 1, radix: 16)]]) as? [Any])?.isEmpty == true)

        let hash = try rig.blockHash(top)
        try rig.scheduleReorg(afterEthCalls: 1, depth: 1)
        _ = try rig.rpc("eth_call", [["to": rig.escrow, "data": "0x1e99d569"], "latest"])
        #expect(try rig.blockHash(top) != hash)
        #expect(try rig.reorgs().count == 2)
        #expect(try rig.stats()["byMethod"] as? [String: Int] == ["eth_chainId": 1, "eth_getLogs": 3, "eth_getBlockByNumber": 4, "eth_call": 1])
    }
}
