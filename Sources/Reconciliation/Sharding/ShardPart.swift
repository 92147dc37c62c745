import ReconSources

/// A shard as the report writes it: `"shard": {"index": 1, "count": 4}`.
struct ShardPart: Codable {
    var index: Int
    var count: Int

    init(_ shard: Shard) {
        index = shard.index
        count = shard.count
    }

    /// nil for a pair no shard has (a report edited by hand).
    var shard: Shard? { try? Shard(index: index, count: count) }
}
