import Foundation
import ReconChain
import ReconEngine
import ReconSources

/// Finds the streams a contract's events name in a block range, with `eth_getLogs`: the range is
/// asked for whole and split in halves whenever the node refuses it as too wide or its answer as
/// too large, never skipped; logs from a block that is no longer canonical do not count.
struct LogScanner: Sendable {
    let node: NodeReads
    let contract: EthereumAddress
    let events: [EVMBinding.Event]

    /// What a scan found.
    struct Scan: Sendable, Equatable {
        var ids: Set<UInt256> = []
        var logs = 0
        /// `eth_getLogs` calls made, refused ones included.
        var requests = 0
    }

    /// One log as `eth_getLogs` answers it.
    struct Log: Sendable, Decodable, Equatable {
        var address: String
        var topics: [String]
        var data: String
        var blockNumber: String
        var blockHash: String
        var logIndex: String
        var removed: Bool?

        var block: UInt64? { NodeReads.quantity(blockNumber) }
        var index: UInt64? { NodeReads.quantity(logIndex) }
    }

    private var what: String { "the logs of \(contract.checksummed)" }

    /// The ids every declared event names in blocks `from...to` (nothing when `from > to`).
    func scan(from: UInt64, to: UInt64) async throws(SourceError) -> Scan {
        var scan = Scan()
        guard from <= to else { return scan }
        var logs: [Log] = []
        var cursor = from
        var span = to - from + 1
        while cursor <= to {
            try SourceError.checkStopped(at: node.displayName)
            let end = cursor + min(span, to - cursor + 1) - 1
            scan.requests += 1
            switch try await fetch(from: cursor, to: end) {
            case .refused(let reason):
                guard end > cursor else {
                    throw SourceError(.unreadable, at: node.displayName, "cannot read \(what) of block \(cursor): the node refuses even one block (\(reason.prefix(120)))")
                }
                span = (end - cursor + 1) / 2
            case .logs(let answered):
                logs += answered
                cursor = end + 1
            }
        }
        logs = try await canonical(logs, requests: &scan.requests)
        scan.logs = logs.count
        for log in logs { scan.ids.insert(try id(in: log)) }
        return scan
    }

    private enum Answer {
        case logs([Log])
        case refused(String)
    }

    private func fetch(from: UInt64, to: UInt64) async throws(SourceError) -> Answer {
        let filter = RPCCall.Parameter.logFilter(address: contract.lowercased, fromBlock: NodeReads.tag(from), toBlock: NodeReads.tag(to),
                                                 topic0: events.map { Hex.encode($0.signature.topic0) })
        let outcome: RPCOutcome
        do {
            outcome = try await node.client.send(RPCCall("eth_getLogs", [filter]))
        } catch {
            throw SourceError(.unreadable, at: node.displayName, "cannot read \(what) in blocks \(from)–\(to): \(error.description)")
        }
        switch outcome {
        case .error(_, let message, _) where outcome.isRangeRefusal:
            return .refused(message)
        case .error(let code, let message, _):
            throw SourceError(.unreadable, at: node.displayName, "cannot read \(what) in blocks \(from)–\(to): the node answered error \(code): \(message.prefix(120))")
        case .result, .structured:
            guard case .structured(let data) = outcome, let logs = try? JSONDecoder().decode([Log].self, from: data) else {
                throw SourceError(.malformed, at: node.displayName, "cannot read \(what) in blocks \(from)–\(to): the answer is not a list of logs")
            }
            try check(logs, from: from, to: to)
            return .logs(logs.filter { $0.removed != true })
        }
    }

    /// A node whose answer breaks the rules of `eth_getLogs` (another contract's logs, a block
    /// outside the range, logs out of order or twice) cannot be trusted to have left none out.
    func check(_ logs: [Log], from: UInt64, to: UInt64) throws(SourceError) {
        let topics = Set(events.map { Hex.encode($0.signature.topic0) })
        var previous: (block: UInt64, index: UInt64)?
        for log in logs {
            guard let block = log.block, let index = log.index, NodeReads.isHash(log.blockHash) else {
                throw SourceError(.malformed, at: node.displayName, "\(what) in blocks \(from)–\(to): a log has no block number, block hash or log index")
            }
            guard log.address.lowercased() == contract.lowercased, let topic = log.topics.first, topics.contains(topic.lowercased()),
                  (from...to).contains(block) else {
                throw SourceError(.malformed, at: node.displayName, "\(what) in blocks \(from)–\(to): the node answered a log the filter excludes "
                    + "(block \(block), log \(index)); its eth_getLogs answers cannot be trusted")
            }
            if let previous, (block, index) <= previous {
                let how = (block, index) == previous ? "twice" : "out of order (after block \(previous.block) log \(previous.index))"
                throw SourceError(.malformed, at: node.displayName, "\(what) in blocks \(from)–\(to): the node answered block \(block) log \(index) "
                    + "\(how); its eth_getLogs answers cannot be trusted to be complete: use another node, or run without --incremental")
            }
            previous = (block, index)
        }
    }

    /// The logs whose block is canonical: a block whose logs came from another hash (a
    /// reorganisation while they were read) is read again, once.
    private func canonical(_ logs: [Log], requests: inout Int) async throws(SourceError) -> [Log] {
        let blocks = Set(logs.compactMap(\.block)).sorted()
        guard !blocks.isEmpty else { return logs }
        let hashes = try await node.hashes(of: blocks)
        let stale = Set(logs.filter { hashes[$0.block ?? 0] != $0.blockHash.lowercased() }.compactMap(\.block))
        guard !stale.isEmpty else { return logs }
        var kept = logs.filter { !stale.contains($0.block ?? 0) }
        for block in stale.sorted() {
            requests += 1
            guard case .logs(let again) = try await fetch(from: block, to: block) else {
                throw SourceError(.unreadable, at: node.displayName, "cannot read \(what) of block \(block) again after a reorganisation")
            }
            guard again.allSatisfy({ $0.blockHash.lowercased() == hashes[block] }) else {
                throw SourceError(.unreadable, at: node.displayName, "\(what) of block \(block) come from a block that is not on the canonical chain "
                    + "(canonical hash \(hashes[block] ?? "?")): the chain is reorganising there; run again later or raise 'confirmations'")
            }
            kept += again
        }
        return kept
    }

    /// The stream id a log names, where its event declares it.
    func id(in log: Log) throws(SourceError) -> UInt256 {
        guard let event = events.first(where: { Hex.encode($0.signature.topic0) == log.topics.first?.lowercased() }) else {
            throw SourceError(.malformed, at: node.displayName, "a log of \(contract.checksummed) matches no declared event")
        }
        let word: [UInt8]?
        switch event.id {
        case .topic(let index):
            word = index < log.topics.count ? try? Hex.decode(log.topics[index]) : nil
        case .dataWord(let index):
            let data = (try? Hex.decode(log.data)) ?? []
            word = data.count >= (index + 1) * 32 ? Array(data[(index * 32)..<((index + 1) * 32)]) : nil
        }
        guard let word, word.count == 32, let id = UInt256(bigEndianBytes: word) else {
            throw SourceError(.malformed, at: node.displayName, "a \(event.signature.name) log at block \(log.block ?? 0) has no stream id at "
                + "\(event.id); does its declaration in 'evm.events' match the contract's event?")
        }
        return id
    }
}
