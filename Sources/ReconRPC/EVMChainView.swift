import Foundation
import ReconChain
import ReconEngine
import ReconSources
import Synchronization

/// One run's view of the contract at its pinned block. DB keys are `idPrefix` + the decimal id.
final class EVMChainView: ChainView {
    let reader: EVMReader
    let block: UInt64?
    let idPrefix: String
    /// `nextStreamId()`: ids 1 ..< nextId exist on chain; nil when the rules give no count.
    let nextId: UInt64?
    /// The run's shard: `unvisited` reads only the ids whose keys fall in it.
    let shard: Shard?
    /// What the run's key holds before `idPrefix` + id (`CHAINID:` in a deployment's view).
    let shardKeyPrefix: String
    let blockHash: String?
    let scope: ChainScope
    /// The ids an incremental run lists in `unvisited`: changed or carried, in order.
    private let changedIds: [UInt256]
    private let state = Mutex(State())

    private struct State {
        var seen: Set<UInt256> = []
        /// Keys that name no id, answered `.missing` once.
        var unnamed: Set<String> = []
        var cursor: UInt64 = 1
        var changedCursor = 0
        var unreadable: [(key: String, reason: String)] = []
    }

    init(reader: EVMReader, block: UInt64, blockHash: String?, idPrefix: String, nextId: UInt64?, scope: ChainScope = .everything(reason: nil),
         carried: Set<String> = [], shard: Shard? = nil, shardKeyPrefix: String = "") {
        self.shard = shard
        self.shardKeyPrefix = shardKeyPrefix
        self.reader = reader
        self.block = block
        self.blockHash = blockHash
        self.idPrefix = idPrefix
        self.nextId = nextId
        self.scope = scope
        if case .changed(let changes) = scope {
            changedIds = Set(changes.keys.union(carried).compactMap { Self.id($0, prefix: idPrefix) }).sorted()
        } else {
            changedIds = []
        }
    }

    func confirmPinned() async -> String? {
        guard let block, let blockHash else { return nil }
        let now: String?
        do {
            now = try await NodeReads(client: reader.client).hashes(of: [block])[block]
        } catch {
            return "cannot check again that the pinned block \(block) is still on the chain: \(error.message)"
        }
        guard let now, now != blockHash else { return nil }
        return "the pinned block \(block) changed while the run read it (hash \(blockHash) at the start, \(now) at the end): a reorganisation "
            + "deeper than the confirmations; its reads are not one consistent state. Run again, or raise 'confirmations' (or use 'finalized')"
    }

    var duplicateKeys: [(key: String, count: Int)] { [] }
    var unreadableKeys: [(key: String, reason: String)] { state.withLock { $0.unreadable } }

    /// The on-chain id a DB key names, or nil for a key that cannot name one (which is then missing on chain).
    func id(_ key: String) -> UInt256? { Self.id(key, prefix: idPrefix) }

    static func id(_ key: String, prefix idPrefix: String) -> UInt256? {
        guard key.hasPrefix(idPrefix) else { return nil }
        let digits = key.dropFirst(idPrefix.count)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits == "0" || digits.first != "0" else { return nil }
        return UInt256(String(digits))
    }

    /// A stopped run turns every read into a failure: end it as stopped instead.
    private func stopIfCancelled() throws(SourceError) {
        try SourceError.checkStopped(at: reader.client.endpoint.displayName)
    }

    func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
        var lookups = [ChainLookup](repeating: .missing, count: keys.count)
        var toRead: [(index: Int, id: UInt256)] = []
        state.withLock { state in
            for (index, key) in keys.enumerated() {
                guard let id = id(key) else {
                    if !state.unnamed.insert(key).inserted { lookups[index] = .alreadySeen }
                    continue
                }
                if !state.seen.insert(id).inserted { lookups[index] = .alreadySeen } else { toRead.append((index, id)) }
            }
        }
        let read = await reader.read(toRead.map(\.id))
        try stopIfCancelled()
        for (slot, lookup) in zip(toRead, read) { lookups[slot.index] = lookup }
        return lookups
    }

    /// Whether `id` is in the run's shard: another shard's id is skipped before it is read, so a
    /// shard makes its share of the calls.
    private func inShard(_ id: UInt256) -> Bool {
        shard?.contains(shardKeyPrefix + idPrefix + id.description) ?? true
    }

    func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] {
        let incremental = if case .changed = scope { true } else { false }
        guard incremental || nextId != nil else { return [] }
        while true {
            let ids: [UInt256] = state.withLock { state in
                var ids: [UInt256] = []
                if incremental {
                    while ids.count < limit, state.changedCursor < changedIds.count {
                        let id = changedIds[state.changedCursor]
                        state.changedCursor += 1
                        if !state.seen.contains(id), inShard(id) { ids.append(id) }
                    }
                    return ids
                }
                guard let nextId else { return ids }
                while ids.count < limit, state.cursor < nextId {
                    let id = UInt256(state.cursor)
                    state.cursor += 1
                    if !state.seen.contains(id), inShard(id) { ids.append(id) }
                }
                return ids
            }
            if ids.isEmpty { return [] }
            var records: [SourceRecord] = []
            let read = await reader.read(ids)
            try stopIfCancelled()
            for (id, lookup) in zip(ids, read) {
                let key = idPrefix + id.description
                switch lookup {
                case .record(let values): records.append(SourceRecord(key: key, values: values))
                case .failed(let reason): state.withLock { $0.unreadable.append((key, reason)) }
                case .missing, .alreadySeen: break // an id below the count that reverts: not a stream (a skipped id)
                }
            }
            if !records.isEmpty { return records }
        }
    }
}
