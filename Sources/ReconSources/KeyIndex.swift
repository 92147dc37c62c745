import Foundation

/// Snapshot records by key: an open-addressing hash table over the keys' UTF-8 bytes, which
/// the records in the arena hold. A lookup costs about one cache miss in the table and one in
/// the record (which is read next anyway), where a `[String: Int]` cost three or four, and no
/// key becomes a `String` while the snapshot loads. Keys are compared in Unicode NFC, as
/// `String` compares them (ASCII is its own NFC).
struct KeyIndex: Sendable {
    /// 0 when empty; else the record's offset + 1 (bits 0..<40), the seen flag (bit 40), and
    /// the top 23 bits of the key's hash (41..<64).
    private var slots: [UInt64]
    private(set) var count = 0
    /// Random per index, so crafted keys cannot be made to collide.
    let seed: UInt64

    private static let offsetBits: UInt64 = (1 << 40) - 1
    private static let seenBit: UInt64 = 1 << 40
    private static let tagBits: UInt64 = ~((1 << 41) - 1)

    init(expectedCount: Int) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = Array(repeating: 0, count: capacity)
        seed = UInt64.random(in: 0...UInt64.max)
    }

    func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 { Self.hash(key, seed: seed) }

    /// FNV-1a over the bytes, then a 64-bit finalizer so every bit depends on every byte.
    static func hash(_ key: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        var hash = seed ^ 0xCBF2_9CE4_8422_2325
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 33)
    }

    /// The slot holding `key` (whose hash is `hash`), or the empty slot where it would go.
    private func probe(_ hash: UInt64, _ key: UnsafeBufferPointer<UInt8>, in records: RecordArena) -> Int {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        let tag = hash & Self.tagBits
        while true {
            let slot = slots[index]
            if slot == 0 { return index }
            if slot & Self.tagBits == tag, records.key(at: Int(slot & Self.offsetBits) - 1, equals: key) { return index }
            index = (index + 1) & mask
        }
    }

    /// Adds the record at `offset` under its key, unless the key is there already: then
    /// returns the offset of the record that has it.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, offset: Int, in records: RecordArena) -> Int? {
        let index = probe(hash, key, in: records)
        if slots[index] != 0 { return Int(slots[index] & Self.offsetBits) - 1 }
        slots[index] = hash & Self.tagBits | UInt64(offset + 1)
        count += 1
        if count * 2 > slots.count { grow(records) }
        return nil
    }

    private mutating func grow(_ records: RecordArena) {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        let mask = slots.count - 1
        for slot in old where slot != 0 {
            let hash = records.withKey(at: Int(slot & Self.offsetBits) - 1) { self.hash($0) }
            var index = Int(truncatingIfNeeded: hash) & mask
            while slots[index] != 0 { index = (index + 1) & mask }
            slots[index] = slot
        }
    }

    /// What looking a key up finds.
    enum Lookup {
        case found(offset: Int)
        case seenBefore
        case absent
    }

    /// Looks `key` up, marking its record seen when `mark` is set.
    mutating func lookUp(_ key: String, in records: RecordArena, mark: Bool = true) -> Lookup {
        Self.withNFC(key) { bytes in
            let index = probe(hash(bytes), bytes, in: records)
            let slot = slots[index]
            if slot == 0 { return .absent }
            if slot & Self.seenBit != 0 { return .seenBefore }
            if mark { slots[index] = slot | Self.seenBit }
            return .found(offset: Int(slot & Self.offsetBits) - 1)
        }
    }

    /// The offsets of the records never marked seen.
    var unseenOffsets: [Int] {
        slots.compactMap { $0 != 0 && $0 & Self.seenBit == 0 ? Int($0 & Self.offsetBits) - 1 : nil }
    }

    /// Calls `body` with the key's UTF-8 bytes in NFC.
    static func withNFC<T>(_ key: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        var key = key
        if !key.utf8.allSatisfy({ $0 < 0x80 }) { key = key.precomposedStringWithCanonicalMapping }
        return key.withUTF8(body)
    }
}
