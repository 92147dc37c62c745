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
    private let state = Mutex(State())

    private struct State {
        var seen: Set<UInt256> = []
        /// Keys that name no id, answered `.missing` once.
        var unnamed: Set<String> = []
        var cursor: UInt64 = 1
        var unreadable: [(key: String, reason: String)] = []
    }

    init(reader: EVMReader, block: UInt64, idPrefix: String, nextId: UInt64?, shard: Shard? = nil) {
        self.shard = shard
        self.reader = reader
        self.block = block
        self.idPrefix = idPrefix
        self.nextId = nextId
    }

    var duplicateKeys: [(key: String, count: Int)] { [] }
    var unreadableKeys: [(key: String, reason: String)] { state.withLock { $0.unreadable } }

    /// The on-chain id a DB key names, or nil for a key that cannot name one (which is then missing on chain).
    func id(_ key: String) -> UInt256? {
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

    func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] {
        guard let nextId else { return [] }
        while true {
            let ids: [UInt256] = state.withLock { state in
                var ids: [UInt256] = []
                while ids.count < limit, state.cursor < nextId {
                    let id = UInt256(state.cursor)
                    state.cursor += 1
                    // Another shard's id is skipped before it is read: a shard makes its share of the calls.
                    if !state.seen.contains(id), shard?.contains(idPrefix + id.description) ?? true { ids.append(id) }
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
