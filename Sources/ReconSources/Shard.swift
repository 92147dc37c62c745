import Foundation

/// One part of a run split N ways (`--shard I/N`): the streams whose key hashes to `index`.
/// A key's shard is the FNV-1a 64-bit hash of the key's UTF-8 bytes, in Unicode NFC (so two
/// spellings the sources pair as one key fall in one shard; an ASCII key is hashed as it is),
/// modulo `count`. The split must never change between versions: shards recorded by one
/// version merge with shards recorded by another, and a shard is compared with the same shard
/// of the night before.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 0-based: a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` is the index.
    public let index: Int
    public let count: Int

    /// The most shards a run is split into.
    public static let maximumCount = 1024

    /// Why a `--shard` value (or a request's `shard`) is refused.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(index: Int, count: Int) throws(Invalid) {
        guard (1...Self.maximumCount).contains(count) else {
            throw Invalid(description: "the shard count must be 1 to \(Self.maximumCount); it is \(count)")
        }
        guard (0..<count).contains(index) else {
            throw Invalid(description: "the shard index counts from 0 and must be below the count: 0 to \(count - 1) of \(count); it is \(index)")
        }
        self.index = index
        self.count = count
    }

    /// `I/N`, both whole numbers, such as `0/4` (the first of four).
    public init(parsing text: String) throws(Invalid) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        func number(_ part: Substring) -> Int? {
            guard !part.isEmpty, part.count <= 7, part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(part)
        }
        guard parts.count == 2, let index = number(parts[0]), let count = number(parts[1]) else {
            throw Invalid(description: "'\(text.prefix(32))' is not a shard; give INDEX/COUNT, such as 0/4 (the first of four, counting from 0)")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether `key` falls in this shard.
    public func contains(_ key: String) -> Bool {
        Self.index(of: key, count: count) == index
    }

    /// The shard of `key` when the keys are split `count` ways.
    public static func index(of key: String, count: Int) -> Int {
        Int(hash(key) % UInt64(count))
    }

    /// FNV-1a, 64-bit (offset basis 0xCBF29CE484222325, prime 0x100000001B3), over the key's
    /// UTF-8 bytes in NFC.
    public static func hash(_ key: String) -> UInt64 {
        var key = key
        if !key.utf8.allSatisfy({ $0 < 0x80 }) { key = key.precomposedStringWithCanonicalMapping }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }

    /// Rows the sources cannot pair (a NULL key) belong to no key: the first shard reports them,
    /// so that a merge of every shard counts each once.
    public var reportsUnkeyedRows: Bool { index == 0 }

    /// Whether a finding about `streamId` belongs to this shard: its key's shard, and the first
    /// shard for the rows without a key (reported under the stream id "").
    public func owns(_ streamId: String) -> Bool {
        contains(streamId) || (streamId.isEmpty && reportsUnkeyedRows)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
