import Foundation
import ReconChain
import Synchronization

/// The chain behind `SyntheticNode`: numbered blocks (hash = keccak256 of the number), one
/// stream contract whose views answer at any block, and its logs. `advance` mines blocks in
/// which some streams change, each change with the log a real contract emits for it.
final class SyntheticChain: Sendable {
    /// Sablier V2 Lockup's events: the stream id is topic 1 of a withdrawal, the first data word of a cancellation.
    static let withdrawDeclaration = "WithdrawFromLockupStream(uint256 indexed streamId, address indexed to, address indexed asset, uint128 amount)"
    static let cancelDeclaration = "CancelLockupStream(uint256 streamId, address indexed sender, address indexed recipient, address indexed asset, "
        + "uint128 senderAmount, uint128 recipientAmount)"
    static let withdraw = try! EventSignature(parsing: withdrawDeclaration)
    static let cancel = try! EventSignature(parsing: cancelDeclaration)
    /// An event of the contract that changes no stream: rules do not list it, and a node must not answer it.
    static let approval = try! EventSignature(parsing: "ApprovalForAll(address indexed owner, address indexed operator, bool approved)")
    static let genesisTime: UInt64 = 1_700_000_000

    let streams: Int
    private let state: Mutex<State>

    struct State {
        var head: UInt64
        /// Each changed stream's values from a block on, oldest first.
        var history: [UInt64: [(block: UInt64, values: [UInt64])]] = [:]
        /// Every log, in (block, log index) order.
        var logs: [Log] = []
    }

    /// One log of the contract.
    struct Log {
        var block: UInt64
        var index: UInt64
        var topics: [[UInt8]]
        var data: [UInt8]
    }

    /// How a stream changed on chain.
    enum Change {
        case withdrawal(id: UInt64, amount: UInt64)
        case cancellation(id: UInt64)

        var id: UInt64 {
            switch self {
            case .withdrawal(let id, _), .cancellation(let id): id
            }
        }
    }

    init(streams: Int, head: UInt64) {
        self.streams = streams
        state = Mutex(State(head: head))
    }

    var head: UInt64 { state.withLock { $0.head } }

    /// Stream `id`'s deposited, withdrawn and status before any change.
    static func initialValues(_ id: UInt64) -> [UInt64] { [1_000_000 + id, id % 1000, id % 3] }

    /// Stream `id`'s values at `block`.
    func values(_ id: UInt64, at block: UInt64) -> [UInt64] {
        state.withLock { state in
            state.history[id]?.last { $0.block <= block }?.values ?? Self.initialValues(id)
        }
    }

    static func hash(_ block: UInt64) -> String {
        Keccak256.hex(Array("streamrecon-bench block".utf8) + UInt256(block).bigEndianBytes)
    }

    /// The block a tag names (`latest`, `finalized`, `0x1f`), nil for one not yet mined or unreadable.
    func block(_ tag: String) -> UInt64? {
        let head = self.head
        switch tag {
        case "latest", "pending": return head
        case "safe": return head >= 32 ? head - 32 : 0
        case "finalized": return head >= 64 ? head - 64 : 0
        case "earliest": return 0
        default:
            guard tag.hasPrefix("0x"), let number = UInt64(tag.dropFirst(2), radix: 16), number <= head else { return nil }
            return number
        }
    }

    /// `eth_getBlockByNumber`'s block object (no transactions), NSNull for a block not mined.
    func header(_ tag: String) -> Any {
        guard let number = block(tag) else { return NSNull() }
        return ["number": hex(number), "hash": Self.hash(number), "parentHash": number == 0 ? "0x" + String(repeating: "0", count: 64) : Self.hash(number - 1),
                "timestamp": hex(Self.genesisTime + 12 * number), "transactions": [String]()] as [String: Any]
    }

    /// The logs of `blocks` whose topic 0 is one of `topic0` (any when empty), as `eth_getLogs` answers them.
    func logs(_ blocks: ClosedRange<UInt64>, topic0: Set<String>) -> [[String: Any]] {
        let address = RPCBenchmark.contract.lowercased
        let matching = state.withLock { state -> [Log] in
            let first = state.logs.partitionPoint { $0.block < blocks.lowerBound }
            return state.logs[first...].prefix { $0.block <= blocks.upperBound }.filter { topic0.isEmpty || topic0.contains(Hex.encode($0.topics[0])) }
        }
        return matching.map { log in
            ["address": address, "topics": log.topics.map { Hex.encode($0) }, "data": Hex.encode(log.data),
             "blockNumber": hex(log.block), "blockHash": Self.hash(log.block), "logIndex": hex(log.index),
             "transactionHash": Keccak256.hex(UInt256(log.block).bigEndianBytes + UInt256(log.index).bigEndianBytes),
             "transactionIndex": hex(log.index), "removed": false] as [String: Any]
        }
    }

    /// Mines `blocks` blocks; the changes land in order in random blocks among the first `spread`,
    /// 1 to 8 per block, each with its log; an ApprovalForAll log every 7th block besides.
    func advance(blocks: UInt64, spread: UInt64, changes: [Change], random: inout some RandomNumberGenerator) {
        var groups: [Int] = []
        var left = changes.count
        while left > 0 {
            groups.append(min(left, Int.random(in: 1...8, using: &random)))
            left -= groups.last!
        }
        precondition(groups.count <= spread && spread <= blocks, "\(changes.count) changes do not fit in \(spread) blocks")
        state.withLock { state in
            let first = state.head + 1
            var chosen = Set<UInt64>()
            while chosen.count < groups.count { chosen.insert(first + UInt64.random(in: 0..<spread, using: &random)) }
            let sizes = Dictionary(uniqueKeysWithValues: zip(chosen.sorted(), groups))
            var pending = changes[...]
            for block in first..<(first + blocks) {
                var index: UInt64 = 0
                for change in pending.prefix(sizes[block] ?? 0) {
                    apply(change, block: block, index: index, to: &state)
                    index += 1
                }
                pending = pending.dropFirst(sizes[block] ?? 0)
                if block % 7 == 0 {
                    state.logs.append(Log(block: block, index: index, topics: [Self.approval.topic0, word(block), word(block &* 31)], data: word(1)))
                }
            }
            state.head = first + blocks - 1
        }
    }

    private func apply(_ change: Change, block: UInt64, index: UInt64, to state: inout State) {
        let id = change.id
        var values = state.history[id]?.last?.values ?? Self.initialValues(id)
        let asset = word(0xA55E7), party = word(id &* 7919)
        switch change {
        case .withdrawal(_, let amount):
            values[1] += amount
            state.logs.append(Log(block: block, index: index, topics: [Self.withdraw.topic0, word(id), party, asset], data: word(amount)))
        case .cancellation:
            values[2] = 3
            state.logs.append(Log(block: block, index: index, topics: [Self.cancel.topic0, word(0x5E4D), party, asset],
                                  data: word(id) + word(values[0] - values[1]) + word(0)))
        }
        state.history[id, default: []].append((block, values))
    }

    private func word(_ value: UInt64) -> [UInt8] { UInt256(value).bigEndianBytes }
}

func hex(_ number: UInt64) -> String { "0x" + String(number, radix: 16) }

extension Collection {
    /// The index of the first element for which `belongs` is false, in a collection partitioned by it.
    func partitionPoint(_ belongs: (Element) -> Bool) -> Index {
        var low = startIndex, count = self.count
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if belongs(self[middle]) {
                low = index(after: middle)
                count -= half + 1
            } else {
                count = half
            }
        }
        return low
    }
}
