import ReconEngine
import ReconSources

/// The shards of one logical run (`--run-key KEY --shard I/N`, recorded as `KEY/shard-I-of-N`),
/// merged into one report: every shard's discrepancies in report order (each key belongs to one
/// shard, so none is counted twice), the summaries summed, the worst status, and which shards
/// are there. A merge that lacks a shard (never ran, still running, stopped) is incomplete.
public struct MergedRun: Sendable, Equatable, Encodable {
    /// Where one shard stands in the merge.
    public enum State: String, Sendable, Equatable, Encodable {
        /// A run that checked all of its keys: `clean` or `drift`.
        case present
        /// A run that finished `failed`: its discrepancies are in the merge, but some records were not read.
        case failed
        /// A run still running, or left `running` by a process that died (until a later run marks it).
        case running
        /// A run that was stopped or interrupted before it finished; its discrepancies are left out.
        case aborted
        /// No run of this shard is recorded under the key.
        case missing
    }

    /// One shard: its state and the run the merge took for it.
    public struct Part: Sendable, Equatable, Encodable {
        public var index: Int
        public var state: State
        public var runId: String?
        public var status: RunStatus?
        public var startedAt: String?
        public var finishedAt: String?
        public var chainBlock: Int64?
        public var streamsChecked: Int?
        public var discrepancies: Int?
        /// How many runs of this shard are recorded under the key (more than one: the latest finished one is taken).
        public var runs: Int
    }

    /// The `shards` part of the merged report.
    public struct Shards: Sendable, Equatable, Encodable {
        public var count: Int
        public var present: [Int]
        public var failed: [Int]
        public var running: [Int]
        public var aborted: [Int]
        public var missing: [Int]
        public var parts: [Part]
        /// What the operator should know about the runs under the key: shard counts that disagree,
        /// a shard that ran more than once, rules that differ.
        public var notes: [String]
    }

    /// The logical run's key: the prefix of its shards' run keys.
    public var runKey: String
    /// The worst of the shards' statuses (clean, drift, running, aborted, failed, in that order).
    public var status: RunStatus
    /// Whether every shard has a run that checked all of its keys (`present`).
    public var complete: Bool
    public var rules: RunReport.Rules?
    public var summary: RunReport.Summary
    public var shards: Shards
    public var discrepancies: [Finding]
    public var resolved: [RunBaseline.Entry]
    /// The shards' expired and stale acknowledgements: each shard names only those of its own streams.
    public var expiredAcks: [Acknowledgement]
    public var staleAcks: [Acknowledgement]

    /// Why the merge is incomplete, in one line; nil when it is complete.
    public var incompleteReason: String? {
        guard !complete else { return nil }
        func say(_ indexes: [Int], _ one: String, _ many: String) -> String? {
            guard !indexes.isEmpty else { return nil }
            let list = indexes.map(String.init).joined(separator: ", ")
            return indexes.count == 1 ? "shard \(list) \(one)" : "shards \(list) \(many)"
        }
        let parts = [say(shards.missing, "never ran", "never ran"), say(shards.running, "is still running", "are still running"),
                     say(shards.aborted, "was stopped before it finished", "were stopped before they finished"),
                     say(shards.failed, "failed", "failed")].compactMap { $0 }
        return "run key '\(runKey)' has \(shards.present.count) of \(shards.count) shards complete: \(parts.joined(separator: "; "))"
    }

    /// The highest severity among the discrepancies no acknowledgement covers, as a run's.
    public var highestSeverity: Severity? { discrepancies.lazy.filter { $0.tracking?.acknowledged == nil }.map(\.severity).max() }

    private enum CodingKeys: String, CodingKey {
        case runKey, status, complete, incomplete, rules, summary, shards, discrepancies, resolved, expiredAcks, staleAcks
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runKey, forKey: .runKey)
        try container.encode(status, forKey: .status)
        try container.encode(complete, forKey: .complete)
        try container.encode(incompleteReason, forKey: .incomplete)
        try container.encode(rules, forKey: .rules)
        try container.encode(summary, forKey: .summary)
        try container.encode(shards, forKey: .shards)
        try container.encode(discrepancies, forKey: .discrepancies)
        try container.encode(resolved, forKey: .resolved)
        try container.encode(expiredAcks, forKey: .expiredAcks)
        try container.encode(staleAcks, forKey: .staleAcks)
    }
}
