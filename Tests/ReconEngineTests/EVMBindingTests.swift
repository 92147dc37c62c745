import Foundation
import ReconChain
import ReconEngine
import Testing

@Suite("rules: the evm binding")
struct EVMBindingTests {
    static let header = "version: 1\nname: t\nkey: { db: id, chain: id }\ndb: { table: streams }\n"

    func lint(_ yaml: String) -> [String] {
        RulesCompiler().compile(yaml: yaml, file: "rules.yaml").diagnostics.map(\.description)
    }

    @Test func theSablierProfileCompilesIntoViewsWithTheirSelectors() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Rules/sablier-v2-lockup.yaml").path
        let ruleSet = try RulesCompiler().load(path: path)
        let evm = try #require(ruleSet.evm)
        #expect(evm.finality == .depth(12) && evm.batchSize == 100 && evm.multicall && evm.idPrefix == "")
        #expect(evm.count?.selector.description == "0x1e99d569")
        let selectors = ruleSet.fields.map { $0.view?.selector.description }
        #expect(selectors == ["0xa80fc071", "0xd511609f", "0xd4dbd20b", "0xad35efd4", "0xb971302a", "0x6d0cee75", "0xeac8f5b8"])
        #expect(ruleSet.chainFields == ["getDepositedAmount", "getWithdrawnAmount", "getRefundedAmount", "statusOf", "getSender",
                                        "getRecipient", "getAsset"])
        #expect(ruleSet.fields[3].view?.returnType == .uint8)
        // Sablier's events, the stream id a topic in three and the first data word in CancelLockupStream.
        #expect(evm.events.map(\.signature.name) == ["WithdrawFromLockupStream", "CancelLockupStream", "RenounceLockupStream", "Transfer"])
        #expect(evm.events.map(\.id) == [.topic(1), .dataWord(0), .topic(1), .topic(3)])
        #expect(ruleSet.updatedAtColumn == "updated_at")
    }

    @Test func eventsAndTheFinalizedBlock() throws {
        let yaml = Self.header.replacingOccurrences(of: "db: { table: streams }", with: "db: { table: streams, updated_at: changed_at }") + """
            evm:
              contract: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
              confirmations: finalized
              events:
                - event: "event Withdrawn(uint256 indexed streamId, uint128 amount)"
                  id: streamId
                - { event: "Closed(address indexed by, uint64 streamId)", id: streamId }
            fields:
              a: { type: amount, chain: getA(uint256) returns (uint128) }
            """
        let result = RulesCompiler().compile(yaml: yaml, file: "rules.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let ruleSet = try #require(result.ruleSet)
        let evm = try #require(ruleSet.evm)
        #expect(evm.finality == .finalized && evm.finality.description == "the finalized block")
        #expect(evm.events.map(\.signature.canonical) == ["Withdrawn(uint256,uint128)", "Closed(address,uint64)"])
        #expect(evm.events.map(\.id) == [.topic(1), .dataWord(0)])
        #expect(ruleSet.updatedAtColumn == "changed_at")
    }

    @Test func badEventListsAreReportedEachAtItsPlace() {
        let base = Self.header + "evm:\n  contract: \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\"\n  confirmations: 2\n"
        let field = "fields:\n  a: { type: amount, chain: getA(uint256) returns (uint128) }\n"
        #expect(lint(base + "  events: Withdrawn(uint256 indexed id)\n" + field) == [
            "rules.yaml:8:11: error[wrong-node-kind]: 'events' of 'evm' must be a list of '{ event: Signature(…), id: parameter }' entries, not a single value",
        ])
        #expect(lint(base + "  events: []\n" + field) == [
            "rules.yaml:8:11: error[invalid-value]: 'events' of 'evm' is empty; list the events that change a stream, or leave 'events' out",
        ])
        #expect(lint(base + "  events:\n    - { event: \"A(uint256 indexed id)\" }\n    - { event: \"A(uint256 indexed id)\", id: id }\n"
                     + "    - { event: \"A(uint id)\", id: id, topic: 1 }\n" + field) == [
            "rules.yaml:9:7: error[missing-key]: an entry of 'events' is missing 'id'; name the parameter that holds the stream id, such as 'id: streamId'",
            "rules.yaml:11:16: error[duplicate-key]: A(uint256) is listed twice in 'events' (as A too); keep one",
            "rules.yaml:11:38: error[unknown-key]: unknown key 'topic' in an entry of 'events'; expected one of event, id",
        ])
        #expect(lint(Self.header + "evm:\n  contract: \"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\"\n  confirmations: final\n" + field) == [
            "rules.yaml:7:18: error[invalid-value]: 'confirmations' of 'evm' is a whole number of blocks from 0 to 100000, or 'finalized', not 'final'",
        ])
    }

    @Test func optionsAndDefaults() throws {
        let yaml = Self.header + """
            evm:
              contract: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
              confirmations: 0
              id_prefix: stream_
              batch_size: 512
              multicall: "off"
            fields:
              a: { type: amount, chain: 'function getA(uint streamId) external view returns (uint128 amount)' }
              t: { type: timestamp, chain: getT(uint256) returns (uint40) }
              s: { type: string, chain: getS(uint256) returns (bytes32) }
            """
        let result = RulesCompiler().compile(yaml: yaml, file: "rules.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let ruleSet = try #require(result.ruleSet)
        let evm = try #require(ruleSet.evm)
        #expect(evm.contract.checksummed == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        #expect(evm.finality == .depth(0) && evm.idPrefix == "stream_" && evm.batchSize == 512 && !evm.multicall && evm.count == nil)
        #expect(ruleSet.fields.map { $0.view?.description } == [
            "getA(uint256) returns (uint128)", "getT(uint256) returns (uint40)", "getS(uint256) returns (bytes32)",
        ])
    }

    @Test func withoutAnEVMBindingChainFieldsStayNames() throws {
        let result = RulesCompiler().compile(yaml: Self.header + "fields:\n  a: { type: amount, chain: deposited }\n", file: "rules.yaml")
        let ruleSet = try #require(result.ruleSet)
        #expect(ruleSet.evm == nil)
        #expect(ruleSet.chainFields == ["deposited"])
        #expect(ruleSet.fields[0].view == nil)
    }

    @Test func badOptionsAreReportedEachAtItsPlace() {
        let yaml = Self.header + "evm:\n  confirmations: -1\n  batch_size: 1000\n  multicall: on\n  chain_id: 1\n"
            + "fields:\n  a: { type: amount, chain: getA(uint256) returns (uint128) }\n"
        #expect(lint(yaml) == [
            "rules.yaml:6:3: error[missing-key]: 'evm' is missing 'contract'; give the stream contract's address, such as 'contract: \"0xAfb9…\"', or list the chains it is on in 'deployments'",
            "rules.yaml:6:18: error[invalid-value]: 'confirmations' of 'evm' is a whole number of blocks from 0 to 100000, or 'finalized', not '-1'",
            "rules.yaml:7:15: error[invalid-value]: 'batch_size' of 'evm' must be a whole number from 1 to 512, not '1000'",
            "rules.yaml:8:14: error[invalid-value]: 'multicall' of 'evm' is 'auto' (use Multicall3 when the chain has it) or 'off'",
            "rules.yaml:9:3: error[unknown-key]: unknown key 'chain_id' in 'evm'; expected one of contract, deployments, confirmations, id_prefix, count, "
                + "batch_size, multicall, events, description",
        ])
        let missing = Self.header + "evm:\n  contract: 0x1234\nfields:\n  a: { type: amount, chain: getA(uint256) returns (uint128) }\n"
        #expect(lint(missing) == [
            "rules.yaml:6:3: error[missing-key]: 'evm' is missing 'confirmations'; say how many blocks behind the latest to read, such as 'confirmations: 12', or 'confirmations: finalized'",
            "rules.yaml:6:13: error[invalid-contract]: 'contract' of 'evm': '0x1234' is not an address: it has 2 bytes, an address has 20",
        ])
    }
}
