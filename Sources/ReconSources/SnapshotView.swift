import Foundation
import ReconEngine
import Synchronization

/// A snapshot held in memory; lookups mark records seen, so what is left unseen is on chain only.
final class SnapshotView: ChainView {
    let block: UInt64?
    let duplicateKeys: [(key: String, count: Int)]
    private let arena: RecordArena
    private let fieldCount: Int
    private let originalKeys: [Int: String]
    /// The run's shard: `unvisited` and `duplicateKeys` leave the other shards' records out.
    private let shard: Shard?
    /// The key index (records marked seen once looked up), keys looked up but not on chain, and
    /// the paging position over the records never looked up.
    private let state: Mutex<(index: KeyIndex, missingSeen: Set<String>, unvisitedOrder: [(key: String, offset: Int)]?, position: Int)>

    init(block: UInt64?, arena: RecordArena, index: KeyIndex, fieldCount: Int, duplicates: [String: Int], originalKeys: [Int: String] = [:],
         shard: Shard? = nil) {
        self.shard = shard
        self.block = block
        self.arena = arena
        self.fieldCount = fieldCount
        self.originalKeys = originalKeys
        duplicateKeys = duplicates.filter { shard?.contains($0.key) ?? true }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        state = Mutex((index, [], nil, 0))
    }

    func records(for keys: [String]) async throws(SourceError) -> [ChainLookup] {
        let lookups = state.withLock { state in
            keys.map { key -> KeyIndex.Lookup in
                let lookup = state.index.lookUp(key, in: arena)
                if case .absent = lookup, !state.missingSeen.insert(key).inserted { return .seenBefore }
                return lookup
            }
        }
        return lookups.map { lookup in
            switch lookup {
            case .found(let offset): .record(arena.values(at: offset, count: fieldCount))
            case .seenBefore: .alreadySeen
            case .absent: .missing
            }
        }
    }

    func unvisited(limit: Int) async throws(SourceError) -> [SourceRecord] {
        let page: [(key: String, offset: Int)] = state.withLock { state in
            if state.unvisitedOrder == nil {
                state.unvisitedOrder = state.index.unseenOffsets.map { (originalKeys[$0] ?? arena.key(at: $0), $0) }
                    .filter { shard?.contains($0.0) ?? true }.sorted { $0.key < $1.key }
            }
            let order = state.unvisitedOrder!
            let end = min(order.count, state.position + limit)
            defer { state.position = end }
            // Records looked up since the order was taken are left out.
            return order[state.position..<end].filter { entry in
                if case .found = state.index.lookUp(entry.key, in: arena, mark: false) { true } else { false }
            }
        }
        return page.map { SourceRecord(key: $0.key, values: arena.values(at: $0.offset, count: fieldCount)) }
    }
}
