import Foundation
import ReconChain
import ReconEngine
@testable import ReconRPC
import ReconSources
import Testing

/// What `LogScanner` makes of the logs a node answers, short of asking one.
struct LogScannerTests {
    static let contract = try! EthereumAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
    static let withdraw = try! EventSignature(parsing: "Withdraw(uint256 indexed streamId, uint128 amount)")
    static let cancel = try! EventSignature(parsing: "Cancel(address indexed by, uint256 streamId)")
    static let scanner = LogScanner(node: NodeReads(client: JSONRPCClient(endpoint: RPCEndpoint("http://127.0.0.1:9")!)), contract: contract,
                                    events: [.init(signature: withdraw, id: .topic(1)), .init(signature: cancel, id: .dataWord(0))])
    static let hash = "0x" + String(repeating: "ab", count: 32)

    static func word(_ value: Int) -> String { "0x" + String(repeating: "0", count: 64 - String(value, radix: 16).count) + String(value, radix: 16) }

    static func log(_ event: EventSignature, topics: [String] = [], data: String = "0x", block: Int = 10, index: Int = 0,
                    address: String = contract.lowercased) -> LogScanner.Log {
        LogScanner.Log(address: address, topics: [Hex.encode(event.topic0)] + topics, data: data, blockNumber: "0x" + String(block, radix: 16),
                       blockHash: hash, logIndex: "0x" + String(index, radix: 16), removed: nil)
    }

    func failure(_ body: () throws(SourceError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.message
        }
    }

    @Test func readsTheIdFromATopicOrADataWord() throws {
        #expect(try Self.scanner.id(in: Self.log(Self.withdraw, topics: [Self.word(42)], data: Self.word(7))) == UInt256(42))
        let by = "0x" + String(repeating: "0", count: 24) + String(Self.contract.lowercased.dropFirst(2))
        #expect(try Self.scanner.id(in: Self.log(Self.cancel, topics: [by], data: Self.word(9) + String(Self.word(1).dropFirst(2)))) == UInt256(9))
    }

    @Test func aLogWithoutItsIdIsRefused() {
        #expect(failure { () throws(SourceError) in _ = try Self.scanner.id(in: Self.log(Self.withdraw)) }
            == "a Withdraw log at block 10 has no stream id at topic 1; does its declaration in 'evm.events' match the contract's event?")
        #expect(failure { () throws(SourceError) in _ = try Self.scanner.id(in: Self.log(Self.cancel, data: "0x01")) }
            == "a Cancel log at block 10 has no stream id at data word 0; does its declaration in 'evm.events' match the contract's event?")
    }

    @Test func answersThatBreakTheFilterAreRefused() {
        let ok = Self.log(Self.withdraw, topics: [Self.word(1)])
        #expect(failure { () throws(SourceError) in try Self.scanner.check([ok, Self.log(Self.withdraw, topics: [Self.word(2)], index: 1)], from: 5, to: 10) } == nil)
        var other = ok
        other.address = "0x" + String(repeating: "11", count: 20)
        #expect(failure { () throws(SourceError) in try Self.scanner.check([other], from: 5, to: 10) }?.contains("the node answered a log the filter excludes (block 10, log 0)") == true)
        #expect(failure { () throws(SourceError) in try Self.scanner.check([Self.log(Self.withdraw, block: 11)], from: 5, to: 10) }?.contains("the filter excludes (block 11") == true)
        var unnamed = ok
        unnamed.topics = [Hex.encode(Keccak256.hash(Array("Other()".utf8)))]
        #expect(failure { () throws(SourceError) in try Self.scanner.check([unnamed], from: 5, to: 10) }?.contains("the filter excludes") == true)
        var noHash = ok
        noHash.blockHash = "0x12"
        #expect(failure { () throws(SourceError) in try Self.scanner.check([noHash], from: 5, to: 10) } == "the logs of \(Self.contract.checksummed) in blocks 5–10: a log has no block number, block hash or log index")
    }
}
