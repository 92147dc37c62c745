import ReconSources

/// The run key of a shard of one logical run: the run key given (`--run-key KEY`, the
/// `Idempotency-Key`) is the logical run's, and each shard records itself under
/// `KEY/shard-I-of-N`, so the shards of one night share a prefix and `runs show KEY` finds them.
extension RunKey {
    /// `KEY/shard-I-of-N` for a shard, `KEY` itself for a run of every key.
    public static func stored(_ key: String, shard: Shard?) -> String {
        guard let shard else { return key }
        return "\(key)\(shardSuffix(shard))"
    }

    /// `/shard-I-of-N`.
    public static func shardSuffix(_ shard: Shard) -> String {
        "/shard-\(shard.index)-of-\(shard.count)"
    }

    /// The shard a stored run key names under `prefix` (`PREFIX/shard-I-of-N`), or nil when it names none.
    public static func shard(of key: String, prefix: String) -> Shard? {
        guard key.hasPrefix(prefix + "/shard-") else { return nil }
        let parts = key.dropFirst(prefix.count + "/shard-".count).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1] == "of", let shard = try? Shard(parsing: "\(parts[0])/\(parts[2])"),
              stored(prefix, shard: shard) == key else { return nil }
        return shard
    }
}
