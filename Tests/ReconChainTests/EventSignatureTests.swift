import ReconChain
import Testing

struct EventSignatureTests {
    func failure(_ text: String) -> String? {
        do {
            _ = try EventSignature(parsing: text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func hashesTheCanonicalSignatureIntoTopicZero() throws {
        let transfer = try EventSignature(parsing: "event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)")
        #expect(transfer.canonical == "Transfer(address,address,uint256)")
        #expect(Hex.encode(transfer.topic0) == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
        #expect(transfer.position(of: "tokenId") == .topic(3))
        #expect(transfer.position(of: "from") == .topic(1))
        #expect(transfer.position(of: "amount") == nil)
        // `uint` is `uint256` in the hash, as Solidity writes it.
        #expect(try EventSignature(parsing: "Transfer(address indexed from, address indexed to, uint indexed tokenId)").topic0 == transfer.topic0)
    }

    @Test func findsAnIdInTheDataAmongIndexedParameters() throws {
        // Sablier's CancelLockupStream: the stream id is not indexed, so it is the first data word.
        let cancel = try EventSignature(parsing: "CancelLockupStream(uint256 streamId, address indexed sender, address indexed recipient, "
            + "address indexed asset, uint128 senderAmount, uint128 recipientAmount)")
        #expect(cancel.position(of: "streamId") == .dataWord(0))
        #expect(cancel.position(of: "recipientAmount") == .dataWord(2))
        #expect(cancel.position(of: "asset") == .topic(3))
        #expect(cancel.canonical == "CancelLockupStream(uint256,address,address,address,uint128,uint128)")
        let withdraw = try EventSignature(parsing: "WithdrawFromLockupStream(uint256 indexed streamId, address indexed to, address indexed asset, uint128 amount)")
        #expect(withdraw.position(of: "streamId") == .topic(1))
        #expect(withdraw.position(of: "amount") == .dataWord(0))
    }

    @Test func acceptsDynamicTypesAndArraysAsOtherParameters() throws {
        let event = try EventSignature(parsing: "Note(uint256 indexed id, string memo, bytes data, uint8[3] codes, address[] to)")
        #expect(event.canonical == "Note(uint256,string,bytes,uint8[3],address[])")
        #expect(event.parameters.map(\.type) == [.uint256, nil, nil, nil, nil])
        #expect(event.position(of: "to") == .dataWord(3))
        #expect(try EventSignature(parsing: "Ping()").canonical == "Ping()")
    }

    @Test func refusesWhatCannotBeFoundOrRead() {
        #expect(failure("Withdraw(uint256 indexed id, IERC20 indexed asset)")
            == "column 30: unknown ABI type 'IERC20'; a contract or interface type (such as IERC20) is 'address' in an event signature")
        #expect(failure("Withdraw(uint257 id)") == "column 10: unknown ABI type 'uint257'")
        #expect(failure("Four(uint8 indexed a, uint8 indexed b, uint8 indexed c, uint8 indexed d)")
            == "column 63: an event has at most 3 indexed parameters")
        #expect(failure("Anon(uint256 indexed id) anonymous") == "column 26: an anonymous event has no topic to find its logs by")
        #expect(failure("Two(uint256 id, uint256 id)") == "column 1: two parameters are named 'id'")
        #expect(failure("Tuple((uint256, address) pair)") == "column 7: tuple parameters are not supported in an event signature")
        #expect(failure("Open(uint256 id") == "column 16: expected ',' or ')'; found the end")
        #expect(failure("Trailing(uint256 id) extra") == "column 22: unexpected text after the parameter list")
        #expect(failure("Array(uint256[x] id)") == "column 15: expected ']'; found 'x'")
        #expect(failure("(uint256 id)") == "column 1: expected an event name; found '('")
    }
}
